using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Playground.Deploy.Tests.Compose;

/// <summary>
/// docker-compose.yml on this machine's engine, as README's "docker compose" section runs it:
/// <c>scripts/compose.sh up</c> (base images produced locally, no registry), a program run through
/// the proxy, Prometheus scraping both services, and <c>scripts/compose.sh down</c> leaving
/// nothing behind. The steps share one stack and run in order; down is the last.
/// </summary>
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed partial class ComposeTests(ComposeDeployment stack, ITestOutputHelper output) : IClassFixture<ComposeDeployment>
{
    private const string Program = """
        package main

        import (
        	"fmt"
        	"time"
        )

        func main() {
        	fmt.Println("hello from compose")
        	time.Sleep(time.Second)
        	fmt.Println("a second later")
        }
        """;

    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(90);

    [Fact, Step(1)]
    public async Task Compile_ThroughTheProxy_RunsTheProgramInTheSandbox()
    {
        // How long each step of `up` took, for the CI log (the script times them).
        foreach (var line in stack.Up!.Output.Split('\n').Where(l => l.Contains("[compose]", StringComparison.Ordinal)))
        {
            output.WriteLine(AnsiEscape().Replace(line, string.Empty));
        }

        using var http = new HttpClient { BaseAddress = stack.ProxyAddress, Timeout = TimeSpan.FromMinutes(2) };
        // The published port must be the proxy's (Web publishes none), or this would not test the edge.
        using var proxyLive = await http.GetAsync(new Uri("proxy/health/live", UriKind.Relative));
        Assert.True(proxyLive.IsSuccessStatusCode, $"/proxy/health/live answered {(int)proxyLive.StatusCode}");

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["body"] = Program, ["version"] = "2" });
        using var response = await http.PostAsync(new Uri("compile", UriKind.Relative), form);
        var json = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, $"/compile answered {(int)response.StatusCode}: {json}\n{await stack.LogsAsync()}");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(string.Empty, doc.RootElement.GetProperty("Errors").GetString());
        var events = doc.RootElement.GetProperty("Events").EnumerateArray()
            .Select(e => (e.GetProperty("Message").GetString(), e.GetProperty("Kind").GetString(), e.GetProperty("Delay").GetInt64()))
            .ToArray();
        // Playback mode: the sleep costs no wall time but shows as the second event's delay.
        Assert.Equal(
            [("hello from compose\n", "stdout", 0L), ("a second later\n", "stdout", 1_000_000_000L)],
            events);
    }

    [Fact, Step(2)]
    public async Task Share_ThroughTheProxy_StoresTheSnippetInTheDataDirectory()
    {
        using var http = new HttpClient { BaseAddress = stack.ProxyAddress, Timeout = TimeSpan.FromMinutes(1) };
        using var body = new StringContent(Program);

        using var shared = await http.PostAsync(new Uri("share", UriKind.Relative), body);
        var id = await shared.Content.ReadAsStringAsync();
        var stored = await http.GetStringAsync(new Uri($"p/{id}.go", UriKind.Relative));

        Assert.True(shared.IsSuccessStatusCode, $"/share answered {(int)shared.StatusCode}: {id}");
        Assert.Equal(Program, stored);
        // On the host, where backups find it and down leaves it.
        Assert.True(File.Exists(stack.SnippetDatabase), $"{stack.SnippetDatabase} does not exist");
    }

    [Fact, Step(3)]
    public async Task Prometheus_AfterUp_ScrapesWebAndProxy()
    {
        using var http = new HttpClient { BaseAddress = stack.PrometheusAddress, Timeout = TimeSpan.FromSeconds(30) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Dictionary<string, (string Health, string Error)> targets;
        do
        {
            // Targets are "unknown" until their first scrape (every 10 s, deploy/prometheus/prometheus.yml).
            targets = await TargetsAsync(http);
            if (targets.GetValueOrDefault("web").Health == "up" && targets.GetValueOrDefault("proxy").Health == "up")
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        while (clock.Elapsed < ScrapeWait);

        var report = string.Join("; ", targets.Select(t => $"{t.Key}: {t.Value.Health} {t.Value.Error}"));
        Assert.True(targets.ContainsKey("web") && targets.ContainsKey("proxy"), "Prometheus targets: " + report);
        Assert.True(targets["web"].Health == "up", $"web's /metrics is not scraped after {ScrapeWait}: {report}");
        Assert.True(targets["proxy"].Health == "up", $"proxy's /metrics is not scraped after {ScrapeWait}: {report}");
    }

    [Fact, Step(4)]
    public async Task Proxy_InTheStack_RunsAsTheNonRootAppUser()
    {
        var proxy = Assert.Single(await HostCommand.DockerLinesAsync(
            "ps", "-q", "--filter", $"label=com.docker.compose.project={ComposeDeployment.Project}", "--filter", "label=com.docker.compose.service=proxy"));

        var uid = await HostCommand.DockerLinesAsync("exec", proxy, "id", "-u");

        Assert.Equal(["1654"], uid);
    }

    [Fact, Step(5)]
    public async Task Down_AfterUse_LeavesNothingBehind()
    {
        // Web's pools keep started sandbox containers under its owner label; seeing them first
        // shows the label finds them, so "none after down" means something.
        var before = await OwnedSandboxContainersAsync();
        Assert.True(before.Count > 0, $"no sandbox containers labelled io.goplay.owner={ComposeDeployment.Instance} while the stack runs");

        var down = await stack.DownAsync();

        Assert.True(down.Succeeded, $"scripts/compose.sh down failed ({down.ExitCode}):\n{down.Tail()}");
        // The script's safety net did not have to act: Web removed its own containers and socket.
        Assert.DoesNotContain("WARNING", down.Output, StringComparison.Ordinal);
        Assert.Empty(await HostCommand.DockerLinesAsync("ps", "-aq", "--filter", $"label=com.docker.compose.project={ComposeDeployment.Project}"));
        Assert.Empty(await OwnedSandboxContainersAsync());
        Assert.Empty(await HostCommand.DockerLinesAsync("network", "ls", "-q", "--filter", $"label=com.docker.compose.project={ComposeDeployment.Project}"));
        Assert.Empty(await HostCommand.DockerLinesAsync("volume", "ls", "-q", "--filter", $"label=com.docker.compose.project={ComposeDeployment.Project}"));
        // Only the sandbox's Go build cache may be new: a cache kept like the images (README).
        var cache = (await HostCommand.DockerLinesAsync("volume", "ls", "-q", "--filter", "label=io.goplay.managed=true")).ToHashSet(StringComparer.Ordinal);
        var newVolumes = (await HostCommand.DockerLinesAsync("volume", "ls", "-q"))
            .Where(v => !stack.VolumesBefore.Contains(v) && !cache.Contains(v));
        Assert.Empty(newVolumes);
        Assert.False(File.Exists(stack.ModuleSocket), $"{stack.ModuleSocket} is still there");
        await AssertNothingListensAsync(stack.Port);
        await AssertNothingListensAsync(stack.PrometheusPort);
        // What down keeps by design: the data directory with the shared snippets.
        Assert.True(File.Exists(stack.SnippetDatabase), $"down removed {stack.SnippetDatabase}");
    }

    private static Task<IReadOnlyList<string>> OwnedSandboxContainersAsync() =>
        HostCommand.DockerLinesAsync("ps", "-aq", "--filter", "label=io.goplay.managed=true", "--filter", $"label=io.goplay.owner={ComposeDeployment.Instance}");

    private static async Task<Dictionary<string, (string Health, string Error)>> TargetsAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/v1/targets", UriKind.Relative)));
        return doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToDictionary(
            t => t.GetProperty("labels").GetProperty("job").GetString()!,
            t => (t.GetProperty("health").GetString()!, t.GetProperty("lastError").GetString()!),
            StringComparer.Ordinal);
    }

    private static async Task AssertNothingListensAsync(int port)
    {
        using var client = new TcpClient();
        var error = await Record.ExceptionAsync(() => client.ConnectAsync("127.0.0.1", port));
        Assert.True(error is SocketException, $"something still accepts connections on 127.0.0.1:{port} after down");
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
