using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Telemetry;

namespace Playground.Sandbox.Running;

/// <summary>
/// Started, attached, single-use runner containers whose launcher is waiting on stdin, so a
/// run skips container start-up. Refilled in the background; a miss falls back to a cold
/// start. Idle containers are recycled long before the janitor would call them expired.
/// </summary>
internal sealed partial class RunnerPool(
    DockerEngine engine,
    SandboxReadiness readiness,
    ActiveRuns active,
    SandboxMetrics metrics,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<RunnerPool> logger) : BackgroundService
{
    private readonly Channel<PooledRunner> _idle = Channel.CreateUnbounded<PooledRunner>();
    private readonly SemaphoreSlim _refill = new(0);
    private int _count;

    /// <summary>Containers waiting to be used.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Raised after a container joined the pool; tests wait on it instead of sleeping.</summary>
    public event Action? Added;

    /// <summary>
    /// A started runner for these images, or null when none is ready (the caller starts one
    /// cold). The caller owns the returned container and must dispose it.
    /// </summary>
    public async Task<PooledRunner?> TakeAsync(SandboxImageSet images, CancellationToken cancellationToken)
    {
        while (_idle.Reader.TryRead(out var runner))
        {
            Interlocked.Decrement(ref _count);
            _refill.Release();
            if (runner.Images == images && time.GetUtcNow() - runner.CreatedAt < RecycleAge
                && await runner.Container.IsRunningAsync(cancellationToken).ConfigureAwait(false))
            {
                metrics.PoolTake(hit: true);
                return runner;
            }

            // Died while idle, too old, or built for other images: never hand it out.
            await runner.DisposeAsync().ConfigureAwait(false);
        }

        metrics.PoolTake(hit: false);
        return null;
    }

    private TimeSpan RecycleAge => options.Value.EffectiveMaxContainerLifetime / 2;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var size = options.Value.RunnerPoolSize;
        if (size == 0)
        {
            return;
        }

        _refill.Release(size);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Wake for a refill request, or now and then to recycle old containers.
                await _refill.WaitAsync(RecycleAge / 4, stoppingToken).ConfigureAwait(false);
                await RecycleOldAsync().ConfigureAwait(false);
                while (Count < size && !stoppingToken.IsCancellationRequested)
                {
                    try
                    {
                        await AddOneAsync(stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        // Engine away or images missing: try again on the next wake-up.
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
        while (_idle.Reader.TryRead(out var runner))
        {
            Interlocked.Decrement(ref _count);
            await runner.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _refill.Dispose();
        base.Dispose();
    }

    private async Task AddOneAsync(CancellationToken cancellationToken)
    {
        var images = await readiness.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var runId = "pool-" + Guid.NewGuid().ToString("N")[..12];
        var tracked = active.Track(runId);
        try
        {
            var container = await SandboxContainer.CreateAsync(engine, ContainerSpecs.Runner(images.RunnerImage, runId, options.Value, time), logger, cancellationToken).ConfigureAwait(false);
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await container.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _idle.Writer.TryWrite(new PooledRunner(container, images, runId, tracked, time.GetUtcNow()));
            Interlocked.Increment(ref _count);
            Added?.Invoke();
        }
        catch
        {
            tracked.Dispose();
            throw;
        }
    }

    private async Task RecycleOldAsync()
    {
        var keep = new List<PooledRunner>();
        while (_idle.Reader.TryRead(out var runner))
        {
            if (time.GetUtcNow() - runner.CreatedAt < RecycleAge)
            {
                keep.Add(runner);
                continue;
            }

            Interlocked.Decrement(ref _count);
            await runner.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var runner in keep)
        {
            _idle.Writer.TryWrite(runner);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Could not add a runner to the pool")]
    private static partial void LogRefillFailed(ILogger logger, Exception exception);
}

/// <summary>A started runner container from the pool, with the run id it is registered under.</summary>
internal sealed record PooledRunner(SandboxContainer Container, SandboxImageSet Images, string RunId, IDisposable Tracked, DateTimeOffset CreatedAt) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Container.DisposeAsync().ConfigureAwait(false);
        Tracked.Dispose();
    }
}
