using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Running;

/// <summary>
/// Started, attached, single-use runner containers whose launcher is waiting on stdin, so a
/// run skips container start-up. A miss falls back to a cold start.
/// </summary>
internal sealed class RunnerPool(
    SandboxContainers containers,
    PreparedToolchains prepared,
    ActiveRuns active,
    SandboxMetrics metrics,
    RunnerUsers users,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<RunnerPool> logger) : WarmPool<PooledRunner>(containers, active, metrics, options, time, logger)
{
    private int _count;

    /// <summary>Containers waiting to be used.</summary>
    public int Count => Volatile.Read(ref _count);

    protected override int Size => Options.RunnerPoolSize;

    protected override string MetricName => "runner";

    protected override int Waiting => Count;

    protected override int Shortfall => Size - Count;

    /// <summary>
    /// A started runner for these images, or null when none is ready (the caller starts one
    /// cold). The caller owns the returned runner and must dispose it.
    /// </summary>
    public async Task<PooledRunner?> TakeAsync(SandboxImageSet images, CancellationToken cancellationToken)
    {
        while (Idle.Reader.TryRead(out var runner))
        {
            Interlocked.Decrement(ref _count);
            RequestRefill();
            if (runner.Image == images.RunnerImage && Time.GetUtcNow() - runner.CreatedAt < RecycleAge
                && await runner.Container.IsRunningAsync(cancellationToken).ConfigureAwait(false))
            {
                Metrics.PoolTake(hit: true);
                return runner;
            }

            // Died while idle, too old, or built for other images: never hand it out.
            await runner.DisposeAsync().ConfigureAwait(false);
        }

        Metrics.PoolTake(hit: false);
        return null;
    }

    protected override async Task<PooledRunner> CreateAsync(CancellationToken cancellationToken)
    {
        // Every toolchain shares the runner image; the first one prepared made it.
        var images = await prepared.FirstAsync(cancellationToken).ConfigureAwait(false);
        var user = users.Take();
        var (container, tracked) = await StartContainerAsync(
            "pool-", runId => ContainerSpec.Runner(images.RunnerImage, runId, user.Uid), cancellationToken, user).ConfigureAwait(false);
        Interlocked.Increment(ref _count);
        return new PooledRunner(container, images.RunnerImage, tracked, Time.GetUtcNow());
    }

    protected override async ValueTask RetireAsync(PooledRunner item)
    {
        Interlocked.Decrement(ref _count);
        await item.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Recycles idle runners that are getting old.</summary>
    protected override async Task MaintainAsync()
    {
        var keep = new List<PooledRunner>();
        while (Idle.Reader.TryRead(out var runner))
        {
            if (Time.GetUtcNow() - runner.CreatedAt < RecycleAge)
            {
                keep.Add(runner);
            }
            else
            {
                await RetireAsync(runner).ConfigureAwait(false);
            }
        }

        foreach (var runner in keep)
        {
            Idle.Writer.TryWrite(runner);
        }
    }
}

/// <summary>A started runner container from the pool, with the registration of its run id.</summary>
internal sealed record PooledRunner(SandboxContainer Container, string Image, IDisposable Tracked, DateTimeOffset CreatedAt) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Container.DisposeAsync().ConfigureAwait(false);
        Tracked.Dispose();
    }
}
