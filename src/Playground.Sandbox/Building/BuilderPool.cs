using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Building;

/// <summary>
/// Long-lived builder containers, each used by one build at a time (a request on the
/// agent's open stdin; a fresh work directory per build) and sharing the cache volume. A builder whose
/// build was cut off, that died, or that is getting old is replaced in the background.
/// </summary>
internal sealed partial class BuilderPool(
    DockerEngine engine,
    IServiceProvider services,
    ActiveRuns active,
    SandboxMetrics metrics,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<BuilderPool> logger) : BackgroundService
{
    private readonly Channel<PooledBuilder> _free = Channel.CreateUnbounded<PooledBuilder>();
    private readonly SemaphoreSlim _refill = new(0);
    private int _live;

    /// <summary>Builders alive, busy or free.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>Builders waiting for a build.</summary>
    public int Free => _free.Reader.Count;

    /// <summary>Raised after a builder joined the pool.</summary>
    public event Action? Added;

    private TimeSpan RecycleAge => options.Value.EffectiveMaxContainerLifetime / 2;

    /// <summary>A free builder for these images, or null (the caller builds in a single-use container).</summary>
    public async Task<PooledBuilder?> TakeAsync(SandboxImageSet images, CancellationToken cancellationToken)
    {
        while (_free.Reader.TryRead(out var builder))
        {
            if (builder.Images == images && time.GetUtcNow() - builder.CreatedAt < RecycleAge
                && await builder.Container.IsRunningAsync(cancellationToken).ConfigureAwait(false))
            {
                metrics.BuilderTake(hit: true);
                return builder;
            }

            await RetireAsync(builder).ConfigureAwait(false);
        }

        metrics.BuilderTake(hit: false);
        return null;
    }

    public async Task ReturnAsync(PooledBuilder builder, bool healthy)
    {
        if (healthy && time.GetUtcNow() - builder.CreatedAt < RecycleAge)
        {
            _free.Writer.TryWrite(builder);
            return;
        }

        await RetireAsync(builder).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var size = options.Value.BuilderPoolSize;
        if (size == 0)
        {
            return;
        }

        _refill.Release();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _refill.WaitAsync(RecycleAge / 4, stoppingToken).ConfigureAwait(false);
                while (Live < size && !stoppingToken.IsCancellationRequested)
                {
                    try
                    {
                        await AddOneAsync(stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        LogRefillFailed(logger, e);
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        while (_free.Reader.TryRead(out var builder))
        {
            await RetireAsync(builder).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _refill.Dispose();
        base.Dispose();
    }

    private async Task AddOneAsync(CancellationToken cancellationToken)
    {
        // Resolved lazily: readiness needs the builder, the builder needs this pool.
        var images = await services.GetRequiredService<SandboxReadiness>().EnsureAsync(cancellationToken).ConfigureAwait(false);
        var runId = "builders-" + Guid.NewGuid().ToString("N")[..12];
        var tracked = active.Track(runId);
        try
        {
            var container = await SandboxContainer.CreateAsync(engine, ContainerSpecs.Builder(images.BuilderImage, images.CacheVolume, runId, options.Value, time, serve: true), logger, cancellationToken).ConfigureAwait(false);
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await container.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Interlocked.Increment(ref _live);
            _free.Writer.TryWrite(new PooledBuilder(container, images, tracked, time.GetUtcNow()));
            Added?.Invoke();
        }
        catch
        {
            tracked.Dispose();
            throw;
        }
    }

    private async Task RetireAsync(PooledBuilder builder)
    {
        Interlocked.Decrement(ref _live);
        await builder.Container.DisposeAsync().ConfigureAwait(false);
        builder.Tracked.Dispose();
        _refill.Release();
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Could not add a builder to the pool")]
    private static partial void LogRefillFailed(ILogger logger, Exception exception);
}

/// <summary>A running builder container from the pool.</summary>
internal sealed record PooledBuilder(SandboxContainer Container, SandboxImageSet Images, IDisposable Tracked, DateTimeOffset CreatedAt);
