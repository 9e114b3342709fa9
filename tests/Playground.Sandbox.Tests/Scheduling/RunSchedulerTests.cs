using Microsoft.Extensions.Options;
using Playground.Sandbox.Scheduling;

namespace Playground.Sandbox.Tests.Scheduling;

public sealed class RunSchedulerTests
{
    private static RunScheduler Scheduler(int slots = 1, int queue = 100, int perClient = 10) =>
        new(Options.Create(new SchedulerOptions { Slots = slots, QueueLimit = queue, QueueLimitPerClient = perClient }), TimeProvider.System);

    [Fact]
    public async Task Acquire_FreeSlot_GrantedAtOnceWithoutPosition()
    {
        var scheduler = Scheduler(slots: 2);
        var positions = new List<int>();

        await using var a = await scheduler.AcquireAsync("a", positions.Add, CancellationToken.None);
        await using var b = await scheduler.AcquireAsync("a", positions.Add, CancellationToken.None);

        Assert.Empty(positions);
        Assert.Equal(2, scheduler.Busy);
    }

    [Fact]
    public async Task Burst_FromOneClient_DoesNotStarveAnother()
    {
        var scheduler = Scheduler(slots: 1);
        var order = new List<string>();
        var running = await scheduler.AcquireAsync("burst", _ => { }, CancellationToken.None);

        // Five runs from the bursting client, then one from a newcomer.
        var waiting = new List<Task>();
        foreach (var name in new[] { "burst-1", "burst-2", "burst-3", "burst-4", "burst-5" })
        {
            waiting.Add(Track(scheduler, "burst", name, order));
        }

        var newcomerPositions = new List<int>();
        waiting.Add(Track(scheduler, "newcomer", "newcomer-1", order, newcomerPositions));

        await running.DisposeAsync();
        await Task.WhenAll(waiting);

        // Turns alternate between clients: the newcomer is second, not sixth.
        Assert.Equal(["burst-1", "newcomer-1", "burst-2", "burst-3", "burst-4", "burst-5"], order);
        Assert.Equal(2, newcomerPositions[0]);
    }

    [Fact]
    public async Task Positions_LiveAsTheQueueMoves()
    {
        var scheduler = Scheduler(slots: 1);
        var running = await scheduler.AcquireAsync("x", _ => { }, CancellationToken.None);
        var first = new List<int>();
        var second = new List<int>();
        var t1 = scheduler.AcquireAsync("a", first.Add, CancellationToken.None);
        var t2 = scheduler.AcquireAsync("a", second.Add, CancellationToken.None);

        Assert.Equal([1], first);
        Assert.Equal([2], second);

        await running.DisposeAsync();
        await (await t1).DisposeAsync();
        await (await t2).DisposeAsync();

        Assert.Equal([2, 1], second);
        Assert.Equal(0, scheduler.Busy);
    }

    [Fact]
    public async Task Cancel_Queued_RemovedAndOthersMoveUp()
    {
        var scheduler = Scheduler(slots: 1);
        var running = await scheduler.AcquireAsync("x", _ => { }, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var behind = new List<int>();
        var cancelled = scheduler.AcquireAsync("a", _ => { }, cancel.Token);
        var after = scheduler.AcquireAsync("b", behind.Add, CancellationToken.None);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal([2, 1], behind);
        Assert.Equal(1, scheduler.Waiting);
        await running.DisposeAsync();
        await (await after).DisposeAsync();
        Assert.Equal(0, scheduler.Waiting);
        Assert.Equal(0, scheduler.Busy);
    }

    [Fact]
    public async Task Cancel_Running_FreesTheSlotForTheNext()
    {
        var scheduler = Scheduler(slots: 1);
        var running = await scheduler.AcquireAsync("a", _ => { }, CancellationToken.None);
        var next = scheduler.AcquireAsync("b", _ => { }, CancellationToken.None);
        Assert.False(next.IsCompleted);

        await running.DisposeAsync();

        await using var lease = await next;
        Assert.Equal(1, scheduler.Busy);
    }

    [Fact]
    public async Task QueueFull_RejectedWithRetryAfter()
    {
        var scheduler = Scheduler(slots: 1, queue: 2, perClient: 2);
        await using var running = await scheduler.AcquireAsync("a", _ => { }, CancellationToken.None);
        _ = scheduler.AcquireAsync("b", _ => { }, CancellationToken.None);
        _ = scheduler.AcquireAsync("c", _ => { }, CancellationToken.None);

        var busy = await Assert.ThrowsAsync<SchedulerBusyException>(() => scheduler.AcquireAsync("d", _ => { }, CancellationToken.None));

        Assert.InRange(busy.RetryAfterSeconds, 1, 300);
        Assert.Contains("2 runs are waiting", busy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneClientOverItsShare_RejectedWhileOthersStillQueue()
    {
        var scheduler = Scheduler(slots: 1, queue: 10, perClient: 2);
        await using var running = await scheduler.AcquireAsync("a", _ => { }, CancellationToken.None);
        _ = scheduler.AcquireAsync("greedy", _ => { }, CancellationToken.None);
        _ = scheduler.AcquireAsync("greedy", _ => { }, CancellationToken.None);

        var busy = await Assert.ThrowsAsync<SchedulerBusyException>(() => scheduler.AcquireAsync("greedy", _ => { }, CancellationToken.None));
        var other = scheduler.AcquireAsync("polite", _ => { }, CancellationToken.None);

        Assert.Contains("You already have 2 runs waiting", busy.Message, StringComparison.Ordinal);
        Assert.False(other.IsFaulted);
        Assert.Equal(3, scheduler.Waiting);
    }

    private static async Task Track(RunScheduler scheduler, string client, string name, List<string> order, List<int>? positions = null)
    {
        var lease = await scheduler.AcquireAsync(client, p => positions?.Add(p), CancellationToken.None);
        lock (order)
        {
            order.Add(name);
        }

        await lease.DisposeAsync();
    }
}
