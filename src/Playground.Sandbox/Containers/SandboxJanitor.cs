using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Containers;

/// <summary>
/// Removes sandbox containers nobody will remove: this instance's containers whose run is
/// not active here (left by a crash, or by a removal that failed while the engine was
/// away), and any playground container older than the maximum lifetime. Runs at start-up
/// and then periodically.
/// </summary>
internal sealed partial class SandboxJanitor(
    IContainerEngine engine,
    ActiveRuns active,
    SandboxMetrics metrics,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<SandboxJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The engine may be away; the next pass tries again.
                LogPassFailed(logger, e);
            }

            try
            {
                await Task.Delay(options.Value.JanitorInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass; returns how many containers it removed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var containers = await engine.ListManagedAsync(cancellationToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var removed = 0;
        foreach (var c in containers)
        {
            var labels = c.Labels;
            var runId = labels.GetValueOrDefault(SandboxLabels.RunId, "");
            var mine = labels.GetValueOrDefault(SandboxLabels.Owner) == o.InstanceName;
            var age = now - CreatedAt(c, labels);
            string? reason = mine && !active.Contains(runId) ? "orphaned"
                : age > o.EffectiveMaxContainerLifetime ? "expired"
                : null;
            if (reason is null)
            {
                continue;
            }

            // One removed meanwhile by its own run is not an error (the engine ignores it).
            await engine.RemoveAsync(c.Id, cancellationToken).ConfigureAwait(false);
            removed++;
            metrics.JanitorRemoved(reason);
            LogRemoved(logger, c.Id[..Math.Min(12, c.Id.Length)], reason, runId);
        }

        return removed;
    }

    /// <summary>
    /// When a container was created: the creating instance's label or the engine's record,
    /// whichever is earlier. Only GoPlay instances label containers as theirs; the label lets an
    /// instance on a fake clock (a test) age one without waiting.
    /// </summary>
    private static DateTimeOffset CreatedAt(ManagedContainer c, IReadOnlyDictionary<string, string> labels)
    {
        var engine = c.Created;
        var labelled = labels.GetValueOrDefault(SandboxLabels.CreatedUnix);
        return long.TryParse(labelled, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var unix)
            && unix < engine.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(unix)
            : engine;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Janitor removed container {ContainerId} ({Reason}, run {RunId})")]
    private static partial void LogRemoved(ILogger logger, string containerId, string reason, string runId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Janitor pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
