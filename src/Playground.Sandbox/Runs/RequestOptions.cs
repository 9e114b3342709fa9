namespace Playground.Sandbox.Runs;

/// <summary>
/// Checks the options of a request against what this server can do. An option that would
/// change the result is refused with a reason, never silently ignored.
/// </summary>
internal static class RequestOptions
{
    public const int MaxArgs = 64;
    public const int MaxArgLength = 1024;

    /// <summary>Null when the options are acceptable, else the reason for rejecting the run.</summary>
    public static string? Check(RunRequest request, string toolchainVersion)
    {
        if (request.BuildFlags is { Count: > 0 })
        {
            return "Build flags are not accepted by this server yet.";
        }

        if (!string.IsNullOrEmpty(request.GoVersion) && !MatchesToolchain(request.GoVersion, toolchainVersion))
        {
            return $"Go version \"{request.GoVersion}\" is not available; this server has {toolchainVersion}.";
        }

        var args = request.Args ?? [];
        if (args.Count > MaxArgs)
        {
            return $"Too many program arguments: {args.Count} (at most {MaxArgs}).";
        }

        if (args.Any(a => a is null || a.Length > MaxArgLength || a.Contains('\0', StringComparison.Ordinal)))
        {
            return $"Program arguments must be non-null, at most {MaxArgLength} characters and without NUL characters.";
        }

        return null;
    }

    /// <summary>Checks every submitted go.mod against the toolchain and the submitted files.</summary>
    public static string? CheckModules(IReadOnlyDictionary<string, string> files, string toolchainVersion)
    {
        foreach (var (name, body) in files)
        {
            if (name == "go.mod" || name.EndsWith("/go.mod", StringComparison.Ordinal))
            {
                if (GoModCheck.Check(body, name, files.Keys.ToArray(), toolchainVersion) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    /// <summary>"go1.19.8", "1.19.8", "go1.19" and "1.19" all name the toolchain go1.19.8.</summary>
    internal static bool MatchesToolchain(string requested, string toolchain)
    {
        var want = requested.Trim();
        want = want.StartsWith("go", StringComparison.Ordinal) ? want[2..] : want;
        var have = toolchain.StartsWith("go", StringComparison.Ordinal) ? toolchain[2..] : toolchain;
        return have == want || have.StartsWith(want + ".", StringComparison.Ordinal);
    }
}
