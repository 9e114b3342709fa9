using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Faults;

/// <summary>
/// The faults of SECURITY.md that involve the service process or the engine itself, each
/// against a real Playground.Web process and the real engine.
/// </summary>
[Collection("Faults")]
public sealed class ServiceFaultTests
{
    private const string Sleeper = """
        package main

        import (
        	"fmt"
        	"time"
        )

        func main() {
        	fmt.Println("started")
        	time.Sleep(time.Minute)
        }
        """;

    [Fact]
    public async Task Sigkill_MidRun_JanitorRemovesLeftoverOnNextStart()
    {
        var instance = TestOwner.Name("fault-sigkill");
        await using (var web = await WebProcess.StartAsync("--Sandbox:InstanceName=" + instance, "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0"))
        {
            await using var connection = await web.ConnectAsync();
            await using var events = StreamRun(connection, Sleeper).GetAsyncEnumerator();
            await WaitForStdoutAsync(events);

            web.Kill();
            await web.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        // The crash left the runner behind.
        Assert.Single(await DockerCheck.ManagedContainersAsync(instance));

        await using var restarted = await WebProcess.StartAsync("--Sandbox:InstanceName=" + instance, "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0");
        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(20), instance);

        Assert.Empty(await DockerCheck.ManagedContainersAsync(instance));
        Assert.Contains("Janitor removed container", restarted.Log, StringComparison.Ordinal);
        Assert.Contains("(orphaned", restarted.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_MidRun_RunReportedAsStoppedAndContainersRemovedBeforeExit()
    {
        // With both pools on: their idle containers must go at shutdown too.
        await using var web = await WebProcess.StartAsync("--Sandbox:InstanceName=" + TestOwner.Name("fault-sigterm"), "--Sandbox:RunnerPoolSize=2");
        await using var connection = await web.ConnectAsync();
        await using var events = StreamRun(connection, Sleeper).GetAsyncEnumerator();
        await WaitForStdoutAsync(events);

        web.Terminate();
        RunEvent? final = null;
        try
        {
            while (await events.MoveNextAsync())
            {
                final = events.Current.IsFinal ? events.Current : final;
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException)
        {
            await web.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Fail("the connection broke before the run was reported: " + e.Message + "\nserver log:\n" + web.Log);
        }

        await web.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(final);
        Assert.Equal(RunEventKind.Error, final.Kind);
        Assert.Equal(RunOutcome.Internal, final.Outcome);
        Assert.StartsWith("The server is shutting down", final.Data, StringComparison.Ordinal);
        Assert.Empty(await DockerCheck.ManagedContainersAsync(web.Owner));
        // The signal drained the server before the application stopped (when SignalR aborts its connections).
        var log = web.Log;
        var drained = log.IndexOf("Shutdown: 1 runs stopped", StringComparison.Ordinal);
        Assert.True(drained >= 0 && drained < log.IndexOf("Application is shutting down", StringComparison.Ordinal), "server log:\n" + log);
    }

    [Fact]
    public async Task Sigterm_MidRun_TerminalSocketsGetTheRunsEndThenTheClose()
    {
        // Each socket closed itself from its own stopping callback, which runs before the run
        // service's when the socket opened after the server's first run: the run's end was lost.
        await using var web = await WebProcess.StartAsync("--Sandbox:InstanceName=" + TestOwner.Name("fault-sigterm-ws"), "--Sandbox:RunnerPoolSize=0");
        await using (var first = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run"))
        {
            await first.SendJsonAsync(new { type = "run", request = new { files = new Dictionary<string, string> { ["prog.go"] = "package main\n\nfunc main() {}\n" } } });
            Assert.Equal("exit", (await first.ReceiveRunAsync())[^1].GetProperty("kind").GetString());
        }

        await using var run = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run");
        await run.SendJsonAsync(new { type = "run", request = new { files = new Dictionary<string, string> { ["prog.go"] = Sleeper } } });
        while (await run.ReceiveAsync() is { } frame && !frame.Text.Contains("\"stdout\"", StringComparison.Ordinal))
        {
        }

        await using var tty = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/tty?code=" + Uri.EscapeDataString(Sleeper));
        Assert.Equal("started\n", (await tty.ReceiveAsync())?.Text);

        web.Terminate();
        var final = (await run.ReceiveRunAsync())[^1];
        Assert.Equal("internal", final.GetProperty("outcome").GetString());
        Assert.StartsWith("The server is shutting down", final.GetProperty("data").GetString(), StringComparison.Ordinal);
        Assert.Empty(await run.ReceiveUntilCloseAsync());
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, run.Socket.CloseStatus);

        var ttyFrames = await tty.ReceiveUntilCloseAsync();
        Assert.StartsWith("The server is shutting down", string.Concat(ttyFrames.Select(f => f.Text)), StringComparison.Ordinal);
        Assert.Equal("internal", tty.Socket.CloseStatusDescription);

        await web.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(await DockerCheck.ManagedContainersAsync(web.Owner));
    }

    [Fact]
    public async Task Sigterm_WhileTheOtherVersionsArePrepared_NoWarmUpContainerLeft()
    {
        // Preparation outlived the host: the engine client was disposed under a warm-up, whose
        // container was then never removed (about one stop in three, a second after ready).
        foreach (var delay in new[] { 0.3, 1.0, 1.7, 2.4 })
        {
            await using var web = await WebProcess.StartDefaultReadyAsync("--Sandbox:InstanceName=" + TestOwner.Name("fault-prepare"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0");
            await Task.Delay(TimeSpan.FromSeconds(delay));

            web.Terminate();
            await web.WaitForExitAsync(TimeSpan.FromSeconds(40));

            Assert.True((await DockerCheck.ManagedContainersAsync(web.Owner)).Count == 0, $"containers left after a stop {delay} s after ready:\n" + web.Log);
        }
    }

    [Fact]
    public async Task EngineStoppedMidRun_InternalThenReadinessRecoversWithoutRestart()
    {
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("fault-engine"),
            "--Sandbox:JanitorInterval=00:00:02",
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Scheduler:Slots=1");
        using var http = new HttpClient();
        await using var connection = await web.ConnectAsync();
        await using var events = StreamRun(connection, Sleeper).GetAsyncEnumerator();
        await WaitForStdoutAsync(events);

        // A second run waits for the only slot.
        await using var second = await web.ConnectAsync();
        await using var queued = StreamRun(second, Sleeper).GetAsyncEnumerator();
        Assert.True(await queued.MoveNextAsync());
        Assert.Equal(RunEventKind.Queued, queued.Current.Kind);

        RunEvent? final;
        RunEvent? queuedFinal = null;
        try
        {
            await Engine.StopAsync();
            final = null;
            while (await events.MoveNextAsync())
            {
                final = events.Current.IsFinal ? events.Current : final;
            }

            while (await queued.MoveNextAsync())
            {
                queuedFinal = queued.Current.IsFinal ? queued.Current : queuedFinal;
            }

            var ready = await http.GetAsync(new Uri(web.BaseAddress, "/health/ready"));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        finally
        {
            await Engine.StartAsync();
        }

        Assert.NotNull(final);
        Assert.Equal(RunOutcome.Internal, final.Outcome);
        Assert.StartsWith("The sandbox failed to run the program: the container engine", final.Data, StringComparison.Ordinal);
        // The queued run got the slot while the engine was away: it ends the same way, with the reason.
        Assert.NotNull(queuedFinal);
        Assert.Equal(RunOutcome.Internal, queuedFinal.Outcome);
        Assert.StartsWith("The sandbox failed to run the program: the container engine", queuedFinal.Data, StringComparison.Ordinal);

        // Same process, engine back: ready again, and a new run works.
        await web.WaitReadyAsync(TimeSpan.FromMinutes(2));
        await using var again = StreamRun(connection, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"back\") }\n").GetAsyncEnumerator();
        var stdout = "";
        RunEvent? last = null;
        while (await again.MoveNextAsync())
        {
            stdout += again.Current.Kind == RunEventKind.Stdout ? again.Current.Data : "";
            last = again.Current;
        }

        Assert.Equal("back\n", stdout);
        Assert.Equal(RunOutcome.Exited, last!.Outcome);

        // The container stranded while the engine was away is removed by the janitor.
        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(60), web.Owner);

        Assert.True((await DockerCheck.ManagedContainersAsync(web.Owner)).Count == 0, "container left; server log:\n" + web.Log);
    }

    private static IAsyncEnumerable<RunEvent> StreamRun(HubConnection connection, string source)
    {
        var stdin = Channel.CreateUnbounded<string>();
        return connection.StreamAsync<RunEvent>("Run", new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = source } }, stdin.Reader);
    }

    private static async Task WaitForStdoutAsync(IAsyncEnumerator<RunEvent> events)
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current.Kind == RunEventKind.Stdout)
            {
                return;
            }

            Assert.False(events.Current.IsFinal, "the run ended before printing: " + events.Current.Data);
        }

        Assert.Fail("the run ended before printing");
    }
}
