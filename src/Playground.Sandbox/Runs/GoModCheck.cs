using System.Text.RegularExpressions;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Runs;

/// <summary>
/// Checks a submitted <c>go.mod</c> before any container starts: no toolchain switch, a go
/// version this server's toolchain can honour, and no <c>replace</c> that points outside
/// the submitted files. It reads the file the way the go command does (golang.org/x/mod's
/// lexer: quoted strings with Go escapes, <c>//</c> comments only outside strings, <c>(</c>
/// and <c>)</c> as tokens even without spaces), so <c>"\x2fetc"</c>, <c>"//etc"</c> and
/// <c>replace(</c> mean here what they mean to the go command.
/// </summary>
internal static partial class GoModCheck
{
    /// <summary>Null when acceptable, else the reason.</summary>
    public static string? Check(string goMod, string goModPath, IReadOnlyCollection<string> fileNames, Toolchain selected, ToolchainList installed)
    {
        if (Statements(goMod) is not { } statements)
        {
            return $"{goModPath}: the file cannot be read as a go.mod (an unterminated or invalid quoted string).";
        }

        foreach (var (verb, args, line) in statements)
        {
            if (Check(verb, args, goModPath, fileNames, selected, installed) is { } problem)
            {
                return $"{goModPath}:{line}: {problem}";
            }
        }

        return null;
    }

    private static string? Check(string verb, IReadOnlyList<string> args, string goModPath, IReadOnlyCollection<string> fileNames, Toolchain selected, ToolchainList installed)
    {
        var toolchainVersion = selected.Version;
        switch (verb)
        {
            // Go 1.21 and later read a toolchain line as advice and, with GOTOOLCHAIN=local,
            // never download one; older releases do not know the directive.
            case "toolchain" when selected.Parsed < ToolchainLines:
                return $"toolchain lines need Go 1.21 or later; this run uses {toolchainVersion}. Choose a newer Go version or remove the line.";
            case "go" when args.Count >= 1:
                if (installed.Default is { } newest && IsNewer(args[0], newest.Version))
                {
                    return $"go.mod requires go {args[0]}, newer than every Go version on this server ({installed.Describe()}).";
                }

                return IsNewer(args[0], toolchainVersion)
                    ? $"go.mod requires go {args[0]}, but this run uses {toolchainVersion}. Choose Go {Language(args[0])} or later (this server has {installed.Describe()})."
                    : null;
            case "replace":
                var arrow = args.ToList().IndexOf("=>");
                return arrow >= 0 && arrow + 1 < args.Count ? CheckReplace(args[arrow + 1], goModPath, fileNames) : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// The file's statements (verb, arguments, line), blocks such as <c>replace ( … )</c>
    /// unfolded into one statement per line; null when a quoted string is invalid.
    /// </summary>
    internal static List<(string Verb, IReadOnlyList<string> Args, int Line)>? Statements(string goMod)
    {
        var statements = new List<(string, IReadOnlyList<string>, int)>();
        string? blockVerb = null;
        var tokens = new List<(string Text, bool Quoted)>();
        var line = 1;
        var statementLine = 1;

        void EndLine()
        {
            if (tokens.Count == 0)
            {
                return;
            }

            if (blockVerb is null && tokens.Count == 2 && !tokens[1].Quoted && tokens[1].Text == "(")
            {
                blockVerb = tokens[0].Text;
            }
            else if (blockVerb is not null && tokens.Count == 1 && !tokens[0].Quoted && tokens[0].Text == ")")
            {
                blockVerb = null;
            }
            else if (blockVerb is not null)
            {
                statements.Add((blockVerb, tokens.Select(t => t.Text).ToList(), statementLine));
            }
            else
            {
                statements.Add((tokens[0].Text, tokens.Skip(1).Select(t => t.Text).ToList(), statementLine));
            }

            tokens.Clear();
        }

        for (var i = 0; i < goMod.Length;)
        {
            var c = goMod[i];
            if (c == '\n')
            {
                EndLine();
                line++;
                i++;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (tokens.Count == 0)
            {
                statementLine = line;
            }

            if (c == '/' && i + 1 < goMod.Length && goMod[i + 1] == '/')
            {
                // A comment, to the end of the line.
                while (i < goMod.Length && goMod[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c is '(' or ')' or '[' or ']' or '{' or '}' or ',')
            {
                tokens.Add((c.ToString(), false));
                i++;
                continue;
            }

            if (c is '"' or '`')
            {
                var close = c == '`' ? goMod.IndexOf('`', i + 1) : ClosingQuote(goMod, i);
                if (close < 0 || (c == '"' && Unquote(goMod[(i + 1)..close]) is not { } value))
                {
                    return null;
                }

                tokens.Add((c == '`' ? goMod[(i + 1)..close] : Unquote(goMod[(i + 1)..close])!, true));
                line += goMod.AsSpan(i, close - i).Count('\n');
                i = close + 1;
                continue;
            }

            // An identifier: up to a space, a punctuation character or a comment.
            var start = i;
            while (i < goMod.Length && !char.IsWhiteSpace(goMod[i]) && goMod[i] is not ('(' or ')' or '[' or ']' or '{' or '}' or ',' or '"' or '`')
                && !(goMod[i] == '/' && i + 1 < goMod.Length && goMod[i + 1] == '/'))
            {
                i++;
            }

            tokens.Add((goMod[start..i], false));
        }

        EndLine();
        return statements;
    }

    /// <summary>The index of the quote that ends the interpreted string starting at <paramref name="open"/>, or -1.</summary>
    private static int ClosingQuote(string text, int open)
    {
        for (var i = open + 1; i < text.Length && text[i] != '\n'; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == '"')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A Go interpreted string literal's value (strconv.Unquote), or null when an escape is invalid.</summary>
    internal static string? Unquote(string body)
    {
        var result = new System.Text.StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\')
            {
                result.Append(body[i]);
                continue;
            }

            if (++i >= body.Length)
            {
                return null;
            }

            switch (body[i])
            {
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'v': result.Append('\v'); break;
                case '\\' or '"': result.Append(body[i]); break;
                case 'x' or 'u' or 'U':
                    var digits = body[i] switch { 'x' => 2, 'u' => 4, _ => 8 };
                    if (body.Length - i - 1 < digits
                        || !int.TryParse(body.AsSpan(i + 1, digits), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var code)
                        || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
                    {
                        return null;
                    }

                    // \x is a byte; the paths this reads are ASCII, where byte and rune agree.
                    result.Append(char.ConvertFromUtf32(code));
                    i += digits;
                    break;
                case >= '0' and <= '7':
                    if (i + 2 >= body.Length || !IsOctal(body[i + 1]) || !IsOctal(body[i + 2]))
                    {
                        return null;
                    }

                    result.Append((char)(((body[i] - '0') * 64) + ((body[i + 1] - '0') * 8) + (body[i + 2] - '0')));
                    i += 2;
                    break;
                default:
                    return null;
            }
        }

        return result.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }

    private static readonly GoVersion ToolchainLines = new(1, 21, 0);

    /// <summary>"1.25" for "1.25.3" or "1.25rc1": the release a user picks.</summary>
    private static string Language(string version) => GoVersion.TryParse(version, out var v) ? v.Language : version;

    /// <summary>A replacement by file path must name a directory inside the submitted files.</summary>
    private static string? CheckReplace(string target, string goModPath, IReadOnlyCollection<string> fileNames)
    {
        var isPath = target.StartsWith("./", StringComparison.Ordinal) || target.StartsWith("../", StringComparison.Ordinal)
            || target.StartsWith('/') || target is "." or "..";
        if (!isPath)
        {
            return null; // a module version: resolved through the module proxy, not the file system
        }

        if (target.StartsWith('/'))
        {
            return $"replace to an absolute path ({target}) is not allowed; replacements must point inside the submitted files.";
        }

        var moduleDir = goModPath.Contains('/', StringComparison.Ordinal) ? goModPath[..goModPath.LastIndexOf('/')] : "";
        var combined = moduleDir.Length == 0 ? target : moduleDir + "/" + target;
        var parts = new Stack<string>();
        foreach (var part in combined.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return $"replace to {target} points outside the submitted files.";
                }

                parts.Pop();
                continue;
            }

            parts.Push(part);
        }

        var dir = string.Join('/', parts.Reverse());
        var prefix = dir.Length == 0 ? "" : dir + "/";
        return fileNames.Any(n => n.StartsWith(prefix, StringComparison.Ordinal) && n != goModPath)
            ? null
            : $"replace to {target} names no directory among the submitted files.";
    }

    /// <summary>True when a go.mod version ("1.21", "1.21.3", "1.21rc1") is newer than the toolchain ("go1.19.8").</summary>
    internal static bool IsNewer(string required, string toolchain)
    {
        static int[] Parse(string v)
        {
            var m = VersionPattern().Match(v);
            return m.Success
                ? [int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                   int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                   m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0]
                : [int.MaxValue, 0, 0];
        }

        var want = Parse(required);
        var have = Parse(toolchain);
        for (var i = 0; i < 3; i++)
        {
            if (want[i] != have[i])
            {
                return want[i] > have[i];
            }
        }

        return false;
    }

    [GeneratedRegex(@"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?")]
    private static partial Regex VersionPattern();
}
