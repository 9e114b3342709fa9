using System.Diagnostics;
using System.Text;

namespace Playground.Deploy.Tests.Compose;

/// <summary>What a host command printed (stdout and stderr interleaved) and how it ended.</summary>
internal sealed record CommandResult(int ExitCode, string Output, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>The last lines, for failure messages: compose and dotnet say why at the end.</summary>
    public string Tail(int lines = 120)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Runs the scripts and the docker CLI as an operator would, from the repository root.</summary>
internal static class HostCommand
{
    public static async Task<CommandResult> RunAsync(
        string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // The scripts start dotnet, docker and apt: stop the whole tree, not just bash.
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        // The parameterless wait drains the redirected streams after exit.
        process.WaitForExit();
        lock (output)
        {
            return new CommandResult(timedOut ? -1 : process.ExitCode, output.ToString(), timedOut);
        }
    }

    /// <summary>A docker CLI query; fails the test with the CLI's output when the CLI fails.</summary>
    public static async Task<IReadOnlyList<string>> DockerLinesAsync(params string[] args)
    {
        var result = await RunAsync("docker", args, null, TimeSpan.FromMinutes(1));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({result.ExitCode}): {result.Output}");
        }

        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }
}
