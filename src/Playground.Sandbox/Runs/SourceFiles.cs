namespace Playground.Sandbox.Runs;

/// <summary>Turns a request's <c>files</c> or <c>source</c> into a checked file set, or says why not.</summary>
/// <remarks>
/// The rules and their wording are upstream's (golang.org/x/playground txtar.go, splitFiles),
/// checked in its order: the number of files, then each name, then duplicates, then a name
/// that is also another's folder. GoPlay's own extra rules say so in the same style.
/// </remarks>
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
            if (request.Files.Count > options.MaxFiles)
            {
                return SourceResult.Fail($"too many files ({request.Files.Count} exceeds limit of {options.MaxFiles})");
            }

            foreach (var name in request.Files.Keys)
            {
                if (CheckName(name) is { } problem)
                {
                    return SourceResult.Fail(problem);
                }
            }

            if (CheckFolders(request.Files.Keys) is { } conflict)
            {
                return SourceResult.Fail(conflict);
            }

            files = request.Files;
        }
        else if (!string.IsNullOrEmpty(request.Source))
        {
            var split = Split(request.Source, options.MaxFiles);
            if (split.Error is not null)
            {
                return split;
            }

            files = split.Files!;
        }
        else
        {
            return SourceResult.Fail("The request has no source: send \"files\" or \"source\".");
        }

        long total = files.Values.Sum(body => (long)System.Text.Encoding.UTF8.GetByteCount(body ?? string.Empty));
        if (total > options.MaxSourceBytes)
        {
            return SourceResult.Fail($"source too large ({total} bytes exceeds limit of {options.MaxSourceBytes})");
        }

        if (!files.Keys.Any(n => n.EndsWith(".go", StringComparison.Ordinal)))
        {
            return SourceResult.Fail("no .go files to build");
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

    /// <summary>
    /// Upstream's splitFiles: a txtar archive into its files, in the order written, or the
    /// first rule it breaks in upstream's words (<c>too many files in txtar archive (50 exceeds
    /// limit of 20)</c>, <c>invalid file name "../foo"</c>, <c>duplicate file name "prog.go"</c>…).
    /// The limit is <see cref="SandboxOptions.MaxFiles"/> (upstream's is 20).
    /// </summary>
    public static SourceResult Split(string text, int maxFiles)
    {
        var entries = Txtar.Split(text);

        // Counted before any name is looked at, as upstream does: fifty copies of one name
        // are too many files, not a duplicate.
        if (entries.Count > maxFiles)
        {
            return SourceResult.Fail($"too many files in txtar archive ({entries.Count} exceeds limit of {maxFiles})");
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, body) in entries)
        {
            if (CheckName(name) is { } problem)
            {
                return SourceResult.Fail(problem);
            }

            if (!files.TryAdd(name, body))
            {
                return SourceResult.Fail($"duplicate file name {GoString.Quote(name)}");
            }
        }

        return CheckFolders(files.Keys) is { } conflict ? SourceResult.Fail(conflict) : SourceResult.Ok(files);
    }

    /// <summary>"a" and "a/b.go" cannot both exist in the build's work directory.</summary>
    private static string? CheckFolders(IEnumerable<string> names)
    {
        var all = names as IReadOnlyCollection<string> ?? names.ToList();
        var set = all.ToHashSet(StringComparer.Ordinal);
        foreach (var name in all)
        {
            for (var slash = name.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = name.IndexOf('/', slash + 1))
            {
                if (set.Contains(name[..slash]))
                {
                    return $"conflict file/dir name {GoString.Quote(name[..slash])} and {GoString.Quote(name)}";
                }
            }
        }

        return null;
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

    /// <summary>
    /// Null when the name is an acceptable relative path, else why not in upstream's words:
    /// <c>file name too long</c>, <c>invalid file name "…"</c> or <c>file name "…" too deep</c>.
    /// </summary>
    /// <remarks>
    /// Upstream's rules in its order: at most 200 bytes; no backslash or character below a
    /// space; in path.Clean form and not absolute; at most 10 levels; no <c>.</c> or <c>..</c>
    /// element. GoPlay adds its own, reported as an invalid name too: no colon, no other
    /// control character (U+007F–U+009F), no blank name (the JSON <c>files</c> field can send
    /// one; a txtar header cannot).
    /// </remarks>
    public static string? CheckName(string name)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameLength)
        {
            return "file name too long";
        }

        if (string.IsNullOrWhiteSpace(name) || name.Any(c => c < ' ' || c == '\\' || c == ':' || char.IsControl(c)))
        {
            return Invalid(name);
        }

        if (name.StartsWith('/') || name != CleanPath(name))
        {
            return Invalid(name);
        }

        var parts = name.Split('/');
        if (parts.Length > MaxDepth)
        {
            return $"file name {GoString.Quote(name)} too deep";
        }

        return parts.Any(p => p is "." or "..") ? Invalid(name) : null;
    }

    private static string Invalid(string name) => $"invalid file name {GoString.Quote(name)}";

    /// <summary>
    /// Go's path.Clean: one slash between elements, no <c>.</c> elements, each inner
    /// <c>..</c> removed with the element before it, no trailing slash; empty is <c>.</c>.
    /// </summary>
    internal static string CleanPath(string name)
    {
        var rooted = name.StartsWith('/');
        var kept = new List<string>();
        foreach (var element in name.Split('/'))
        {
            switch (element)
            {
                case "" or ".":
                    break;
                case ".." when kept.Count > 0 && kept[^1] != "..":
                    kept.RemoveAt(kept.Count - 1);
                    break;
                case ".." when rooted:
                    break;
                default:
                    kept.Add(element);
                    break;
            }
        }

        var joined = string.Join('/', kept);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}

public sealed record SourceResult(IReadOnlyDictionary<string, string>? Files, string? Error)
{
    public static SourceResult Ok(IReadOnlyDictionary<string, string> files) => new(files, null);

    public static SourceResult Fail(string error) => new(null, error);
}
