namespace Playground.Sandbox.Runs;

/// <summary>Turns a request's <c>files</c> or <c>source</c> into a checked file set, or says why not.</summary>
public static class SourceFiles
{
    public const string DefaultFileName = "prog.go";
    private const int MaxNameLength = 200;
    private const int MaxDepth = 10;

    public static SourceResult Resolve(RunRequest request, SandboxOptions options)
    {
        IReadOnlyDictionary<string, string> files;
        if (request.Files is { Count: > 0 })
        {
            files = request.Files;
        }
        else if (!string.IsNullOrEmpty(request.Source))
        {
            var parsed = Txtar.Parse(request.Source);
            if (parsed.Error is not null)
            {
                return SourceResult.Fail(parsed.Error);
            }

            files = parsed.Files!;
        }
        else
        {
            return SourceResult.Fail("The request has no source: send \"files\" or \"source\".");
        }

        if (files.Count > options.MaxFiles)
        {
            return SourceResult.Fail($"Too many files: {files.Count} (at most {options.MaxFiles}).");
        }

        long total = 0;
        foreach (var (name, body) in files)
        {
            if (CheckName(name) is { } problem)
            {
                return SourceResult.Fail(problem);
            }

            total += System.Text.Encoding.UTF8.GetByteCount(body ?? string.Empty);
        }

        // "a" and "a/b.go" cannot both exist in the build's work directory.
        foreach (var name in files.Keys)
        {
            for (var slash = name.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = name.IndexOf('/', slash + 1))
            {
                if (files.ContainsKey(name[..slash]))
                {
                    return SourceResult.Fail($"{Shorten(name[..slash])} is both a file and the folder of {Shorten(name)}.");
                }
            }
        }

        if (total > options.MaxSourceBytes)
        {
            return SourceResult.Fail($"Source too large: {total} bytes (at most {options.MaxSourceBytes}).");
        }

        if (!files.Keys.Any(n => n.EndsWith(".go", StringComparison.Ordinal)))
        {
            return SourceResult.Fail("No .go files to build.");
        }

        foreach (var (name, body) in files)
        {
            if (CheckKind(name, body ?? string.Empty) is { } problem)
            {
                return SourceResult.Fail(problem);
            }
        }

        return SourceResult.Ok(files.ToDictionary(kv => kv.Key, kv => kv.Value ?? string.Empty, StringComparer.Ordinal));
    }

    // Files the go command would hand to an assembler, a C compiler or the linker as object
    // code. The builder compiles pure Go only (CGO_ENABLED=0); these are refused up front so
    // the user is told why instead of meeting an obscure toolchain error.
    private static readonly string[] ForeignExtensions =
    [
        ".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".m",
        ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx",
    ];

    /// <summary>Null when the file is pure Go (or a text file the go command ignores), else the reason.</summary>
    internal static string? CheckKind(string name, string body)
    {
        var extension = Path.GetExtension(name);
        if (ForeignExtensions.Contains(extension, StringComparer.Ordinal))
        {
            return $"{name}: {extension} files are not supported: the playground builds pure Go only (no assembly, C or object files).";
        }

        if (extension == ".go" && ImportsC(body))
        {
            return $"{name}: cgo (import \"C\") is not supported: the playground builds pure Go only.";
        }

        return null;
    }

    /// <summary>Whether a Go file imports "C", alone or inside an import block.</summary>
    private static bool ImportsC(string body)
    {
        var inBlock = false;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.Trim();
            if (inBlock)
            {
                if (line.StartsWith(')'))
                {
                    inBlock = false;
                }
                else if (IsCImportSpec(line))
                {
                    return true;
                }

                continue;
            }

            if (line.StartsWith("import", StringComparison.Ordinal))
            {
                var rest = line["import".Length..].Trim();
                if (rest.StartsWith('('))
                {
                    inBlock = true;
                    if (IsCImportSpec(rest[1..].Trim()))
                    {
                        return true;
                    }
                }
                else if (IsCImportSpec(rest))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsCImportSpec(string spec) =>
        spec.StartsWith("\"C\"", StringComparison.Ordinal) || spec.StartsWith("`C`", StringComparison.Ordinal)
        || spec.StartsWith("_ \"C\"", StringComparison.Ordinal) || spec.StartsWith(". \"C\"", StringComparison.Ordinal);

    /// <summary>Null when the name is an acceptable relative path, else the reason.</summary>
    public static string? CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Empty file name.";
        }

        if (name.Length > MaxNameLength)
        {
            return $"File name too long (at most {MaxNameLength} characters): {Shorten(name)}";
        }

        if (name.StartsWith('/') || name.Contains('\\', StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal))
        {
            return $"File names must be relative paths with '/' separators: {Shorten(name)}";
        }

        var parts = name.Split('/');
        if (parts.Length > MaxDepth)
        {
            return $"File path too deep (at most {MaxDepth} levels): {Shorten(name)}";
        }

        foreach (var part in parts)
        {
            if (part is "" or "." or "..")
            {
                return $"File names may not contain empty, '.' or '..' elements: {Shorten(name)}";
            }

            if (part.Any(c => char.IsControl(c)))
            {
                return "File names may not contain control characters.";
            }
        }

        return null;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

public sealed record SourceResult(IReadOnlyDictionary<string, string>? Files, string? Error)
{
    public static SourceResult Ok(IReadOnlyDictionary<string, string> files) => new(files, null);

    public static SourceResult Fail(string error) => new(null, error);
}
