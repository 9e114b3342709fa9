using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>Real proxies from Debian for the tests: tinyproxy (HTTP, CONNECT) and microsocks (SOCKS5).</summary>
public static class RealProxies
{
    private const string HowToProvide = "The proxy tests need tinyproxy and microsocks; the README's test command (scripts/test.sh) installs them with apt.";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForPortAsync(int port, Process process, Func<string> log)
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
    public sealed class TinyProxy : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _log;
        private int _disposed;

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
            // Tests stop a proxy midway to see the fallback; disposing twice is fine.
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
                _process.Dispose();
            }
        }
    }

    /// <summary>Debian's microsocks (SOCKS5) on a free port; it logs each connection on stderr.</summary>
    public sealed class MicroSocks : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _log = new();
        private int _disposed;

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
            // Tests stop a proxy midway to see the fallback; disposing twice is fine.
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
                _process.Dispose();
            }
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
