namespace Playground.Sandbox.Scheduling;

/// <summary>
/// Lets background work (preparing the Go versions after the default, warming vet's facts,
/// filling those versions' builder pools) wait until no user job holds or waits for a run or
/// tool slot. On two cores, the dozen container starts of a server's first seconds made the
/// first user's build take 11 s instead of 1. A run slot can be held for minutes (a program
/// waiting for input), so the wait is bounded: background work is delayed, never starved.
/// </summary>
internal sealed class QuietGate(RunScheduler runs, ToolScheduler tools, TimeProvider time)
{
    /// <summary>The longest one background step waits for users.</summary>
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    public bool IsQuiet => runs.Busy == 0 && runs.Waiting == 0 && tools.Busy == 0 && tools.Waiting == 0;

    /// <summary>Returns once no user job is running or queued, or after <see cref="MaxDeferral"/>.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (!IsQuiet && time.GetElapsedTime(started) < MaxDeferral)
        {
            await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
