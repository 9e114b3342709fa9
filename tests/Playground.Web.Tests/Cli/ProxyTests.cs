using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Cli;

/// <summary>
/// goplay through real proxies from Debian: tinyproxy (HTTP, CONNECT) and microsocks (SOCKS5);
/// falling back to a direct connection when the proxy is down; NO_PROXY and --no-proxy.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class ProxyTests(WebAppFixture app) : IDisposable
{
    private const string HowToProvide = "The proxy tests need tinyproxy and microsocks; the README's test command (scripts/test.sh) installs them with apt.";
    private readonly string _dir = Directory.CreateTempSubdirectory("goplay-proxy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Hello() => WriteFile("hello.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"via proxy\") }\n");

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private int ServerPort => app.BaseAddress.Port;

    [Fact]
    public async Task HttpProxy_WebSocketAndHttpCallsGoThroughTinyproxy()
    {
        await using var proxy = await TinyProxy.StartAsync(_dir);
        var env = new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Url };

        var run = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: env);
        var share = await Goplay.RunAsync(app.BaseAddress, ["share", Hello()], env: env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("via proxy\n", run.Stdout);
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, share.ExitCode);
        var log = await proxy.LogAsync();
        Assert.Contains($"CONNECT 127.0.0.1:{ServerPort}", log, StringComparison.Ordinal);
        Assert.Contains($"POST http://127.0.0.1:{ServerPort}/share", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks5Proxy_RunGoesThroughMicrosocks()
    {
        await using var proxy = await MicroSocks.StartAsync();
        var run = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: new Dictionary<string, string> { ["ALL_PROXY"] = proxy.Url });

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("via proxy\n", run.Stdout);
        Assert.Contains($"connected to 127.0.0.1:{ServerPort}", proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProxyDown_FallsBackToDirectAndSaysSoOnce()
    {
        var closed = FreePort();
        var run = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: new Dictionary<string, string> { ["HTTP_PROXY"] = $"http://127.0.0.1:{closed}" });

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("via proxy\n", run.Stdout);
        var notice = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"goplay: proxy http://127.0.0.1:{closed} failed (Connection refused", notice, StringComparison.Ordinal);
        Assert.EndsWith("; connecting directly", notice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoProxyCoveringTheServer_AndNoProxyFlag_GoDirect()
    {
        await using var proxy = await TinyProxy.StartAsync(_dir);
        var viaNoProxy = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Url, ["NO_PROXY"] = "example.com,127.0.0.1" });
        var viaFlag = await Goplay.RunAsync(app.BaseAddress, ["--no-proxy", "run", Hello()], env: new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Url });

        Assert.Equal((0, "via proxy\n"), (viaNoProxy.ExitCode, viaNoProxy.Stdout));
        Assert.Equal((0, "via proxy\n"), (viaFlag.ExitCode, viaFlag.Stdout));
        Assert.DoesNotContain($"127.0.0.1:{ServerPort}", await proxy.LogAsync(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port, Process process, Func<string> log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"The proxy did not start: {log()}");
            }
        }
    }

    /// <summary>Debian's tinyproxy on a free port, logging every request.</summary>
    private sealed class TinyProxy : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _log;

        private TinyProxy(Process process, string log, int port)
        {
            _process = process;
            _log = log;
            Url = $"http://127.0.0.1:{port}";
        }

        public string Url { get; }

        public static async Task<TinyProxy> StartAsync(string dir)
        {
            if (!File.Exists("/usr/bin/tinyproxy"))
            {
                throw new InvalidOperationException("No /usr/bin/tinyproxy. " + HowToProvide);
            }

            var port = FreePort();
            var log = Path.Combine(dir, $"tinyproxy-{port}.log");
            var config = Path.Combine(dir, $"tinyproxy-{port}.conf");
            // No ConnectPort line: CONNECT is allowed to any port (the server's is random).
            await File.WriteAllTextAsync(config, $"""
                User nobody
                Group nogroup
                Port {port}
                Listen 127.0.0.1
                Timeout 60
                LogFile "{log}"
                LogLevel Connect
                MaxClients 20
                Allow 127.0.0.1
                DisableViaHeader Yes

                """);
            File.WriteAllText(log, "");
            File.SetUnixFileMode(log, (UnixFileMode)0b110_110_110);
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
            var process = Process.Start(new ProcessStartInfo("/usr/bin/tinyproxy", ["-d", "-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var proxy = new TinyProxy(process, log, port);
            await WaitForPortAsync(port, process, () => File.ReadAllText(log));
            return proxy;
        }

        public async Task<string> LogAsync() => await File.ReadAllTextAsync(_log);

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }

    /// <summary>Debian's microsocks (SOCKS5) on a free port; it logs each connection on stderr.</summary>
    private sealed class MicroSocks : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _log = new();

        private MicroSocks(Process process, int port)
        {
            _process = process;
            Url = $"socks5://127.0.0.1:{port}";
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
        }

        public string Url { get; }

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

        public static async Task<MicroSocks> StartAsync()
        {
            if (!File.Exists("/usr/bin/microsocks"))
            {
                throw new InvalidOperationException("No /usr/bin/microsocks. " + HowToProvide);
            }

            var port = FreePort();
            var process = Process.Start(new ProcessStartInfo("/usr/bin/microsocks", ["-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var proxy = new MicroSocks(process, port);
            await WaitForPortAsync(port, process, () => proxy.Log);
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_log)
                {
                    _log.Append(line).Append('\n');
                }
            }
        }
    }
}
