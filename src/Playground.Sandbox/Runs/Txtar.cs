using System.Text;

namespace Playground.Sandbox.Runs;

/// <summary>
/// The txtar archive format the Go playground uses for several files: text before the
/// first <c>-- name --</c> line is <c>prog.go</c> (dropped when it is only blank).
/// </summary>
public static class Txtar
{
    public static (IReadOnlyDictionary<string, string>? Files, string? Error) Parse(string text)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var body = new StringBuilder();

        string? Close()
        {
            if (current is null)
            {
                if (!string.IsNullOrWhiteSpace(body.ToString()))
                {
                    files[SourceFiles.DefaultFileName] = body.ToString();
                }

                return null;
            }

            return files.TryAdd(current, body.ToString()) ? null : $"Duplicate file name in txtar: {current}";
        }

        foreach (var line in SplitLines(text))
        {
            if (!TryHeader(line, out var name))
            {
                body.Append(line);
                continue;
            }

            if (Close() is { } error)
            {
                return (null, error);
            }

            current = name;
            body.Clear();
        }

        if (current is null)
        {
            // No headers at all: the whole text is one Go file, blank or not.
            files[SourceFiles.DefaultFileName] = body.ToString();
            return (files, null);
        }

        return Close() is { } last ? (null, last) : (files, null);
    }

    private static bool TryHeader(string line, out string name)
    {
        var trimmed = line.TrimEnd('\n', '\r');
        if (trimmed.Length > 6 && trimmed.StartsWith("-- ", StringComparison.Ordinal) && trimmed.EndsWith(" --", StringComparison.Ordinal))
        {
            name = trimmed[3..^3].Trim();
            return name.Length > 0;
        }

        name = string.Empty;
        return false;
    }

    /// <summary>Lines with their terminators, so file bodies round-trip exactly.</summary>
    private static IEnumerable<string> SplitLines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0)
            {
                yield return text[start..];
                yield break;
            }

            yield return text[start..(nl + 1)];
            start = nl + 1;
        }
    }
}
