using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Sandbox.Containers;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Faults;

/// <summary>SECURITY.md row 22: one client's burst, and idle connections, against a real server process.</summary>
[Collection("Faults")]
public sealed class LoadLimitTests
{
    [Fact]
    public async Task ManyRunsOverManyConnectionsFromOneAddress_QueuedUpToItsShareRestRejectedOthersStillServed()
    {
        // Behind the edge proxy, whose forwarded addresses this server believes.
        var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("load"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Scheduler:Slots=1", "--Scheduler:QueueLimitPerClient=3",
            "--Network:TrustedProxies:0=127.0.0.1");
        // Fairness was per connection: eleven connections filled the whole queue.
        var greedy = new List<HubConnection>();
        for (var i = 0; i < 4; i++)
        {
            greedy.Add(await web.ConnectAsync(forwardedFor: "198.51.100.7"));
        }

        using var stop = new CancellationTokenSource();

        // Eight runs at once over four connections: one runs, three wait, four are refused.
        var firstEvents = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => FirstDecisiveEventAsync(greedy[i % 4], Sleeper(i), stop.Token)));

        var rejected = firstEvents.Where(e => e.Outcome == RunOutcome.Rejected).ToList();
        Assert.Equal(4, rejected.Count);
        Assert.All(rejected, e =>
        {
            Assert.InRange(e.RetryAfterSeconds!.Value, 1, 300);
            Assert.Contains("You already have 3 runs waiting", e.Data, StringComparison.Ordinal);
        });
        Assert.Equal(3, firstEvents.Count(e => e.Kind == RunEventKind.Queued));

        // Another address still gets in line, ahead of the greedy client's later runs.
        await using var polite = await web.ConnectAsync(forwardedFor: "203.0.113.9");
        var politeFirst = await FirstDecisiveEventAsync(polite, Sleeper(99), stop.Token);
        Assert.Equal(RunEventKind.Queued, politeFirst.Kind);
        Assert.Equal(2, politeFirst.Position);

        await stop.CancelAsync();
        foreach (var connection in greedy)
        {
            await connection.DisposeAsync();
        }

        await web.DisposeAsync();
        Assert.Empty(await DockerCheck.ManagedContainersAsync(web.Owner));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ForwardedFor_BelievedOnlyFromATrustedProxy(bool trusted)
    {
        // A client that could name its own address in X-Forwarded-For could take any number
        // of shares; a proxy's header is the only way to tell its clients apart.
        // Without trusted proxies the setting names an address no connection here comes from.
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("forwarded"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Scheduler:Slots=1", "--Scheduler:QueueLimitPerClient=1",
            "--Network:TrustedProxies:0=" + (trusted ? "127.0.0.0/8" : "192.0.2.1"));
        await using var first = await web.ConnectAsync(forwardedFor: "198.51.100.1");
        await using var second = await web.ConnectAsync(forwardedFor: "198.51.100.2");
        using var stop = new CancellationTokenSource();

        Assert.Equal(RunEventKind.Building, (await FirstDecisiveEventAsync(first, Sleeper(1), stop.Token)).Kind);
        Assert.Equal(RunEventKind.Queued, (await FirstDecisiveEventAsync(first, Sleeper(2), stop.Token)).Kind);
        var other = await FirstDecisiveEventAsync(second, Sleeper(3), stop.Token);

        if (trusted)
        {
            Assert.Equal(RunEventKind.Queued, other.Kind);
        }
        else
        {
            Assert.Equal(RunOutcome.Rejected, other.Outcome);
            Assert.Contains("You already have 1 run waiting", other.Data, StringComparison.Ordinal);
        }

        await stop.CancelAsync();
    }

    [Fact]
    public async Task TtyStdin_SentWhileTheRunIsQueued_HeldOnlyUpToTheStdinLimit()
    {
        // Nothing reads a queued run's input: /ws/v1/tty kept all of it (300 MiB sent added
        // 344 MiB to the server, not freed after close).
        var owner = TestOwner.Name("tty-queued");
        await using var web = await WebProcess.StartAsync("--Sandbox:InstanceName=" + owner, "--Scheduler:Slots=1");
        await using var holder = await web.ConnectAsync();
        using var stop = new CancellationTokenSource();
        var held = FirstDecisiveEventAsync(holder, Sleeper(1), stop.Token);
        Assert.Equal(RunEventKind.Building, (await held).Kind);

        await using var tty = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/tty?code=" + Uri.EscapeDataString("""
            package main

            import (
            	"fmt"
            	"io"
            	"os"
            )

            func main() {
            	n, _ := io.Copy(io.Discard, os.Stdin)
            	fmt.Println(n)
            }
            """));
        var before = web.ResidentBytes;
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)'z');
        for (var i = 0; i < 300; i++)
        {
            await tty.SendBinaryAsync(chunk);
        }

        await tty.SendBinaryAsync([]);
        // Sent means in the server's socket buffers at most; a moment for it to read them all.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var grown = web.ResidentBytes - before;

        await stop.CancelAsync();
        var output = string.Concat((await tty.ReceiveUntilCloseAsync(TimeSpan.FromMinutes(2))).Select(f => f.Text));
        Assert.Contains("1048576\n", output, StringComparison.Ordinal);
        Assert.Contains("[goplay] stdin limit of 1 MiB reached", output, StringComparison.Ordinal);
        Assert.True(grown < 100L << 20, $"the server grew by {grown >> 20} MiB holding a queued run's input");
    }

    [Fact]
    public async Task TwentyFormatsAtOnce_NeverMoreBuildersThanToolSlots_AllAnswered()
    {
        var instance = TestOwner.Name("fmt-burst");
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + instance,
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Scheduler:ToolSlots=2", "--Scheduler:QueueLimitPerClient=20");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var stop = new CancellationTokenSource();
        var most = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var builders = (await DockerCheck.ManagedContainersAsync(instance)).Count(c => c.Labels[SandboxLabels.Role] == "builder");
                most = Math.Max(most, builders);
                await Task.Delay(20);
            }
        });

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var response = await http.PostAsync(new Uri(web.BaseAddress, "/fmt"), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["body"] = $"package main\nfunc main(){{println({i})}}\n",
            }));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        await stop.CancelAsync();
        await sampler;

        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.OK, a.StatusCode);
            Assert.Contains("\"Error\":\"\"", a.Body, StringComparison.Ordinal);
        });
        Assert.InRange(most, 1, 2);
    }

    [Fact]
    public async Task IdleConnection_ClosedByTheServer()
    {
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("idle"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Realtime:ClientTimeout=00:00:02");
        // A client that has gone quiet: it sends no keep-alive pings (and does not itself give up).
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(web.BaseAddress, "/hubs/run"))
            .WithKeepAliveInterval(TimeSpan.FromMinutes(10))
            .WithServerTimeout(TimeSpan.FromMinutes(20))
            .Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20), CancellationToken.None);

        Assert.InRange(clock.Elapsed.TotalSeconds, 1, 10);
    }

    private static string Sleeper(int i) =>
        $"package main\n\nimport \"time\"\n\n// {i}\nfunc main() {{ time.Sleep(time.Minute) }}\n";

    /// <summary>The first event that says what happened to the request: building, queued, or a final one.</summary>
    private static async Task<RunEvent> FirstDecisiveEventAsync(HubConnection connection, string source, CancellationToken stop)
    {
        var first = new TaskCompletionSource<RunEvent>();
        _ = Task.Run(async () =>
        {
            try
            {
                var stdin = Channel.CreateUnbounded<string>();
                await foreach (var e in connection.StreamAsync<RunEvent>("Run", new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = source } }, stdin.Reader, stop))
                {
                    if (e.Kind is RunEventKind.Building or RunEventKind.Queued || e.IsFinal)
                    {
                        first.TrySetResult(e);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                first.TrySetException(e);
            }
        }, CancellationToken.None);
        return await first.Task.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }
}
