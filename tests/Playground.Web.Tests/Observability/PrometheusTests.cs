using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Observability;

/// <summary>A real Prometheus server scrapes a real Playground.Web process while it runs programs.</summary>
[Collection(WebAppTests.Name)]
public sealed class PrometheusTests
{
    private static readonly TimeSpan ScrapeLimit = TimeSpan.FromSeconds(45);

    private static string Program(string body) => "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\t" + body + "\n}\n\nvar _ = fmt.Sprint\nvar _ = os.Exit\n";

    [Fact]
    public async Task Runs_CountersAndDurationHistogramsByOutcome_AsPrometheusScrapesThem()
    {
        // Arrange: a Web process whose /metrics is on its own port, and Prometheus scraping it.
        await using var web = await WebProcess.StartWithMetricsPortAsync(
            "Playground.Web", "--Sandbox:InstanceName=" + TestOwner.Name("prometheus"), "--Sandbox:RunnerPoolSize=1", "--Sandbox:BuilderPoolSize=1");
        await using var prometheus = await RealPrometheus.StartAsync(("goplay-web", web.MetricsAddress));
        await prometheus.WaitForValueAsync("up{job=\"goplay-web\"}", 1, ScrapeLimit);
        Assert.Null(await prometheus.ValueAsync("sum(playground_runs_total)"));

        // Act: four runs over HTTP (/compile, playback) with three outcomes, one over SignalR.
        Assert.Equal(0, (await web.CompileAsync(Program("fmt.Println(\"one\")"))).GetProperty("Status").GetInt32());
        Assert.Equal(3, (await web.CompileAsync(Program("fmt.Println(\"two\"); os.Exit(3)"))).GetProperty("Status").GetInt32());
        Assert.NotEmpty((await web.CompileAsync(Program("undefinedCall()"))).GetProperty("Errors").GetString()!);
        // Playback has a 5 s wall-time limit: a busy loop times out (reported as the last event, as upstream does).
        var timedOut = await web.CompileAsync(Program("for {}"));
        Assert.Equal("timeout running program", timedOut.GetProperty("Events").EnumerateArray().Last().GetProperty("Message").GetString());
        await using (var hub = await web.ConnectAsync())
        {
            var stdin = Channel.CreateUnbounded<string>();
            stdin.Writer.Complete();
            var events = new List<RunEvent>();
            await foreach (var e in hub.StreamAsync<RunEvent>("Run", new RunRequest { Source = Program("fmt.Println(\"live\")") }, stdin.Reader))
            {
                events.Add(e);
            }

            Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        }

        // Assert: Prometheus' own view, through its query API.
        await prometheus.WaitForValueAsync("sum(playground_runs_total)", 5, ScrapeLimit);
        Assert.Equal(2, await prometheus.ValueAsync("playground_runs_total{outcome=\"exited\",transport=\"http\"}"));
        Assert.Equal(1, await prometheus.ValueAsync("playground_runs_total{outcome=\"build-error\",transport=\"http\"}"));
        Assert.Equal(1, await prometheus.ValueAsync("playground_runs_total{outcome=\"timeout\",transport=\"http\"}"));
        Assert.Equal(1, await prometheus.ValueAsync("playground_runs_total{outcome=\"exited\",transport=\"signalr\"}"));

        // Run durations by outcome: a build error never ran, so it has no run duration.
        Assert.Equal(3, await prometheus.ValueAsync("sum(playground_run_duration_seconds_count{outcome=\"exited\"})"));
        Assert.Equal(1, await prometheus.ValueAsync("sum(playground_run_duration_seconds_count{outcome=\"timeout\"})"));
        Assert.Null(await prometheus.ValueAsync("sum(playground_run_duration_seconds_count{outcome=\"build-error\"})"));
        // The timed-out run took the 5 s limit: not in the 2.5 s bucket, in the 10 s one.
        Assert.Equal(0, await prometheus.ValueAsync("sum(playground_run_duration_seconds_bucket{outcome=\"timeout\",le=\"2.5\"})"));
        // Prometheus stores whole bounds as the exposition wrote them ("10" in text format, "10.0" in OpenMetrics).
        Assert.Equal(1, await prometheus.ValueAsync("sum(playground_run_duration_seconds_bucket{outcome=\"timeout\",le=~\"10(\\\\.0)?\"})"));
        Assert.InRange((await prometheus.ValueAsync("sum(playground_run_duration_seconds_sum{outcome=\"timeout\"})"))!.Value, 4.5, 10);
        // The quick programs finished within a second each.
        Assert.Equal(3, await prometheus.ValueAsync("sum(playground_run_duration_seconds_bucket{outcome=\"exited\",le=~\"1(\\\\.0)?\"})"));

        // Four programs built (the build error is a failed build, not a duration of one), none from the cache.
        Assert.Equal(4, await prometheus.ValueAsync("sum(playground_build_duration_seconds_count)"));
        Assert.Equal(0, await prometheus.ValueAsync("sum(playground_build_cache_total{result=\"hit\"})"));
        Assert.Equal(5, await prometheus.ValueAsync("sum(playground_build_cache_total{result=\"miss\"})"));
        Assert.Equal(5, await prometheus.ValueAsync("sum(playground_queue_wait_seconds_count)"));
        var quantile = await prometheus.ValueAsync("histogram_quantile(0.5, sum by (le) (playground_build_duration_seconds_bucket))");
        Assert.InRange(quantile!.Value, 0.001, 15);
    }

    private static int Connections(string exposition, string transport) => exposition.Split('\n')
        .Where(l => l.StartsWith("playground_connections{", StringComparison.Ordinal) && l.Contains($"transport=\"{transport}\"", StringComparison.Ordinal))
        .Select(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
        .Single();

    private static async Task<int> ConnectionsSettleAsync(HttpClient http, WebProcess web, string transport, int expected)
    {
        var now = -1;
        await Poll.UntilAsync(async () => (now = Connections(await http.GetStringAsync(web.MetricsAddress), transport)) == expected, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        return now;
    }

    [Fact]
    public async Task MetricsPort_ServesMetricsAndNothingElse()
    {
        await using var web = await WebProcess.StartWithMetricsPortAsync(
            "Playground.Web", "--Sandbox:InstanceName=" + TestOwner.Name("metrics-port"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0");
        using var http = new HttpClient();

        using var internalPort = await http.GetAsync(web.MetricsAddress);
        using var publicPort = await http.GetAsync(new Uri(web.BaseAddress, "/metrics"));

        Assert.Equal(HttpStatusCode.OK, internalPort.StatusCode);
        Assert.Contains("# TYPE playground_queue_length gauge", await internalPort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicPort.StatusCode);
        // Open connections by transport: one SignalR connection while it is open, none after.
        // The server counts it in OnConnectedAsync, which may run just after the client's start completes.
        Assert.Equal(0, Connections(await http.GetStringAsync(web.MetricsAddress), "signalr"));
        var hub = await web.ConnectAsync();
        Assert.Equal(1, await ConnectionsSettleAsync(http, web, "signalr", 1));
        await hub.DisposeAsync();
        Assert.Equal(0, await ConnectionsSettleAsync(http, web, "signalr", 0));

        // The metrics port is opened to the scraper only: the application is not behind it.
        foreach (var path in new[] { "/", "/health/live", "/compile", "/index.html" })
        {
            using var other = await http.GetAsync(new Uri(web.MetricsAddress, path));
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }
    }
}
