using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Containers;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Modules;

/// <summary>
/// Third-party imports end to end: the hub, builders without network, the in-process GOPROXY
/// route on its unix socket, the on-disk cache, a real tinyproxy as the corporate proxy, and
/// an upstream serving real module zips.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class ModuleProxyTests : IAsyncLifetime
{
    private const string UsesGreet = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(\"gopher\")) }\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("goplay-modules-test-").FullName;
    private GoProxyUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await GoProxyUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<WebProcess> StartWebAsync(params string[] extra) => WebProcess.StartAsync(
    [
        "--Sandbox:InstanceName=" + TestOwner.Name("modules"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
        "--Modules:Upstream=" + _upstream.Url, "--Modules:ChecksumDatabase=off", "--Modules:CacheDirectory=" + Path.Combine(_dir, "cache-" + Guid.NewGuid().ToString("N")[..6]),
        .. extra,
    ]);

    private static async Task<List<RunEvent>> RunThroughHubAsync(WebProcess web, RunRequest request)
    {
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(web.BaseAddress, "/hubs/run")).AddJsonProtocol().Build();
        await connection.StartAsync();
        var stdin = Channel.CreateUnbounded<string>();
        stdin.Writer.Complete();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = new List<RunEvent>();
        await foreach (var e in connection.StreamAsync<RunEvent>("Run", request, stdin.Reader, timeout.Token))
        {
            events.Add(e);
        }

        return events;
    }

    private static RunRequest Source(string source) => new() { Source = source };

    private static string Describe(List<RunEvent> events) => string.Join(" | ", events.Select(e => $"{e.Kind}:{e.Outcome}:{e.Data}"));

    [Fact]
    public async Task ThirdPartyImport_ThroughTheHub_RunsAndTheSecondBuildUsesTheCache()
    {
        await using var web = await StartWebAsync();

        // A single file with an import: go.mod is made for it and the version resolved (as go.dev).
        var first = await RunThroughHubAsync(web, Source(UsesGreet));
        Assert.True(first[^1].Outcome == RunOutcome.Exited, Describe(first));
        Assert.Equal("Hello, gopher from example.com/greet v1.0.0\n", string.Concat(first.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)));
        Assert.Contains("/example.com/greet/@v/v1.0.0.zip", _upstream.Requests);
        var fetched = _upstream.Requests.Count;

        // Another program (so not a cached binary) with its own go.mod pinning the version.
        var second = await RunThroughHubAsync(web, Source(UsesGreet.Replace("gopher", "again", StringComparison.Ordinal) +
            "-- go.mod --\nmodule play\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n"));
        Assert.True(second[^1].Outcome == RunOutcome.Exited, Describe(second));
        Assert.Equal("Hello, again from example.com/greet v1.0.0\n", string.Concat(second.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)));
        Assert.Equal(fetched, _upstream.Requests.Count);
    }

    [Fact]
    public async Task ModuleBuild_LeavesNothingInThePooledBuilder()
    {
        // The go command leaves its module cache read-only: a pooled builder's /tmp filled with
        // module trees until the next user's hello world failed with "no space left on device".
        await using var web = await StartWebAsync("--Sandbox:BuilderPoolSize=1");
        var hitsBefore = await BuilderHitsAsync(web);

        var run = await RunThroughHubAsync(web, Source("package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/messy\"\n)\n\nfunc main() { fmt.Println(messy.Hello()) }\n"));

        Assert.True(run[^1].Outcome == RunOutcome.Exited, Describe(run));
        Assert.True(await BuilderHitsAsync(web) > hitsBefore, "the build did not use a pooled builder");
        var builders = (await DockerCheck.ManagedContainersAsync(web.Owner)).Where(c => c.Labels[SandboxLabels.Role] == "builder" && c.State == "running").ToList();
        Assert.NotEmpty(builders);
        foreach (var builder in builders)
        {
            // The builder image has no shell or ls; gofmt lists the module's unformatted file if any copy is left.
            var (code, output) = await ExecAsync(builder.ID, "/goroot/bin/gofmt", "-l", "/tmp");
            Assert.True(code == 0 && output.Length == 0, $"builder {builder.ID[..12]} still holds: {output}");
        }
    }

    private static async Task<long> BuilderHitsAsync(WebProcess web)
    {
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(web.MetricsAddress, "/metrics"));
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("playground_builders_takes_total{", StringComparison.Ordinal) && l.Contains("result=\"hit\"", StringComparison.Ordinal));
        return line is null ? 0 : (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(int Code, string Output)> ExecAsync(string container, params string[] command)
    {
        var start = new System.Diagnostics.ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["exec", container, .. command])
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Trim());
    }

    [Fact]
    public async Task DeniedModule_BuildFailsWithTheReason()
    {
        await using var web = await StartWebAsync("--Modules:Deny:0=example.com/evil");
        var events = await RunThroughHubAsync(web, Source("package main\n\nimport \"example.com/evil\"\n\nfunc main() { println(evil.Hello(\"x\")) }\n"));

        Assert.Equal(RunOutcome.BuildError, events[^1].Outcome);
        Assert.Contains("module example.com/evil is not allowed on this playground (denied by Modules:Deny pattern example.com/evil)", events[^1].Data, StringComparison.Ordinal);
        Assert.DoesNotContain(_upstream.Requests, r => r.Contains("evil", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingModule_OverCompile_NamesTheModuleAndTheReason_NotTheRelay()
    {
        // The go command's error named the builder's loopback relay and the route's status:
        // "reading http://127.0.0.1:8642/gomod/…: 502 Bad Gateway".
        await using var web = await StartWebAsync();
        using var http = new HttpClient();
        async Task<string> ErrorsAsync(string source)
        {
            using var answer = await http.PostAsync(new Uri(web.BaseAddress, "/compile"), new FormUrlEncodedContent(new Dictionary<string, string> { ["version"] = "2", ["body"] = source }));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("Errors").GetString()!;
        }

        var missing = await ErrorsAsync("package main\n\nimport \"example.com/nothere\"\n\nfunc main() { nothere.Hello() }\n" +
            "-- go.mod --\nmodule play\n\ngo 1.19\n\nrequire example.com/nothere v1.2.3\n");
        Assert.Equal("go: downloading example.com/nothere v1.2.3\nprog.go:3:8: example.com/nothere@v1.2.3: not found: example.com/nothere/@v/v1.2.3.zip\n", missing);

        // The upstream gone: the reason, without its address or the exception's.
        await _upstream.DisposeAsync();
        var unreachable = await ErrorsAsync("package main\n\nimport \"example.com/other\"\n\nfunc main() { other.Hello(\"x\") }\n");
        _upstream = await GoProxyUpstream.StartAsync();
        Assert.Equal("go: finding module for package example.com/other\nprog.go:3:8: module example.com/other: the module proxy could not be reached; try again later\n", unreachable);
    }

    [Fact]
    public async Task CorporateProxy_UsedThenDown_FallsBackDirectAndSaysSo()
    {
        await using var proxy = await RealProxies.TinyProxy.StartAsync(_dir);
        await using var web = await StartWebAsync("--Modules:Proxy=" + proxy.Url, "--Modules:ProxyCooldown=00:00:01");

        var viaProxy = await RunThroughHubAsync(web, Source(UsesGreet));
        Assert.True(viaProxy[^1].Outcome == RunOutcome.Exited, Describe(viaProxy));
        Assert.Contains($"GET {_upstream.Url}example.com/greet/@v/v1.0.0.zip", await proxy.LogAsync(), StringComparison.Ordinal);

        // The proxy goes away: the next module still arrives, directly, and the server says so.
        await proxy.DisposeAsync();
        var direct = await RunThroughHubAsync(web, Source(UsesGreet.Replace("example.com/greet", "example.com/other", StringComparison.Ordinal).Replace("greet.Hello", "other.Hello", StringComparison.Ordinal)));
        Assert.True(direct[^1].Outcome == RunOutcome.Exited, Describe(direct));
        Assert.Contains("/example.com/other/@v/v1.0.0.zip", _upstream.Requests);
        Assert.Contains($"Module proxy {proxy.Url} failed", web.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoProxyCoveringTheUpstream_GoesDirect()
    {
        await using var proxy = await RealProxies.TinyProxy.StartAsync(_dir);
        await using var web = await StartWebAsync("--Modules:Proxy=" + proxy.Url, "--Modules:NoProxy=127.0.0.1");

        var events = await RunThroughHubAsync(web, Source(UsesGreet));
        Assert.True(events[^1].Outcome == RunOutcome.Exited, Describe(events));
        Assert.Contains("/example.com/greet/@v/v1.0.0.zip", _upstream.Requests);
        Assert.DoesNotContain(_upstream.Url.Authority, await proxy.LogAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandaloneProxy_ServesTheSameRouteOverHttp_WithItsCache()
    {
        await using var proxy = await WebProcess.StartProxyAsync(
            "--Modules:Upstream=" + _upstream.Url, "--Modules:ChecksumDatabase=off", "--Modules:CacheDirectory=" + Path.Combine(_dir, "proxy-cache"));
        using var http = new HttpClient();

        var zipUrl = new Uri(proxy.BaseAddress, "/gomod/example.com/greet/@v/v1.0.0.zip");
        var first = await http.GetByteArrayAsync(zipUrl);
        var fetched = _upstream.Requests.Count;
        var second = await http.GetByteArrayAsync(zipUrl);

        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_upstream.Root, "example.com", "greet", "@v", "v1.0.0.zip")), first);
        Assert.Equal(first, second);
        Assert.Equal(fetched, _upstream.Requests.Count);
        Assert.Equal("v1.0.0\n", await http.GetStringAsync(new Uri(proxy.BaseAddress, "/gomod/example.com/greet/@v/list")));
        using var missing = await http.GetAsync(new Uri(proxy.BaseAddress, "/gomod/example.com/nothere/@v/list"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Cache_HeldToItsSize_LeastRecentlyUsedGoFirst()
    {
        // The module cache kept every version ever fetched.
        string[] modules = ["greet", "other", "evil", "messy"];
        var largest = modules.Max(m => new FileInfo(Path.Combine(_upstream.Root, "example.com", m, "@v", "v1.0.0.zip")).Length);
        var capacity = largest * 5 / 2; // two zips, not three
        var cache = Path.Combine(_dir, "capped-cache");
        await using var proxy = await WebProcess.StartProxyAsync(
            "--Modules:Upstream=" + _upstream.Url, "--Modules:ChecksumDatabase=off", "--Modules:CacheDirectory=" + cache,
            "--Modules:CacheBytes=" + capacity, "--Modules:MaxZipBytes=" + capacity);
        using var http = new HttpClient();
        Uri Zip(string module) => new(proxy.BaseAddress, $"/gomod/example.com/{module}/@v/v1.0.0.zip");
        int Fetches(string module) => _upstream.Requests.Count(r => r == $"/example.com/{module}/@v/v1.0.0.zip");
        long CacheSize() => new DirectoryInfo(cache).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

        foreach (var module in modules)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_upstream.Root, "example.com", module, "@v", "v1.0.0.zip")), await http.GetByteArrayAsync(Zip(module)));
            Assert.InRange(CacheSize(), 1, capacity);
        }

        // The oldest went and is fetched again; the newest stayed and is served from the cache.
        await http.GetByteArrayAsync(Zip("greet"));
        Assert.Equal(2, Fetches("greet"));
        await http.GetByteArrayAsync(Zip("messy"));
        Assert.Equal(1, Fetches("messy"));
        Assert.InRange(CacheSize(), 1, capacity);
    }

    [Fact]
    public async Task SocketDirectory_PrivateToBuilders_AndAKilledProcessesLeftoverRemoved()
    {
        // A crash left a world-writable socket folder in /tmp, and the socket let every local
        // user in.
        var owner = TestOwner.Name("modsock");
        var leftover = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"goplay-modules-{owner}-2147483646-deadbeef")).FullName;
        await File.WriteAllTextAsync(Path.Combine(leftover, "modules.sock"), "");

        await using var web = await WebProcess.StartDefaultReadyAsync("--Sandbox:InstanceName=" + owner, "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0");

        Assert.False(Directory.Exists(leftover), "the killed process's socket folder is still there");
        var socket = System.Text.RegularExpressions.Regex.Match(web.Log, @"Module proxy for builders listening on (\S+)").Groups[1].Value;
        Assert.True(File.Exists(socket), web.Log);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", socket]) { RedirectStandardOutput = true })!;
        Assert.Equal("65534", (await stat.StandardOutput.ReadToEndAsync()).Trim());
    }

    [Fact]
    public async Task OddPathsAndQueries_NeverReachTheUpstream()
    {
        // The route passed a "?" or "#" inside a version, and any path under sumdb/, upstream.
        await using var proxy = await WebProcess.StartProxyAsync(
            "--Modules:Upstream=" + _upstream.Url, "--Modules:ChecksumDatabase=sum.golang.org", "--Modules:CacheDirectory=" + Path.Combine(_dir, "odd-cache"));
        using var http = new HttpClient();
        string[] odd =
        [
            "/gomod/example.com/greet/@v/v1.0.0%3Fx=1.zip",
            "/gomod/example.com/greet/@v/v1.0.0%23frag.mod",
            "/gomod/example.com/greet/@v/v1.0.0.zip%3Fx",
            "/gomod/sumdb/sum.golang.org/anything/else",
            "/gomod/sumdb/sum.golang.org/lookup/example.com/greet@v1.0.0%3Fq=1",
            "/gomod/sumdb/sum.golang.org/tile/8/0/../../x",
        ];
        foreach (var path in odd)
        {
            using var answer = await http.GetAsync(new Uri(proxy.BaseAddress, path));
            Assert.True(answer.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)answer.StatusCode}");
        }

        Assert.DoesNotContain(_upstream.Requests, r => r.Contains("anything", StringComparison.Ordinal) || r.Contains("frag", StringComparison.Ordinal) || r.Contains('?', StringComparison.Ordinal) || r.Contains("x=1", StringComparison.Ordinal));

        // What the protocols name still goes through.
        using var supported = await http.GetAsync(new Uri(proxy.BaseAddress, "/gomod/sumdb/sum.golang.org/supported"));
        using var lookup = await http.GetAsync(new Uri(proxy.BaseAddress, "/gomod/sumdb/sum.golang.org/lookup/example.com/greet@v1.0.0"));
        Assert.Contains("/sumdb/sum.golang.org/supported", _upstream.Requests);
        Assert.Contains("/sumdb/sum.golang.org/lookup/example.com/greet@v1.0.0", _upstream.Requests);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(proxy.BaseAddress, "/gomod/example.com/greet/@v/v1.0.0.mod"))).StatusCode);
    }
}
