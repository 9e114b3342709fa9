using System.Diagnostics;

namespace Playground.Sandbox.Telemetry;

/// <summary>
/// Spans of a run: <c>playground.run</c> with its stages <c>playground.run.queue</c>,
/// <c>playground.run.build</c> and <c>playground.run.execute</c> as children, under whatever
/// request or hub call started the run. Tags carry ids and outcomes, never source or output.
/// </summary>
internal static class SandboxTracing
{
    public const string SourceName = "Playground.Sandbox";

    public static ActivitySource Source { get; } = new(SourceName);

    public const string Run = "playground.run";
    public const string Queue = "playground.run.queue";
    public const string Build = "playground.run.build";
    public const string Execute = "playground.run.execute";
}
