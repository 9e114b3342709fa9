using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Scheduling;

/// <summary>
/// Admission for format and vet jobs: each takes a builder, so they are bounded like runs
/// (<see cref="SchedulerOptions.ToolSlots"/> at a time, the same fair queue and limits per
/// client) without taking run slots from programs.
/// </summary>
internal sealed class ToolScheduler(IOptions<SchedulerOptions> options, TimeProvider time)
{
    private readonly RunScheduler _slots = new(
        Options.Create(new SchedulerOptions
        {
            Slots = options.Value.ToolSlots,
            QueueLimit = options.Value.QueueLimit,
            QueueLimitPerClient = options.Value.QueueLimitPerClient,
        }),
        time);

    public int Busy => _slots.Busy;

    public int Waiting => _slots.Waiting;

    /// <summary>Waits for a tool slot; dispose the result to free it.</summary>
    /// <exception cref="SchedulerBusyException">The queue is full.</exception>
    public Task<IAsyncDisposable> AcquireAsync(string clientId, CancellationToken cancellationToken) =>
        _slots.AcquireAsync(clientId, _ => { }, cancellationToken);
}
