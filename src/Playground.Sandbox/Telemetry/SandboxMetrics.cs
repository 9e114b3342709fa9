using System.Diagnostics.Metrics;
using Playground.Sandbox.Containers;

namespace Playground.Sandbox.Telemetry;

/// <summary>The sandbox's instruments, created from the host's meter factory.</summary>
internal sealed class SandboxMetrics
{
    public const string MeterName = "Playground.Sandbox";

    /// <summary>
    /// Seconds, from a cached run's few milliseconds to the one-minute wall time; the SDK's
    /// default boundaries are meant for milliseconds and would put every run in one bucket.
    /// </summary>
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    };

    /// <summary>
    /// The janitor's reasons and the Docker pipeline's events. These, and the hit/miss
    /// counters, are exported at zero from the start: a dashboard or an alert sees a series
    /// that has not moved yet instead of none.
    /// </summary>
    public static IReadOnlyList<string> JanitorReasons { get; } = ["orphaned", "expired"];

    public static IReadOnlyList<string> ResilienceEvents { get; } = ["retry", "breaker-opened", "breaker-closed", "timeout"];

    private readonly Counter<long> _janitorRemoved;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _binaryCache;
    private readonly Histogram<double> _buildDuration;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _containerStart;
    private readonly Counter<long> _poolTakes;
    private readonly Counter<long> _builderTakes;
    private readonly Counter<long> _resilienceEvents;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<int>> _pools = new(StringComparer.Ordinal);

    public SandboxMetrics(IMeterFactory meterFactory, Scheduling.RunScheduler scheduler, DockerResilience resilience)
    {
        var meter = meterFactory.Create(MeterName);
        _runs = meter.CreateCounter<long>("playground.runs", unit: "{run}", description: "Runs by outcome and transport.");
        _binaryCache = meter.CreateCounter<long>("playground.build.cache", unit: "{lookup}", description: "Binary cache look-ups by result (hit, miss).");
        _buildDuration = meter.CreateHistogram("playground.build.duration", unit: "s", description: "Time to build a program in a builder container.", tags: null, advice: Seconds);
        _runDuration = meter.CreateHistogram("playground.run.duration", unit: "s", description: "Time a program ran, by outcome and transport.", tags: null, advice: Seconds);
        _queueWait = meter.CreateHistogram("playground.queue.wait", unit: "s", description: "Time a run waited for a slot.", tags: null, advice: Seconds);
        _containerStart = meter.CreateHistogram(
            "playground.container.start.duration", unit: "s", description: "Time the engine took to start a sandbox container, by role (runner, builder).", tags: null, advice: Seconds);
        meter.CreateObservableGauge("playground.queue.length", () => scheduler.Waiting, unit: "{run}", description: "Runs waiting for a slot.");
        meter.CreateObservableGauge("playground.slots.busy", () => scheduler.Busy, unit: "{run}", description: "Slots in use.");
        meter.CreateObservableGauge(
            "playground.pool.size",
            // The pools are built after (and from) this class, so they report in when they start.
            () => _pools.Select(p => new Measurement<int>(p.Value(), Tag("pool", p.Key))).ToArray(),
            unit: "{container}",
            description: "Started containers waiting in a warm pool, by pool (runner, builder).");
        _builderTakes = meter.CreateCounter<long>("playground.builders.takes", unit: "{take}", description: "Builder pool takes by result (hit, miss: a single-use builder).");
        _poolTakes = meter.CreateCounter<long>("playground.pool.takes", unit: "{take}", description: "Runner pool takes by result (hit, miss: a cold start).");
        _janitorRemoved = meter.CreateCounter<long>(
            "playground.janitor.removed",
            unit: "{container}",
            description: "Sandbox containers removed by the janitor (left behind by a crash, a failed clean-up or an overrun).");
        _resilienceEvents = meter.CreateCounter<long>(
            "playground.docker.resilience.events", unit: "{event}", description: "Docker API resilience events (retry, breaker-opened, breaker-closed, timeout).");
        meter.CreateObservableGauge(
            "playground.docker.breaker.open", () => resilience.IsOpen ? 1 : 0, unit: "{breaker}", description: "1 while a Docker API circuit breaker refuses calls (readiness fails meanwhile).");

        foreach (var reason in JanitorReasons)
        {
            _janitorRemoved.Add(0, Tag("reason", reason));
        }

        foreach (var result in (string[])["hit", "miss"])
        {
            _binaryCache.Add(0, Tag("result", result));
            _builderTakes.Add(0, Tag("result", result));
            _poolTakes.Add(0, Tag("result", result));
        }

        foreach (var e in ResilienceEvents)
        {
            _resilienceEvents.Add(0, Tag("event", e));
        }

        resilience.EventRaised += e => _resilienceEvents.Add(1, Tag("event", e));
    }

    /// <summary>Reports a warm pool's waiting containers under <c>pool</c>=<paramref name="pool"/> from now on.</summary>
    public void ObservePool(string pool, Func<int> waiting) => _pools[pool] = waiting;

    public void JanitorRemoved(string reason) => _janitorRemoved.Add(1, Tag("reason", reason));

    public void RunFinished(RunOutcome outcome, string transport) => _runs.Add(1, Outcome(outcome), Tag("transport", transport));

    /// <summary>A run whose client left before its final event: <c>outcome="abandoned"</c>, beside the run outcomes.</summary>
    public void RunAbandoned(string transport) => _runs.Add(1, Tag("outcome", "abandoned"), Tag("transport", transport));

    public void CacheLookup(bool hit) => _binaryCache.Add(1, Tag("result", hit ? "hit" : "miss"));

    /// <summary>Records a build's duration, tagged with its path: "compiler" (the agent's fast path) or "go".</summary>
    public void Built(TimeSpan elapsed, string? via) => _buildDuration.Record(elapsed.TotalSeconds, Tag("via", via ?? "unknown"));

    public void Ran(TimeSpan elapsed, RunOutcome outcome, string transport) => _runDuration.Record(elapsed.TotalSeconds, Outcome(outcome), Tag("transport", transport));

    public void Waited(TimeSpan elapsed) => _queueWait.Record(elapsed.TotalSeconds);

    public void ContainerStarted(string role, TimeSpan elapsed) => _containerStart.Record(elapsed.TotalSeconds, Tag("role", role));

    public void BuilderTake(bool hit) => _builderTakes.Add(1, Tag("result", hit ? "hit" : "miss"));

    public void PoolTake(bool hit) => _poolTakes.Add(1, Tag("result", hit ? "hit" : "miss"));

    public static string OutcomeName(RunOutcome outcome) => KebabCase.Name(outcome);

    private static KeyValuePair<string, object?> Outcome(RunOutcome outcome) => Tag("outcome", OutcomeName(outcome));

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
