using System.Diagnostics.Metrics;

namespace Playground.Sandbox.Telemetry;

/// <summary>The sandbox's instruments, created from the host's meter factory.</summary>
internal sealed class SandboxMetrics
{
    public const string MeterName = "Playground.Sandbox";

    private readonly Counter<long> _janitorRemoved;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _binaryCache;
    private readonly Histogram<double> _buildDuration;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _poolTakes;
    private readonly Counter<long> _builderTakes;

    public SandboxMetrics(IMeterFactory meterFactory, Scheduling.RunScheduler scheduler)
    {
        var meter = meterFactory.Create(MeterName);
        _runs = meter.CreateCounter<long>("playground.runs", unit: "{run}", description: "Runs by outcome.");
        _binaryCache = meter.CreateCounter<long>("playground.build.cache", unit: "{lookup}", description: "Binary cache look-ups by result (hit, miss).");
        _buildDuration = meter.CreateHistogram<double>("playground.build.duration", unit: "s", description: "Time to build a program in a builder container.");
        _runDuration = meter.CreateHistogram<double>("playground.run.duration", unit: "s", description: "Time a program ran, by outcome.");
        _queueWait = meter.CreateHistogram<double>("playground.queue.wait", unit: "s", description: "Time a run waited for a slot.");
        meter.CreateObservableGauge("playground.queue.length", () => scheduler.Waiting, unit: "{run}", description: "Runs waiting for a slot.");
        meter.CreateObservableGauge("playground.slots.busy", () => scheduler.Busy, unit: "{run}", description: "Slots in use.");
        _builderTakes = meter.CreateCounter<long>("playground.builders.takes", unit: "{take}", description: "Builder pool takes by result (hit, miss: a single-use builder).");
        _poolTakes = meter.CreateCounter<long>("playground.pool.takes", unit: "{take}", description: "Runner pool takes by result (hit, miss: a cold start).");
        _janitorRemoved = meter.CreateCounter<long>(
            "playground.janitor.removed",
            unit: "{container}",
            description: "Sandbox containers removed by the janitor (left behind by a crash, a failed clean-up or an overrun).");
    }

    public void JanitorRemoved(string reason) => _janitorRemoved.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RunFinished(Runs.RunOutcome outcome) => _runs.Add(1, Outcome(outcome));

    public void CacheLookup(bool hit) => _binaryCache.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>Records a build's duration, tagged with its path: "compiler" (the agent's fast path) or "go".</summary>
    public void Built(TimeSpan elapsed, string? via) => _buildDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("via", via ?? "unknown"));

    public void Ran(TimeSpan elapsed, Runs.RunOutcome outcome) => _runDuration.Record(elapsed.TotalSeconds, Outcome(outcome));

    public void Waited(TimeSpan elapsed) => _queueWait.Record(elapsed.TotalSeconds);

    public void BuilderTake(bool hit) => _builderTakes.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void PoolTake(bool hit) => _poolTakes.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    private static KeyValuePair<string, object?> Outcome(Runs.RunOutcome outcome) =>
        new("outcome", System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(outcome.ToString()));
}
