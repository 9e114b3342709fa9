using Playground.Sandbox.Toolchains;

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
    public static string? Check(RunRequest request)
    {
        if (request.BuildFlags is { Count: > 0 })
        {
            return "Build flags are not accepted by this server yet.";
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

    /// <summary>Checks every submitted go.mod against the selected toolchain, the installed ones and the submitted files.</summary>
    public static string? CheckModules(IReadOnlyDictionary<string, string> files, Toolchain selected, ToolchainList installed)
    {
        foreach (var (name, body) in files)
        {
            if (name == "go.work" || name.EndsWith("/go.work", StringComparison.Ordinal))
            {
                // Its use and replace lines would reach outside the submitted files; the
                // builder also runs with GOWORK=off.
                return $"{name}: go.work files are not supported: a run builds one module; point replace lines in its go.mod at folders among the submitted files.";
            }

            if (name == "go.mod" || name.EndsWith("/go.mod", StringComparison.Ordinal))
            {
                if (GoModCheck.Check(body, name, files.Keys.ToArray(), selected, installed) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }
}
