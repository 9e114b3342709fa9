using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Realtime;

/// <summary>The <c>/hubs/run</c> contract, through a real SignalR client.</summary>
[Collection(WebAppTests.Name)]
public sealed class RunHubTests(WebAppFixture app)
{
    private const string Hello = """
        package main

        import "fmt"

        func main() { fmt.Println("Hello, playground") }
        """;

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task Run_HelloWorld_StdoutAndExitedZero(HttpTransportType transport)
    {
        await using var connection = await app.ConnectAsync(transport);
        var stdin = Channel.CreateUnbounded<string>();
        stdin.Writer.Complete();

        var events = await CollectAsync(connection.StreamAsync<RunEvent>("Run", Request(Hello), stdin.Reader));

        Assert.Equal("Hello, playground\n", Assert.Single(events, e => e.Kind == RunEventKind.Stdout).Data);
        var exit = Assert.Single(events, e => e.IsFinal);
        Assert.Equal(RunEventKind.Exit, exit.Kind);
        Assert.Equal(RunOutcome.Exited, exit.Outcome);
        Assert.Equal(0, exit.ExitCode);
        // The first transport builds; the others find the same program in the binary cache.
        Assert.True(events[0].Kind == RunEventKind.Building || events[0] is { Kind: RunEventKind.Built, Cached: true });
    }

    [Theory]
    [InlineData("https://evil.example", HttpStatusCode.Forbidden)]
    [InlineData("same", HttpStatusCode.OK)]
    [InlineData(null, HttpStatusCode.OK)]
    public async Task Negotiate_OtherSiteRefused_SameSiteAndNonBrowsersAllowed(string? origin, HttpStatusCode expected)
    {
        // Every SignalR transport starts with negotiate (or connects under the same path).
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app.BaseAddress, "/hubs/run/negotiate?negotiateVersion=1"));
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "same" ? app.BaseAddress.GetLeftPart(UriPartial.Authority) : origin);
        }

        using var response = await app.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        using var direct = new HttpRequestMessage(HttpMethod.Get, new Uri(app.BaseAddress, "/hubs/run?id=x"));
        direct.Headers.Add("Origin", "https://evil.example");
        using var refused = await app.Http.SendAsync(direct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Run_PrintSleepPrint_FirstLineArrivesBeforeSecondIsPrinted()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        var arrivals = new List<(string Data, TimeSpan At)>();
        var clock = Stopwatch.StartNew();

        await foreach (var e in connection.StreamAsync<RunEvent>("Run", Request("""
            package main

            import (
            	"fmt"
            	"time"
            )

            func main() {
            	fmt.Println("first")
            	time.Sleep(2 * time.Second)
            	fmt.Println("second")
            }
            """), stdin.Reader))
        {
            if (e.Kind == RunEventKind.Stdout)
            {
                arrivals.Add((e.Data!, clock.Elapsed));
            }
        }

        Assert.Equal(["first\n", "second\n"], arrivals.Select(a => a.Data));
        // The program sleeps 2 s between the lines: the first must have been delivered while it slept.
        Assert.True(arrivals[1].At - arrivals[0].At > TimeSpan.FromSeconds(1.5), $"gap was {arrivals[1].At - arrivals[0].At}");
    }

    [Fact]
    public async Task Run_InteractiveStdin_GreetingAfterPromptThenEof()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        var stdout = "";
        RunEvent? final = null;

        await foreach (var e in connection.StreamAsync<RunEvent>("Run", Request("""
            package main

            import (
            	"bufio"
            	"fmt"
            	"io"
            	"os"
            )

            func main() {
            	fmt.Println("What is your name?")
            	r := bufio.NewReader(os.Stdin)
            	name, _ := r.ReadString('\n')
            	fmt.Printf("Hello, %s!\n", name[:len(name)-1])
            	rest, err := io.ReadAll(r)
            	fmt.Printf("EOF: %v, %d more bytes\n", err == nil, len(rest))
            }
            """), stdin.Reader))
        {
            if (e.Kind == RunEventKind.Stdout)
            {
                stdout += e.Data;
                if (stdout == "What is your name?\n")
                {
                    await stdin.Writer.WriteAsync("Gopher\n");
                }
                else if (stdout.EndsWith("Hello, Gopher!\n", StringComparison.Ordinal))
                {
                    stdin.Writer.Complete();
                }
            }

            final = e.IsFinal ? e : final;
        }

        Assert.Equal("What is your name?\nHello, Gopher!\nEOF: true, 0 more bytes\n", stdout);
        Assert.Equal(RunOutcome.Exited, final!.Outcome);
    }

    [Fact]
    public async Task Run_CompileError_BuildErrorEventWithoutPaths()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();

        var events = await CollectAsync(connection.StreamAsync<RunEvent>("Run", Request("package main\n\nfunc main() {\n\tfmt.Println(x)\n}\n"), stdin.Reader));

        var error = Assert.Single(events, e => e.IsFinal);
        Assert.Equal(RunEventKind.Error, error.Kind);
        Assert.Equal(RunOutcome.BuildError, error.Outcome);
        Assert.Contains("./prog.go:4:2: undefined: fmt", error.Data, StringComparison.Ordinal);
        Assert.Contains("./prog.go:4:14: undefined: x", error.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", error.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("# ", error.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StreamDisposedMidRun_ContainerRemovedWithinOneSecond()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        using var subscription = new CancellationTokenSource();
        var sinceDispose = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in connection.StreamAsync<RunEvent>("Run", Request("""
                package main

                import (
                	"fmt"
                	"time"
                )

                func main() {
                	for i := 0; ; i++ {
                		fmt.Println("tick", i)
                		time.Sleep(100 * time.Millisecond)
                	}
                }
                """), stdin.Reader, subscription.Token))
            {
                if (e.Kind == RunEventKind.Stdout)
                {
                    Assert.Single(await DockerCheck.ManagedContainersAsync(app.Owner));
                    sinceDispose.Start();
                    await subscription.CancelAsync();
                }
            }
        });

        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5), app.Owner);
        var removedAfter = sinceDispose.Elapsed;

        Assert.Empty(await DockerCheck.ManagedContainersAsync(app.Owner));
        Assert.True(removedAfter < TimeSpan.FromSeconds(1), $"container removed {removedAfter.TotalMilliseconds:0} ms after the stream was disposed");
    }

    [Fact]
    public async Task Kill_Message_RunEndsKilledWithTheServersFinalEventAndIsCounted()
    {
        var counted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "playground.runs")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            counted.Enqueue(all.Single(t => t.Key == "outcome").Value + "/" + all.Single(t => t.Key == "transport").Value);
        });
        listener.Start();
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        var events = new List<RunEvent>();
        var sinceKill = new Stopwatch();

        await foreach (var e in connection.StreamAsync<RunEvent>("Run", Request("""
            package main

            import (
            	"fmt"
            	"time"
            )

            func main() {
            	fmt.Println("started")
            	time.Sleep(time.Minute)
            }
            """), stdin.Reader))
        {
            events.Add(e);
            if (e.Kind == RunEventKind.Stdout)
            {
                sinceKill.Start();
                await connection.InvokeAsync("Kill");
            }
        }

        // The stream stays open until the server's own end: killed, with the run's figures.
        var final = events[^1];
        Assert.True(final.IsFinal, string.Join(", ", events.Select(x => x.Kind)));
        Assert.Equal(RunOutcome.Killed, final.Outcome);
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(2), $"killed {sinceKill.Elapsed.TotalMilliseconds:0} ms after Kill");
        Assert.Contains("killed/signalr", counted);
        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5), app.Owner);
        Assert.Empty(await DockerCheck.ManagedContainersAsync(app.Owner));
    }

    [Fact]
    public async Task Run_ClientFloodsStdinProgramNeverReads_DisposeStillRemovesContainerWithinOneSecond()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        using var subscription = new CancellationTokenSource();
        var sinceDispose = new Stopwatch();
        var chunk = new string('x', 16 * 1024);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in connection.StreamAsync<RunEvent>("Run", Request("""
                package main

                import (
                	"fmt"
                	"time"
                )

                func main() {
                	fmt.Println("not reading stdin")
                	time.Sleep(time.Minute)
                }
                """), stdin.Reader, subscription.Token))
            {
                if (e.Kind == RunEventKind.Stdout)
                {
                    // 4 MiB: past the stdin cap and far more than the pipe and SignalR's
                    // client-stream buffer hold, while the program reads nothing.
                    for (var i = 0; i < 256; i++)
                    {
                        await stdin.Writer.WriteAsync(chunk);
                    }

                    await Task.Delay(500);
                    sinceDispose.Start();
                    await subscription.CancelAsync();
                }
            }
        });

        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(10), app.Owner);
        var removedAfter = sinceDispose.Elapsed;

        Assert.Empty(await DockerCheck.ManagedContainersAsync(app.Owner));
        Assert.True(removedAfter < TimeSpan.FromSeconds(1), $"container removed {removedAfter.TotalMilliseconds:0} ms after the stream was disposed");
    }

    [Fact]
    public async Task Health_LiveAndReady_Healthy()
    {
        var live = await app.Http.GetAsync(new Uri(app.BaseAddress, "/health/live"));
        var ready = await app.Http.GetAsync(new Uri(app.BaseAddress, "/health/ready"));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"sandbox\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PlaybackMode_DelayNsOnTheWire()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        stdin.Writer.Complete();
        var request = Request("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"a\")\n\ttime.Sleep(time.Minute)\n\tfmt.Println(\"b\")\n}\n") with { Mode = RunMode.Playback };

        var events = await CollectAsync(connection.StreamAsync<RunEvent>("Run", request, stdin.Reader));

        Assert.Equal(
            [("a\n", 0L), ("b\n", 60_000_000_000L)],
            events.Where(e => e.Kind == RunEventKind.Stdout).Select(e => (e.Data, e.DelayNs ?? -1)).ToList());
        Assert.Equal(RunOutcome.Exited, Assert.Single(events, e => e.IsFinal).Outcome);
    }

    [Fact]
    public async Task Page_Root_ServesRunnablePage()
    {
        var page = await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/"));
        // The bundle's entry script, whatever hash Vite gave it, speaks to the hub.
        var entry = System.Text.RegularExpressions.Regex.Match(page, "<script type=\"module\"[^>]* src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(entry);
        var bundle = string.Join('\n', await Task.WhenAll(
            System.Text.RegularExpressions.Regex.Matches(page, "(?:src|href)=\"(/assets/[^\"]+\\.js)\"").Select(m => app.Http.GetStringAsync(new Uri(app.BaseAddress, m.Groups[1].Value)))));

        Assert.Contains("<title>GoPlay — the Go playground</title>", page, StringComparison.Ordinal);
        Assert.Contains("hubs/run", bundle, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TimeZoneDatabase_BerlinInCestLive()
    {
        await using var connection = await app.ConnectAsync();
        var events = await HubRun.CollectAsync(connection, Request(Api.CompileApiTests.Berlin), TimeSpan.FromMinutes(2));

        Assert.Equal("2012-07-09 05:02:00 +0200 CEST\n2012-07-09 00:00:00 +0200 CEST\n", string.Concat(events.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)));
        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        Assert.Equal(0, events[^1].ExitCode);
    }

    [Fact]
    public async Task Run_Tests_FinalEventCountsTheBinarysFailuresNotLookalikes()
    {
        await using var connection = await app.ConnectAsync();

        var failing = await HubRun.CollectAsync(connection, Request(TestSources.FailsTwice), TimeSpan.FromMinutes(2));
        var passing = await HubRun.CollectAsync(connection, Request(TestSources.PrintsLookalikes), TimeSpan.FromMinutes(2));
        var program = await HubRun.CollectAsync(connection, Request(Hello), TimeSpan.FromMinutes(2));

        Assert.True(failing[^1].IsTest);
        Assert.Equal(1, failing[^1].ExitCode);
        Assert.Equal(3, failing[^1].TestsFailed);
        Assert.True(passing[^1].IsTest);
        Assert.Equal(0, passing[^1].TestsFailed);
        // The lookalikes reached the client as the program wrote them, on both streams.
        Assert.Contains("--- FAIL: TestPrintsLookalikes (0.00s)\n", string.Concat(passing.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)), StringComparison.Ordinal);
        Assert.Contains("--- FAIL: TestPrintsLookalikes (0.00s)\n", string.Concat(passing.Where(e => e.Kind == RunEventKind.Stderr).Select(e => e.Data)), StringComparison.Ordinal);
        Assert.Null(program[^1].TestsFailed);
    }

    private static RunRequest Request(string source) =>
        new() { Files = new Dictionary<string, string> { ["prog.go"] = source } };

    private static async Task<List<RunEvent>> CollectAsync(IAsyncEnumerable<RunEvent> stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = new List<RunEvent>();
        await foreach (var e in stream.WithCancellation(timeout.Token))
        {
            events.Add(e);
        }

        return events;
    }
}
