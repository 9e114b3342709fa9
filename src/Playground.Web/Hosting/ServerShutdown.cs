using Microsoft.Extensions.Options;
using Playground.Sandbox.Runs;
using Playground.Web.Realtime;

namespace Playground.Web.Hosting;

/// <summary>
/// Owns the web server's graceful stop: every run in flight ends with an event saying the
/// server is shutting down, each connection gets its run's last event, then the connections
/// close (the hub's from the application side, the terminal sockets with 1001).
/// </summary>
/// <remarks>
/// <para>
/// The stop has to be over before ApplicationStopping fires: SignalR closes its connections from
/// its own ApplicationStopping callback by aborting their transports, which drops whatever they
/// still hold (under load, a run's last event was lost that way). A host stopped by a call to
/// <c>StopAsync</c> runs <see cref="StoppingAsync"/> before ApplicationStopping, so the stop
/// runs there. A signal (SIGTERM, Ctrl+C) is different: the console lifetime calls
/// <c>StopApplication</c> first, which fires ApplicationStopping before any service hears of
/// the stop; <see cref="DrainingConsoleLifetime"/> runs <see cref="DrainAsync"/> first on that
/// path. Both wait for the same drain, which runs once.
/// </para>
/// <para>
/// Nothing here blocks a thread: the drain is bounded by half the host's shutdown timeout, and
/// what it does not finish in time (a container the engine did not remove) is left to the
/// janitor's start-up pass.
/// </para>
/// </remarks>
internal sealed partial class ServerShutdown(
    IRunShutdown runs,
    HubConnections hubs,
    TimeProvider time,
    IOptions<HostOptions> hostOptions,
    ILogger<ServerShutdown> logger) : IHostedLifecycleService, IDisposable
{
    /// <summary>
    /// SignalR hands a stream's completion to its connection after the last item, with no signal
    /// when it has; a connection closed before that loses it. A short pause lets it be queued.
    /// </summary>
    private static readonly TimeSpan FlushGrace = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _drain;

    /// <summary>
    /// Cancelled when the drain starts. A terminal socket without a run closes then; one with a
    /// run closes after sending the run's last event.
    /// </summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Stops the runs and closes the connections, once: every call returns the same task, which
    /// does not fail (a drain cut short by the timeout is logged).
    /// </summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return _drain ??= Task.Run(DrainCoreAsync, CancellationToken.None);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's own timeout: it goes on stopping; the drain is logged when it ends.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    private TimeSpan DrainLimit =>
        hostOptions.Value.ShutdownTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : hostOptions.Value.ShutdownTimeout / 2;

    private async Task DrainCoreAsync()
    {
        // Half of the host's shutdown timeout: on a signal the host's own stop (the pools' and
        // the janitor's containers, Kestrel) comes after the drain, and an orchestrator's grace
        // period is usually that timeout, not twice it.
        using var timeout = new CancellationTokenSource(DrainLimit, time);
        try
        {
            // Idle sockets close now; busy ones wait for their run's last event (TerminalSocket).
            await _stopping.CancelAsync().ConfigureAwait(false);
            var stopped = await runs.StopAllAsync(timeout.Token).ConfigureAwait(false);
            if (stopped > 0 && hubs.Any)
            {
                await Task.Delay(FlushGrace, time, timeout.Token).ConfigureAwait(false);
            }

            await hubs.CloseAllAsync(timeout.Token).ConfigureAwait(false);
            LogDrained(logger, stopped);
        }
        catch (OperationCanceledException)
        {
            LogDrainTimedOut(logger, DrainLimit);
        }
        catch (Exception e) // the stop goes on whatever failed here; the janitor covers the rest
        {
            LogDrainFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Shutdown: {Count} runs stopped, connections closed")]
    private static partial void LogDrained(ILogger logger, int count);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Shutdown: runs and connections not all closed within {Timeout}")]
    private static partial void LogDrainTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Shutdown: stopping the runs failed")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception);
}
