using System.Text.RegularExpressions;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Runs;

/// <summary>
/// Checks a submitted <c>go.mod</c> before any container starts: no toolchain switch, a go
/// version this server's toolchain can honour, and no <c>replace</c> that points outside
/// the submitted files.
/// </summary>
internal static partial class GoModCheck
{
    /// <summary>Null when acceptable, else the reason.</summary>
    public static string? Check(string goMod, string goModPath, IReadOnlyCollection<string> fileNames, Toolchain selected, ToolchainList installed)
    {
        var toolchainVersion = selected.Version;
        var lines = goMod.Split('\n').Select(StripComment).ToArray();
        var inReplaceBlock = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (inReplaceBlock)
            {
                if (line == ")")
                {
                    inReplaceBlock = false;
                    continue;
                }

                if (CheckReplace(line, goModPath, fileNames) is { } blockProblem)
                {
                    return $"{goModPath}:{i + 1}: {blockProblem}";
                }

                continue;
            }

            var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (words[0])
            {
                // Go 1.21 and later read a toolchain line as advice and, with GOTOOLCHAIN=local,
                // never download one; older releases do not know the directive.
                case "toolchain" when selected.Parsed < ToolchainLines:
                    return $"{goModPath}:{i + 1}: toolchain lines need Go 1.21 or later; this run uses {toolchainVersion}. Choose a newer Go version or remove the line.";
                case "go" when words.Length >= 2:
                    if (installed.Default is { } newest && IsNewer(words[1], newest.Version))
                    {
                        return $"{goModPath}:{i + 1}: go.mod requires go {words[1]}, newer than every Go version on this server ({installed.Describe()}).";
                    }

                    if (IsNewer(words[1], toolchainVersion))
                    {
                        return $"{goModPath}:{i + 1}: go.mod requires go {words[1]}, but this run uses {toolchainVersion}. Choose Go {Language(words[1])} or later (this server has {installed.Describe()}).";
                    }

                    break;
                case "replace" when words.Length >= 2 && words[1] == "(":
                    inReplaceBlock = true;
                    break;
                case "replace":
                    if (CheckReplace(line["replace".Length..].Trim(), goModPath, fileNames) is { } problem)
                    {
                        return $"{goModPath}:{i + 1}: {problem}";
                    }

                    break;
            }
        }

        return null;
    }

    private static readonly GoVersion ToolchainLines = new(1, 21, 0);

    /// <summary>"1.25" for "1.25.3" or "1.25rc1": the release a user picks.</summary>
    private static string Language(string version) => GoVersion.TryParse(version, out var v) ? v.Language : version;

    private static string StripComment(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment >= 0 ? line[..comment] : line;
    }

    /// <summary>A replacement by file path must name a directory inside the submitted files.</summary>
    private static string? CheckReplace(string directive, string goModPath, IReadOnlyCollection<string> fileNames)
    {
        var arrow = directive.IndexOf("=>", StringComparison.Ordinal);
        if (arrow < 0)
        {
            return null;
        }

        var target = directive[(arrow + 2)..].Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        target = target.Trim('"', '`');
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
