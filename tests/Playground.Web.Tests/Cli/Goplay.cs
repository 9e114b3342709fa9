using System.Diagnostics;
using System.Globalization;
using System.Text;
using Playground.Testing;

namespace Playground.Web.Tests.Cli;

/// <summary>The real <c>goplay</c> executable, spawned as a user would run it.</summary>
public sealed class Goplay : IAsyncDisposable
{
    private static readonly string[] ProxyVariables = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "GOPLAY_SERVER", "NO_COLOR"];
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Goplay(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data, _outputClosed);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data, _errorClosed);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The directory holding the built <c>goplay</c> (its apphost), for PATH in script tests.</summary>
    public static string Directory { get; } = Path.Combine(Browser.BrowserFixture.RepositoryRootPath, "src", "Playground.Cli", "bin",
#if DEBUG
        "Debug",
#else
        "Release",
#endif
        "net10.0");

    public static string Executable => Path.Combine(Directory, "goplay");

    public Process Process => _process;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts goplay with a clean environment: no proxy variables unless given.</summary>
    public static Goplay Start(Uri server, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null, string? fileName = null)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"No goplay at {Executable}: build the solution (the README's test command does).");
        }

        var start = new ProcessStartInfo(fileName ?? Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? System.IO.Directory.GetCurrentDirectory(),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var name in ProxyVariables)
        {
            start.Environment.Remove(name);
        }

        start.Environment["GOPLAY_SERVER"] = server.ToString();
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        return new Goplay(Process.Start(start)!);
    }

    /// <summary>Runs to the end with the given stdin (closed afterwards).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Uri server, IEnumerable<string> args, string stdin = "", IDictionary<string, string>? env = null, string? workingDirectory = null, string? fileName = null)
    {
        await using var goplay = Start(server, args, env, workingDirectory, fileName);
        await goplay.Process.StandardInput.WriteAsync(stdin);
        goplay.Process.StandardInput.Close();
        var code = await goplay.WaitAsync(TimeSpan.FromMinutes(2));
        return (code, goplay.Stdout, goplay.Stderr);
    }

    public async Task<int> WaitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async Task WaitForStdoutAsync(string text, TimeSpan limit)
    {
        // An exited client prints nothing more: no need to wait out the limit.
        if (!await Poll.UntilAsync(() => Stdout.Contains(text, StringComparison.Ordinal) || _process.HasExited, limit, TimeSpan.FromMilliseconds(20))
            || !Stdout.Contains(text, StringComparison.Ordinal))
        {
            throw new TimeoutException($"goplay never printed \"{text}\"; stdout: {Stdout}; stderr: {Stderr}");
        }
    }

    /// <summary>What the terminal does on Ctrl+C.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException("kill -INT failed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder into, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (into)
        {
            into.Append(line).Append('\n');
        }
    }
}
