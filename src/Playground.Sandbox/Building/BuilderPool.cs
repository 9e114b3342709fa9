using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Building;

/// <summary>
/// Long-lived builder containers, each used by one build at a time (a request on the
/// agent's open stdin; a fresh work directory per build) and sharing the cache volume. A
/// builder whose build was cut off, that died, or that is getting old is replaced.
/// </summary>
internal sealed class BuilderPool(
    DockerEngine engine,
    IServiceProvider services,
    ActiveRuns active,
    SandboxMetrics metrics,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<BuilderPool> logger) : WarmPool<PooledBuilder>(engine, services, active, options, time, logger)
{
    private int _live;

    /// <summary>Builders alive, busy or free.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>Builders waiting for a build.</summary>
    public int Free => Idle.Reader.Count;

    protected override int Size => Options.BuilderPoolSize;

    protected override int Shortfall => Size - Live;

    /// <summary>A free builder for these images, or null (the caller builds in a single-use container).</summary>
    public async Task<PooledBuilder?> TakeAsync(SandboxImageSet images, CancellationToken cancellationToken)
    {
        while (Idle.Reader.TryRead(out var builder))
        {
            if (builder.Images == images && Time.GetUtcNow() - builder.CreatedAt < RecycleAge
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
        if (healthy && Time.GetUtcNow() - builder.CreatedAt < RecycleAge)
        {
            Idle.Writer.TryWrite(builder);
            return;
        }

        await RetireAsync(builder).ConfigureAwait(false);
    }

    protected override async Task<PooledBuilder> CreateAsync(CancellationToken cancellationToken)
    {
        var (container, images, tracked) = await StartContainerAsync(
            "builders-",
            (images, runId) => ContainerSpecs.Builder(images.BuilderImage, images.CacheVolume, runId, Options, Time, serve: true),
            cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _live);
        return new PooledBuilder(container, images, tracked, Time.GetUtcNow());
    }

    protected override async ValueTask RetireAsync(PooledBuilder item)
    {
        Interlocked.Decrement(ref _live);
        await item.Container.DisposeAsync().ConfigureAwait(false);
        item.Tracked.Dispose();
        RequestRefill();
    }
}

/// <summary>A running builder container from the pool.</summary>
internal sealed record PooledBuilder(SandboxContainer Container, SandboxImageSet Images, IDisposable Tracked, DateTimeOffset CreatedAt);
