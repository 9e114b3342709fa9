using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Runs;

namespace Playground.Pipeline.Tests;

/// <summary>
/// The run pipeline (validate, admit, build, run, finalize) and the scheduler over the fake
/// engine: every outcome, stdin, kill, the binary cache, slots and per-client shares, and
/// that every container is removed.
/// </summary>
[Collection(FakeAppTests.Name)]
public sealed class PipelineTests(FakeApp app)
{
    private IRunService Runs => app.Services.GetRequiredService<IRunService>();

    internal static RunRequest Program(params string[] steps) => new()
    {
        Source = "package main\n\n" + string.Concat(steps.Select(s => "//fake:" + s + "\n")) + "func main() {}\n",
    };

    private async Task<List<RunEvent>> RunAsync(RunRequest request, RunInput? input = null, CancellationToken cancellationToken = default)
    {
        var events = new List<RunEvent>();
        await foreach (var e in Runs.RunAsync(request, input ?? RunInput.None, cancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    private static string Out(IEnumerable<RunEvent> events, RunEventKind kind = RunEventKind.Stdout) =>
        string.Concat(events.Where(e => e.Kind == kind).Select(e => e.Data));

    [Fact]
    public async Task Hello_BuiltRunAndExited_EveryStageInOrder()
    {
        var events = await RunAsync(Program("out hello\\n", "err warn\\n", "exit 3"));

        // A free slot means no queued event.
        var kinds = events.Select(e => e.Kind).Where(k => k is not (RunEventKind.Stdout or RunEventKind.Stderr or RunEventKind.Queued)).ToList();
        Assert.Equal([RunEventKind.Building, RunEventKind.Built, RunEventKind.Exit], kinds);
        Assert.Equal("hello\n", Out(events));
        Assert.Equal("warn\n", Out(events, RunEventKind.Stderr));
        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        Assert.Equal(3, events[^1].ExitCode);
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task SameProgramTwice_SecondFromTheBinaryCache_NoBuilderStarted()
    {
        var request = Program("out cached " + Guid.NewGuid().ToString("N") + "\\n");
        var first = await RunAsync(request);
        var builders = app.Engine.Created.Count(c => c.Spec!.Role != Sandbox.Containers.ContainerRole.Runner);
        var second = await RunAsync(request);

        Assert.False(first.Single(e => e.Kind == RunEventKind.Built).Cached);
        Assert.True(second.Single(e => e.Kind == RunEventKind.Built).Cached);
        Assert.Equal(builders, app.Engine.Created.Count(c => c.Spec!.Role != Sandbox.Containers.ContainerRole.Runner));
        Assert.Equal(Out(first), Out(second));
    }

    [Fact]
    public async Task BuildError_EndsBuildErrorWithTheCompilersWords_NoRunner()
    {
        var runners = app.Engine.Created.Count(c => c.Spec!.Role == Sandbox.Containers.ContainerRole.Runner);
        var events = await RunAsync(Program("build-error ./prog.go:3:1: undefined: x\\n"));

        Assert.Equal(RunOutcome.BuildError, events[^1].Outcome);
        Assert.Contains("undefined: x", events[^1].Data, StringComparison.Ordinal);
        Assert.Equal(runners, app.Engine.Created.Count(c => c.Spec!.Role == Sandbox.Containers.ContainerRole.Runner));
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task CompilerOutOfMemory_OomWithTheBuildLimit()
    {
        var events = await RunAsync(Program("compiler-oom"));

        Assert.Equal(RunOutcome.Oom, events[^1].Outcome);
        Assert.Contains("go build ran out of memory", events[^1].Data, StringComparison.Ordinal);
        Assert.Contains("build limit", events[^1].Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hang_TimesOutAtTheWallLimitAndIsKilled()
    {
        var clock = Stopwatch.StartNew();
        var events = await RunAsync(Program("out started\\n", "hang"));

        Assert.Equal(RunOutcome.Timeout, events[^1].Outcome);
        Assert.Contains("2 s time limit", events[^1].Data, StringComparison.Ordinal);
        Assert.Equal("started\n", Out(events));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Flood_StopsAtTheOutputLimit()
    {
        var events = await RunAsync(Program("flood"));

        Assert.Equal(RunOutcome.OutputLimit, events[^1].Outcome);
        Assert.True(Out(events).Length <= 1 << 20, "delivered more than the output limit");
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Oom_IsOutOfMemoryWithTheLimit()
    {
        var events = await RunAsync(Program("out before\\n", "oom"));

        Assert.Equal(RunOutcome.Oom, events[^1].Outcome);
        Assert.Contains("256 MiB", events[^1].Data, StringComparison.Ordinal);
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Stdin_ReachesTheProgramAsBytes_EofEndsIt()
    {
        var stdin = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
        byte[] sent = [0xff, 0xfe, (byte)'a', 0xe2, 0x82];
        stdin.Writer.TryWrite(sent);
        stdin.Writer.TryWrite(new byte[] { 0xac, (byte)'\n' });
        stdin.Writer.TryComplete();

        var events = await RunAsync(Program("echo"), new RunInput(stdin.Reader.ReadAllAsync()));

        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        var raw = events.Where(e => e.Kind == RunEventKind.Stdout).SelectMany(e => e.Raw!.Value.ToArray()).ToArray();
        Assert.Equal([.. sent, 0xac, (byte)'\n'], raw);
    }

    [Fact]
    public async Task Kill_EndsKilledAtOnce()
    {
        using var kill = new CancellationTokenSource();
        var events = new List<RunEvent>();
        var clock = new Stopwatch();
        await foreach (var e in Runs.RunAsync(Program("out up\\n", "hang"), new RunInput(Kill: kill.Token), CancellationToken.None))
        {
            events.Add(e);
            if (e.Kind == RunEventKind.Stdout)
            {
                clock.Start();
                await kill.CancelAsync();
            }
        }

        Assert.Equal(RunOutcome.Killed, events[^1].Outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"answered {clock.ElapsedMilliseconds} ms after the kill");
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task AbandonedByTheClient_ContainerRemoved()
    {
        using var gone = new CancellationTokenSource();
        await foreach (var e in Runs.RunAsync(Program("out up\\n", "hang"), RunInput.None, gone.Token))
        {
            if (e.Kind == RunEventKind.Stdout)
            {
                await gone.CancelAsync();
                break;
            }
        }

        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task NotPackageMain_BuildError()
    {
        var events = await RunAsync(new RunRequest { Source = "package lib\n\nfunc F() {}\n" });

        Assert.Equal(RunOutcome.BuildError, events[^1].Outcome);
        Assert.Contains("package name must be main", events[^1].Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slots_NeverMoreRunnersThanConfigured_AllRunsFinish()
    {
        app.Engine.ResetCounters();
        var runs = Enumerable.Range(0, 8).Select(i => new RunInput { ClientId = "client-" + i })
            .Select((input, i) => RunAsync(Program("out run " + i + "\\n", "sleep 150"), input))
            .ToArray();
        var results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.Equal(RunOutcome.Exited, r[^1].Outcome));
        Assert.InRange(app.Engine.MaxConcurrentRunners, 1, 2);
        Assert.Contains(results, r => r.Any(e => e.Kind == RunEventKind.Queued && e.Position > 0));
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task OneClient_BeyondItsShareOfTheQueue_Rejected_OthersStillServed()
    {
        // Two slots and thirty waiting runs per client (the fixture's): forty from one client overflow its share.
        var busy = Enumerable.Range(0, 40).Select(_ => RunAsync(Program("sleep 50"), new RunInput { ClientId = "greedy" })).ToArray();
        var other = await RunAsync(Program("out mine\\n"), new RunInput { ClientId = "polite" });
        var greedy = await Task.WhenAll(busy);

        Assert.Equal(RunOutcome.Exited, other[^1].Outcome);
        Assert.Contains(greedy, r => r[^1].Outcome == RunOutcome.Rejected && r[^1].RetryAfterSeconds > 0);
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Playback_MergedByFakeTimeWithTheDelays_SleepsCostNoWallTime()
    {
        var clock = Stopwatch.StartNew();
        var events = await RunAsync(Program("out one\\n", "sleep 30000", "err two\\n", "sleep 500", "out three\\n") with { Mode = RunMode.Playback });

        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        var output = events.Where(e => e.Kind is RunEventKind.Stdout or RunEventKind.Stderr).ToList();
        Assert.Equal(["one\n", "two\n", "three\n"], output.Select(e => e.Data));
        Assert.Equal([RunEventKind.Stdout, RunEventKind.Stderr, RunEventKind.Stdout], output.Select(e => e.Kind));
        Assert.Equal([0L, 30_000_000_000L, 500_000_000L], output.Select(e => e.DelayNs ?? 0));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "fake sleeps took wall time");
    }

    [Fact]
    public async Task EveryRunCounted_ByItsOutcome_AbandonedAndFailuresToo()
    {
        var transport = "metered-" + Guid.NewGuid().ToString("N")[..6];
        var counted = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Sandbox.Telemetry.SandboxMetrics.MeterName && instrument.Name == "playground.runs")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            if ((string?)all.Single(t => t.Key == "transport").Value == transport)
            {
                lock (counted)
                {
                    counted.Add((string)all.Single(t => t.Key == "outcome").Value!);
                }
            }
        });
        listener.Start();
        var input = new RunInput { Transport = transport };

        await RunAsync(Program("exit 0"), input);
        using (var kill = new CancellationTokenSource())
        {
            await foreach (var e in Runs.RunAsync(Program("out up\\n", "hang"), input with { Kill = kill.Token }, CancellationToken.None))
            {
                if (e.Kind == RunEventKind.Stdout)
                {
                    await kill.CancelAsync();
                }
            }
        }

        using (var gone = new CancellationTokenSource())
        {
            await foreach (var e in Runs.RunAsync(Program("out up\\n", "hang"), input, gone.Token))
            {
                if (e.Kind == RunEventKind.Stdout)
                {
                    break;
                }
            }
        }

        app.Engine.Down = true;
        try
        {
            await RunAsync(Program("out down " + Guid.NewGuid().ToString("N") + "\\n"), input);
        }
        finally
        {
            app.Engine.Down = false;
        }

        Assert.Equal(["exited", "killed", "abandoned", "internal"], counted);
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task EngineDown_RunEndsInternalWithAReason()
    {
        app.Engine.Down = true;
        try
        {
            var events = await RunAsync(Program("out never " + Guid.NewGuid().ToString("N") + "\\n"));

            Assert.Equal(RunOutcome.Internal, events[^1].Outcome);
            Assert.Contains("not reachable", events[^1].Data, StringComparison.Ordinal);
        }
        finally
        {
            app.Engine.Down = false;
        }
    }

    [Fact]
    public async Task GoVersion_PicksThatToolchainsBuilder()
    {
        var events = await RunAsync(Program("out old " + Guid.NewGuid().ToString("N") + "\\n") with { GoVersion = "1.19" });

        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        Assert.Contains(app.Engine.Created, c => c.Spec!.Image == "fake-builder:go1.19.8");
        var refused = await RunAsync(Program("out x\\n") with { GoVersion = "1.3" });
        Assert.Equal(RunOutcome.Rejected, refused[^1].Outcome);
        Assert.Contains("go1.27.4 (latest)", refused[^1].Data, StringComparison.Ordinal);
    }

    internal static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
