using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Edge;

/// <summary>Playground.Proxy (YARP) in front of two real Playground.Web processes.</summary>
[Collection(WebAppTests.Name)]
public sealed class EdgeProxyTests
{
    private const string Hello = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"through the edge\") }\n";

    private static Task<WebProcess> StartWebAsync(string name) => WebProcess.StartAsync(
        "--Sandbox:InstanceName=" + TestOwner.Name("edge-" + name), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
        // Each request in the log, to see which instance served it.
        "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information");

    private static string[] Cluster(string id, IEnumerable<WebProcess> destinations, string? failover = null) =>
    [
        // web1 replaces the destination appsettings.json gives the default cluster.
        .. destinations.Select((d, i) => $"--ReverseProxy:Clusters:{id}:Destinations:web{i + 1}:Address={d.BaseAddress}"),
        $"--ReverseProxy:Clusters:{id}:SessionAffinity:Enabled=true",
        $"--ReverseProxy:Clusters:{id}:SessionAffinity:AffinityKeyName=.GoPlay.Affinity.{id}",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Active:Enabled=true",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Active:Interval=00:00:01",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Active:Timeout=00:00:01",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Active:Policy=ConsecutiveFailures",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Active:Path=/health/ready",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Passive:Enabled=true",
        $"--ReverseProxy:Clusters:{id}:HealthCheck:Passive:Policy=TransportFailureRate",
        // With a failover cluster, no healthy destination must mean none (not YARP's "panic": all).
        .. failover is null ? Array.Empty<string>() : [$"--ReverseProxy:Clusters:{id}:Metadata:Failover={failover}", $"--ReverseProxy:Clusters:{id}:HealthCheck:AvailableDestinationsPolicy=HealthyAndUnknown"],
    ];

    private static async Task<List<RunEvent>> HubRunAsync(Uri edge, HttpTransportType transport)
    {
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(edge, "/hubs/run"), transport).Build();
        await connection.StartAsync();
        var stdin = Channel.CreateUnbounded<string>();
        stdin.Writer.Complete();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var events = new List<RunEvent>();
        await foreach (var e in connection.StreamAsync<RunEvent>("Run", new RunRequest { Source = Hello }, stdin.Reader, timeout.Token))
        {
            events.Add(e);
        }

        return events;
    }

    private static void AssertRan(List<RunEvent> events)
    {
        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        Assert.Equal("through the edge\n", string.Concat(events.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)));
    }

    /// <summary>Waits until the edge answers a run of requests in a row (health checks have settled).</summary>
    private static async Task SettleAsync(HttpClient http, Uri edge, Dictionary<string, string>? headers = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var streak = 0;
        while (streak < 5)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge, "/version"));
            foreach (var (k, v) in headers ?? [])
            {
                request.Headers.Add(k, v);
            }

            using var response = await http.SendAsync(request);
            streak = response.IsSuccessStatusCode ? streak + 1 : 0;
            Assert.True(DateTime.UtcNow < deadline, "the edge never settled");
            await Task.Delay(streak == 0 ? 500 : 50);
        }
    }

    /// <summary>Whether the process logged the text within a few seconds (the console logger writes asynchronously).</summary>
    private static async Task<bool> LoggedAsync(WebProcess process, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!process.Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    private static async Task<string> ProbeAsync(HttpClient http, Uri edge, Dictionary<string, string>? headers = null)
    {
        var probe = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge, "/version?probe=" + probe));
        foreach (var (k, v) in headers ?? [])
        {
            request.Headers.Add(k, v);
        }

        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return probe;
    }

    [Fact]
    public async Task TwoInstances_EveryTransportWorks_AndStoppingOneMovesNewConnections()
    {
        var a = await StartWebAsync("a");
        await using var b = await StartWebAsync("b");
        await using var edge = await WebProcess.StartProxyAsync(Cluster("web", [a, b]));
        using var http = new HttpClient();
        try
        {
            await SettleAsync(http, edge.BaseAddress);

            AssertRan(await HubRunAsync(edge.BaseAddress, HttpTransportType.WebSockets));
            AssertRan(await HubRunAsync(edge.BaseAddress, HttpTransportType.LongPolling));
            AssertRan(await HubRunAsync(edge.BaseAddress, HttpTransportType.ServerSentEvents));

            await using (var ws = await WebSocketClient.ConnectAsync(edge.BaseAddress, "/ws/v1/run"))
            {
                await ws.SendJsonAsync(new { type = "run", request = new { source = Hello } });
                var events = await ws.ReceiveRunAsync();
                Assert.Equal("exited", events[^1].GetProperty("outcome").GetString());
            }

            using var compiled = await http.PostAsync(new Uri(edge.BaseAddress, "/compile"), new FormUrlEncodedContent(new Dictionary<string, string> { ["body"] = Hello, ["version"] = "2" }));
            Assert.Equal(HttpStatusCode.OK, compiled.StatusCode);
            var reply = await compiled.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("through the edge\n", reply.GetProperty("Events")[0].GetProperty("Message").GetString());
        }
        finally
        {
            await a.DisposeAsync();
        }

        // A is gone: after the health checks notice, everything new lands on B.
        await SettleAsync(http, edge.BaseAddress);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await LoggedAsync(b, await ProbeAsync(http, edge.BaseAddress)), "a request after A stopped did not reach B");
        }

        AssertRan(await HubRunAsync(edge.BaseAddress, HttpTransportType.WebSockets));
        AssertRan(await HubRunAsync(edge.BaseAddress, HttpTransportType.LongPolling));
    }

    [Fact]
    public async Task RegionHeader_RoutesToItsCluster_AndFailsOverWhenItIsDown()
    {
        var eu = await StartWebAsync("eu");
        await using var us = await StartWebAsync("us");
        await using var edge = await WebProcess.StartProxyAsync(
        [
            .. Cluster("eu", [eu], failover: "us"),
            .. Cluster("us", [us], failover: "eu"),
            "--ReverseProxy:Routes:eu:ClusterId=eu", "--ReverseProxy:Routes:eu:Match:Path={**catch-all}",
            "--ReverseProxy:Routes:eu:Match:Headers:0:Name=x-region", "--ReverseProxy:Routes:eu:Match:Headers:0:Values:0=eu",
            "--ReverseProxy:Routes:us:ClusterId=us", "--ReverseProxy:Routes:us:Match:Path={**catch-all}",
            "--ReverseProxy:Routes:us:Match:Headers:0:Name=x-region", "--ReverseProxy:Routes:us:Match:Headers:0:Values:0=us",
        ]);
        using var http = new HttpClient();
        var toEu = new Dictionary<string, string> { ["x-region"] = "eu" };
        var toUs = new Dictionary<string, string> { ["x-region"] = "us" };
        try
        {
            await SettleAsync(http, edge.BaseAddress, toEu);
            await SettleAsync(http, edge.BaseAddress, toUs);
            var euProbe = await ProbeAsync(http, edge.BaseAddress, toEu);
            var usProbe = await ProbeAsync(http, edge.BaseAddress, toUs);
            Assert.True(await LoggedAsync(eu, euProbe), "x-region: eu did not reach eu");
            Assert.True(await LoggedAsync(us, usProbe), "x-region: us did not reach us");
            Assert.DoesNotContain(euProbe, us.Log, StringComparison.Ordinal);
        }
        finally
        {
            await eu.DisposeAsync();
        }

        // eu is down: its requests go to us.
        await SettleAsync(http, edge.BaseAddress, toEu);
        var failedOver = await ProbeAsync(http, edge.BaseAddress, toEu);
        Assert.True(await LoggedAsync(us, failedOver), "x-region: eu did not fail over to us");
        Assert.True(await LoggedAsync(edge, "Cluster eu has no healthy destination"), "the edge did not log the failover");
    }

    [Fact]
    public async Task RateLimit_BeyondTheLimit_429WithRetryAfter()
    {
        await using var web = await StartWebAsync("rl");
        await using var edge = await WebProcess.StartProxyAsync([.. Cluster("web", [web]), "--RateLimit:PermitLimit=3", "--RateLimit:Window=00:00:30"]);
        using var http = new HttpClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4; i++)
        {
            var response = await http.GetAsync(new Uri(edge.BaseAddress, "/version"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.InRange(int.Parse(limited!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 30);
        Assert.StartsWith("Too many requests from this address: the limit is 3 per 30 s.", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The edge's own module route counts too (it answered 25 of 25 while the rest said 429).
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.GetAsync(new Uri(edge.BaseAddress, "/gomod/example.com/x/@v/list"))).StatusCode);
        // Health stays reachable for the orchestrator.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(edge.BaseAddress, "/proxy/health/live"))).StatusCode);
    }
}
