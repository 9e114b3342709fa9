using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>
/// Playground.Web as a real, separate process (its own build output), so tests can kill it
/// with SIGKILL or stop it with SIGTERM the way an operator or a crash would.
/// </summary>
public sealed class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WebProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The server process's resident memory now (VmRSS).</summary>
    public long ResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    /// <summary>Where <c>/metrics</c> answers: the main address, or the separate metrics port when one was asked for.</summary>
    public Uri MetricsAddress { get; private init; } = null!;

    private string _readyPath = "/health/ready";

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private const string InstanceSetting = "--Sandbox:InstanceName=";

    /// <summary>The owner label of this server's sandbox containers; null for the proxy, which has none.</summary>
    public string? Owner { get; private init; }

    public static Task<WebProcess> StartAsync(params string[] settings) => StartAsync("Playground.Web", "/health/ready", settings, metricsPort: false);

    /// <summary>Playground.Web, returned once its default Go version is ready, while the others may still be preparing.</summary>
    public static Task<WebProcess> StartDefaultReadyAsync(params string[] settings) => StartAsync("Playground.Web", "/health/ready", settings, metricsPort: false, allVersions: false);

    /// <summary>Playground.Proxy (the edge and the standalone module route), started the same way.</summary>
    public static Task<WebProcess> StartProxyAsync(params string[] settings) => StartAsync("Playground.Proxy", "/proxy/health/live", settings, metricsPort: false);

    /// <summary>Playground.Web or Playground.Proxy listening on a second port that alone serves <c>/metrics</c> (Telemetry:MetricsPort).</summary>
    public static Task<WebProcess> StartWithMetricsPortAsync(string name, params string[] settings) =>
        StartAsync(name, name == "Playground.Proxy" ? "/proxy/health/live" : "/health/ready", settings, metricsPort: true);

    private static async Task<WebProcess> StartAsync(string name, string readyPath, string[] settings, bool metricsPort, bool allVersions = true)
    {
        var repo = RepositoryRoot();
        // Same configuration as this test assembly: bin/<Configuration>/net10.0.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var project = Path.Combine(repo, "src", name);
        var dll = Path.Combine(project, "bin", configuration, "net10.0", name + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build the solution first (the README's test command does).");
        }

        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var metrics = metricsPort ? FreePort() : port;
        string[] listen = metricsPort
            ? ["--urls", $"http://127.0.0.1:{port};http://127.0.0.1:{metrics}", $"--Telemetry:MetricsPort={metrics}"]
            : ["--urls", $"http://127.0.0.1:{port}"];
        // Its containers carry this test process's owner (a setting given by the test, later, wins).
        string[] owner = name == "Playground.Web" ? [InstanceSetting + TestOwner.Name("web")] : [];
        foreach (var arg in new[] { dll }.Concat(listen).Append("--Logging:LogLevel:Default=Information").Concat(owner).Concat(settings))
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + name);
        var web = new WebProcess(process, new Uri($"http://127.0.0.1:{port}/"))
        {
            _readyPath = readyPath,
            MetricsAddress = new Uri($"http://127.0.0.1:{metrics}/metrics"),
            // The last setting wins, as in the server's configuration.
            Owner = owner.Concat(settings).LastOrDefault(a => a.StartsWith(InstanceSetting, StringComparison.Ordinal))?[InstanceSetting.Length..],
        };
        process.OutputDataReceived += (_, e) => web.Append(e.Data);
        process.ErrorDataReceived += (_, e) => web.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await web.WaitReadyAsync(TimeSpan.FromMinutes(5));
        if (name == "Playground.Web" && allVersions)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await GoVersionsReady.WaitAsync(http, web.BaseAddress, TimeSpan.FromMinutes(20));
        }

        return web;
    }

    public async Task WaitReadyAsync(TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("The server exited during start-up:\n" + Log);
            }

            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, _readyPath))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The server did not become ready:\n" + Log);
    }

    /// <summary>A hub connection; <paramref name="forwardedFor"/> is sent as X-Forwarded-For (believed only from a trusted proxy).</summary>
    public async Task<HubConnection> ConnectAsync(string? forwardedFor = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/run"), o =>
            {
                if (forwardedFor is not null)
                {
                    o.Headers["X-Forwarded-For"] = forwardedFor;
                }
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>POSTs a program to <c>/compile</c> (the go.dev API, version 2), asserts 200 and returns the JSON answer.</summary>
    public async Task<JsonElement> CompileAsync(string source)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(1) };
        using var form = new FormUrlEncodedContent([new("version", "2"), new("body", source)]);
        using var response = await http.PostAsync(new Uri(BaseAddress, "/compile"), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/compile answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, as a service manager stops a process.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public Task WaitForExitAsync(TimeSpan limit) => _process.WaitForExitAsync(new CancellationTokenSource(limit).Token);

    /// <summary>Stops the server as an operator would (SIGTERM, so runs are cleaned up), SIGKILL only if it hangs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Terminate();
            try
            {
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GoPlay.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GoPlay.slnx not found above " + AppContext.BaseDirectory);
    }
}
