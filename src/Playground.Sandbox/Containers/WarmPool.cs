using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Containers;

/// <summary>
/// What the runner and builder pools share: started containers, registered as active so the
/// janitor leaves them alone, refilled in the background with a pause after a failure,
/// recycled well before the janitor's maximum lifetime, and removed at shutdown.
/// </summary>
internal abstract class WarmPool<TItem>(
    SandboxContainers containers,
    ActiveRuns active,
    Telemetry.SandboxMetrics metrics,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger logger) : BackgroundService
    where TItem : class
{
    private readonly SemaphoreSlim _refill = new(0);

    /// <summary>Raised after an item joined the pool; tests wait on it instead of sleeping.</summary>
    public event Action? Added;

    protected Channel<TItem> Idle { get; } = Channel.CreateUnbounded<TItem>();

    protected TimeSpan RecycleAge => options.Value.EffectiveMaxContainerLifetime / 2;

    protected TimeProvider Time => time;

    protected SandboxOptions Options => options.Value;

    protected Telemetry.SandboxMetrics Metrics => metrics;

    /// <summary>The configured size; 0 turns the pool off.</summary>
    protected abstract int Size { get; }

    /// <summary>The pool's name in the <c>playground.pool.size</c> gauge.</summary>
    protected abstract string MetricName { get; }

    /// <summary>Items waiting to be taken, for the gauge.</summary>
    protected abstract int Waiting { get; }

    /// <summary>How many items the pool lacks right now.</summary>
    protected abstract int Shortfall { get; }

    protected abstract Task<TItem> CreateAsync(CancellationToken cancellationToken);

    /// <summary>Takes an item out of the pool for good and frees its place.</summary>
    protected abstract ValueTask RetireAsync(TItem item);

    /// <summary>Called on each wake-up before refilling.</summary>
    protected virtual Task MaintainAsync() => Task.CompletedTask;

    protected void RequestRefill() => _refill.Release();

    /// <summary>Puts a new item where takers find it.</summary>
    protected virtual void Park(TItem item) => Idle.Writer.TryWrite(item);

    /// <summary>Takes every idle item out, for shutdown.</summary>
    protected virtual IEnumerable<TItem> DrainIdle()
    {
        while (Idle.Reader.TryRead(out var item))
        {
            yield return item;
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.ObservePool(MetricName, () => Waiting);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Size == 0)
        {
            return;
        }

        RequestRefill();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Wake for a refill request, or now and then to recycle old containers.
                await _refill.WaitAsync(RecycleAge / 4, stoppingToken).ConfigureAwait(false);
                await MaintainAsync().ConfigureAwait(false);
                while (Shortfall > 0 && !stoppingToken.IsCancellationRequested)
                {
                    try
                    {
                        Park(await CreateAsync(stoppingToken).ConfigureAwait(false));
                        Added?.Invoke();
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        // Engine away or images missing: try again after a pause.
                        PoolLog.RefillFailed(logger, GetType().Name, e);
                        await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>True once shutdown began: an item given back from now on is retired, not parked.</summary>
    protected bool Stopping { get; private set; }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        Stopping = true;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var item in DrainIdle().ToList())
        {
            await RetireAsync(item).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _refill.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Creates and starts a container under a fresh run id that stays registered as active;
    /// <paramref name="releaseAfterRemoval"/> as in <see cref="SandboxContainers.CreateAsync"/>.
    /// </summary>
    protected async Task<(SandboxContainer Container, IDisposable Tracked)> StartContainerAsync(
        string runIdPrefix,
        Func<string, ContainerSpec> spec,
        CancellationToken cancellationToken,
        IDisposable? releaseAfterRemoval = null)
    {
        var tracked = active.TrackNew(runIdPrefix);
        try
        {
            var container = await containers.CreateAsync(spec(tracked.RunId), cancellationToken, releaseAfterRemoval).ConfigureAwait(false);
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
                return (container, tracked);
            }
            catch
            {
                await container.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            tracked.Dispose();
            throw;
        }
    }
}

internal static partial class PoolLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Could not add a container to {Pool}")]
    public static partial void RefillFailed(ILogger logger, string pool, Exception exception);
}
