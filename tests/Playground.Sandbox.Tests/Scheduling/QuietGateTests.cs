using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Tests.Scheduling;

public sealed class QuietGateTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(700);

    private static (RunScheduler Runs, ToolScheduler Tools) Schedulers(TimeProvider time)
    {
        var options = Options.Create(new SchedulerOptions { Slots = 2, ToolSlots = 2 });
        return (new RunScheduler(options, time), new ToolScheduler(options, time));
    }

    [Fact]
    public async Task Wait_HoldsWhileARunSlotIsHeld_AndEndsWhenItIsFreed()
    {
        var (runs, tools) = Schedulers(TimeProvider.System);
        var gate = new QuietGate(runs, tools, TimeProvider.System);
        await gate.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1));

        var lease = await runs.AcquireAsync("user", _ => { }, CancellationToken.None);
        var waiting = gate.WaitAsync(CancellationToken.None);
        await Task.Delay(Settle);
        Assert.False(waiting.IsCompleted, "background work went ahead while a user's run held a slot");

        await lease.DisposeAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Wait_HoldsWhileAToolSlotIsHeld()
    {
        var (runs, tools) = Schedulers(TimeProvider.System);
        var gate = new QuietGate(runs, tools, TimeProvider.System);

        var lease = await tools.AcquireAsync("user", CancellationToken.None);
        var waiting = gate.WaitAsync(CancellationToken.None);
        await Task.Delay(Settle);
        Assert.False(waiting.IsCompleted, "background work went ahead while a user's format job held a slot");

        await lease.DisposeAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Wait_ABusyServerDelaysBackgroundWorkButNeverStarvesIt()
    {
        // Every reading of this clock is five seconds after the last: the deferral's bound
        // passes after a few polls instead of half a minute.
        var time = new LeapingTime(TimeSpan.FromSeconds(5));
        var (runs, tools) = Schedulers(time);
        var gate = new QuietGate(runs, tools, time);
        await using var lease = await runs.AcquireAsync("user", _ => { }, CancellationToken.None);

        await gate.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(time.Elapsed >= QuietGate.MaxDeferral, $"gave up after {time.Elapsed}");
        Assert.True(time.Elapsed < QuietGate.MaxDeferral * 2, $"waited {time.Elapsed}");
    }

    private sealed class LeapingTime(TimeSpan leap) : TimeProvider
    {
        private long _ticks;

        public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, leap.Ticks);
    }
}

/// <summary>The quiet gate in the real preparation: a user's run goes before the other Go versions.</summary>
[Collection(DockerTests.Name)]
public sealed class BackgroundPreparationTests(SandboxFixture fixture)
{
    [Fact]
    public async Task PrepareAll_OtherVersionsWaitWhileAUserRunHoldsASlot()
    {
        var sandbox = fixture.Create();
        var readiness = sandbox.Services.GetRequiredService<SandboxReadiness>();
        var runs = sandbox.Services.GetRequiredService<RunScheduler>();
        var list = await sandbox.Services.GetRequiredService<ToolchainCatalog>().GetAsync(CancellationToken.None);
        Assert.True(
            list.Installed.Count >= 2,
            "Needs two installed Go versions; `bash scripts/test.sh` unpacks every configured release (scripts/toolchains.sh).");
        var second = list.Installed[1];

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var lease = await runs.AcquireAsync("user", _ => { }, cts.Token);
        var all = readiness.PrepareAllAsync(cts.Token);

        // The default is prepared whatever users do: nothing runs without it.
        await readiness.EnsureAsync(cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(2), cts.Token);
        var (state, message) = readiness.StateOf(second);
        Assert.True(
            state == GoVersionState.Preparing && message == "waiting its turn to be prepared",
            $"{second.Version} was {state} ({message}) while a user's run held a slot");

        await lease.DisposeAsync();
        await all.WaitAsync(cts.Token);
        Assert.Equal(GoVersionState.Ready, readiness.StateOf(second).State);
        Assert.True(readiness.Settled);
    }
}
