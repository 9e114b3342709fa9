using System.Diagnostics.Metrics;

namespace Playground.Sandbox.Telemetry;

/// <summary>The sandbox's instruments, created from the host's meter factory.</summary>
internal sealed class SandboxMetrics
{
    public const string MeterName = "Playground.Sandbox";

    private readonly Counter<long> _janitorRemoved;

    public SandboxMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _janitorRemoved = meter.CreateCounter<long>(
            "playground.janitor.removed",
            unit: "{container}",
            description: "Sandbox containers removed by the janitor (left behind by a crash, a failed clean-up or an overrun).");
    }

    public void JanitorRemoved(string reason) => _janitorRemoved.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
