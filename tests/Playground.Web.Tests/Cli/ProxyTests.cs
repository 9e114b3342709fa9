using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Cli;

/// <summary>
/// goplay through real proxies from Debian: tinyproxy (HTTP, CONNECT) and microsocks (SOCKS5);
/// falling back to a direct connection when the proxy is down; NO_PROXY and --no-proxy.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class ProxyTests(WebAppFixture app) : IDisposable
{
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
        await using var proxy = await RealProxies.TinyProxy.StartAsync(_dir);
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
        await using var proxy = await RealProxies.MicroSocks.StartAsync();
        var run = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: new Dictionary<string, string> { ["ALL_PROXY"] = proxy.Url });

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("via proxy\n", run.Stdout);
        Assert.Contains($"connected to 127.0.0.1:{ServerPort}", proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProxyDown_FallsBackToDirectAndSaysSoOnce()
    {
        var closed = RealProxies.FreePort();
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
        await using var proxy = await RealProxies.TinyProxy.StartAsync(_dir);
        var viaNoProxy = await Goplay.RunAsync(app.BaseAddress, ["run", Hello()], env: new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Url, ["NO_PROXY"] = "example.com,127.0.0.1" });
        var viaFlag = await Goplay.RunAsync(app.BaseAddress, ["--no-proxy", "run", Hello()], env: new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Url });

        Assert.Equal((0, "via proxy\n"), (viaNoProxy.ExitCode, viaNoProxy.Stdout));
        Assert.Equal((0, "via proxy\n"), (viaFlag.ExitCode, viaFlag.Stdout));
        Assert.DoesNotContain($"127.0.0.1:{ServerPort}", await proxy.LogAsync(), StringComparison.Ordinal);
    }
}
