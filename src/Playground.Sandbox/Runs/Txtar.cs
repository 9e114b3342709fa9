using System.Text;

namespace Playground.Sandbox.Runs;

/// <summary>
/// The txtar archive format the Go playground uses for several files: text before the
/// first <c>-- name --</c> line is <c>prog.go</c> (dropped when it is only blank).
/// </summary>
/// <remarks>
/// Splitting only: the names are checked, in upstream's order and words, by
/// <see cref="SourceFiles.Split"/>.
/// </remarks>
public static class Txtar
{
    /// <summary>
    /// The files in the order they were written, duplicates included. As
    /// golang.org/x/tools/txtar does, the last file gets a final newline when it lacks one.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Split(string text)
    {
        var files = new List<KeyValuePair<string, string>>();
        string? current = null;
        var body = new StringBuilder();

        void Close()
        {
            if (current is not null)
            {
                files.Add(new(current, body.ToString()));
            }
            else if (!string.IsNullOrWhiteSpace(body.ToString()))
            {
                files.Add(new(SourceFiles.DefaultFileName, body.ToString()));
            }
        }

        foreach (var line in SplitLines(text))
        {
            if (!TryHeader(line, out var name))
            {
                body.Append(line);
                continue;
            }

            Close();
            current = name;
            body.Clear();
        }

        if (current is null)
        {
            // No headers at all: the whole text is one Go file, blank or not.
            files.Add(new(SourceFiles.DefaultFileName, WithFinalNewline(body.ToString())));
            return files;
        }

        var last = WithFinalNewline(body.ToString());
        body.Clear().Append(last);
        Close();
        return files;
    }

    /// <summary>
    /// Whether the first file is the header-less <c>prog.go</c>: text that is not blank before
    /// the first header, or no header at all (upstream's fileSet.noHeader).
    /// </summary>
    public static bool HasImplicitProg(string text)
    {
        foreach (var line in SplitLines(text))
        {
            if (TryHeader(line, out _))
            {
                return false;
            }

            if (!string.IsNullOrWhiteSpace(line))
            {
                return true;
            }
        }

        return true;
    }

    // Upstream's parser (x/tools/txtar fixNL) ends the last section with a newline, so a
    // file formatted by /fmt or shown back reads as it does on go.dev.
    private static string WithFinalNewline(string s) => s.Length == 0 || s[^1] == '\n' ? s : s + "\n";

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
