using System.Diagnostics;

namespace Playground.Sandbox.Images;

/// <summary>Runs a host tool with an argument list (never a shell string) and captures its output.</summary>
internal static class HostProcess
{
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> args, string? workingDirectory, IReadOnlyDictionary<string, string>? env, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new SandboxSetupException($"{fileName} {string.Join(' ', psi.ArgumentList)} failed with exit code {p.ExitCode}: {error.Trim()}");
        }

        return output;
    }
}

/// <summary>The sandbox cannot be prepared (toolchain, images, engine); no user code runs until it can.</summary>
public sealed class SandboxSetupException(string message, Exception? inner = null) : Exception(message, inner);
