using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Telemetry;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Building;

/// <summary>
/// Long-lived builder containers, each used by one build at a time (a request on the agent's
/// open stdin; a fresh work directory per build) and sharing its toolchain's cache volume. Each
/// ready toolchain has its own builders: the newest <see cref="SandboxOptions.WarmToolchains"/>
/// keep <see cref="SandboxOptions.BuilderPoolSize"/>, the others one; a build that finds none
/// free starts a single-use builder. A builder whose build was cut off, that died, or that is
/// getting old is replaced. The default toolchain's builders are started at once; the others'
/// wait for users' jobs first (<see cref="QuietGate"/>).
/// </summary>
internal sealed class BuilderPool(
    SandboxContainers containers,
    PreparedToolchains prepared,
    ActiveRuns active,
    SandboxMetrics metrics,
    ToolchainCatalog catalog,
    QuietGate quiet,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<BuilderPool> logger) : WarmPool<PooledBuilder>(containers, active, metrics, options, time, logger)
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Builders alive, busy or free, for every toolchain.</summary>
    public int Live => _slots.Values.Sum(s => Volatile.Read(ref s.Live));

    /// <summary>Builders waiting for a build, for every toolchain.</summary>
    public int Free => _slots.Values.Sum(s => s.Idle.Reader.Count);

    protected override int Size => Options.BuilderPoolSize;

    protected override string MetricName => "builder";

    protected override int Waiting => Free;

    protected override int Shortfall => _slots.Values.Sum(s => Math.Max(0, s.Target - Volatile.Read(ref s.Live)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Size == 0)
        {
            return;
        }

        // Builders follow readiness: a toolchain gets its builders once it is prepared.
        prepared.OnPrepared((toolchain, images) => _ = AddAsync(toolchain, images));
        await base.ExecuteAsync(stoppingToken).ConfigureAwait(false);
    }

    private async Task AddAsync(Toolchain toolchain, SandboxImageSet images)
    {
        var list = await catalog.GetAsync(CancellationToken.None).ConfigureAwait(false);
        var rank = list.Installed.ToList().IndexOf(toolchain);
        var target = rank >= 0 && rank < Options.WarmToolchains ? Size : Math.Min(1, Size);
        _slots.TryAdd(images.BuilderImage, new Slot(images, target, isDefault: rank == 0));
        RequestRefill();
    }

    /// <summary>A free builder for these images, or null (the caller builds in a single-use container).</summary>
    public async Task<PooledBuilder?> TakeAsync(SandboxImageSet images, CancellationToken cancellationToken)
    {
        if (_slots.TryGetValue(images.BuilderImage, out var slot))
        {
            while (slot.Idle.Reader.TryRead(out var builder))
            {
                if (Time.GetUtcNow() - builder.CreatedAt < RecycleAge
                    && await builder.Container.IsRunningAsync(cancellationToken).ConfigureAwait(false))
                {
                    Metrics.BuilderTake(hit: true);
                    return builder;
                }

                await RetireAsync(builder).ConfigureAwait(false);
            }
        }

        Metrics.BuilderTake(hit: false);
        return null;
    }

    public async Task ReturnAsync(PooledBuilder builder, bool healthy)
    {
        if (healthy && !Stopping && Time.GetUtcNow() - builder.CreatedAt < RecycleAge && _slots.TryGetValue(builder.Images.BuilderImage, out var slot))
        {
            slot.Idle.Writer.TryWrite(builder);
            if (Stopping)
            {
                // Shutdown drained the pool between the check and the write.
                foreach (var item in DrainIdle().ToList())
                {
                    await RetireAsync(item).ConfigureAwait(false);
                }
            }

            return;
        }

        await RetireAsync(builder).ConfigureAwait(false);
    }

    protected override async Task<PooledBuilder> CreateAsync(CancellationToken cancellationToken)
    {
        var slot = Lacking();
        if (!slot.IsDefault && !quiet.IsQuiet)
        {
            await quiet.WaitAsync(cancellationToken).ConfigureAwait(false);
            slot = Lacking();
        }

        Interlocked.Increment(ref slot.Live);
        try
        {
            var images = slot.Images;
            var (container, tracked) = await StartContainerAsync(
                "builders-",
                runId => ContainerSpec.Builder(images.BuilderImage, images.CacheVolume, runId, serve: true),
                cancellationToken).ConfigureAwait(false);
            return new PooledBuilder(container, images, tracked, Time.GetUtcNow());
        }
        catch
        {
            Interlocked.Decrement(ref slot.Live);
            throw;
        }
    }

    /// <summary>The toolchain furthest below its target; the default first, then the warm ones, among equals.</summary>
    private Slot Lacking() =>
        _slots.Values
            .Where(s => s.Target > Volatile.Read(ref s.Live))
            .MaxBy(s => (s.Target - Volatile.Read(ref s.Live), s.IsDefault, s.Target))
        ?? throw new InvalidOperationException("No toolchain lacks builders.");

    protected override void Park(PooledBuilder item) => _slots[item.Images.BuilderImage].Idle.Writer.TryWrite(item);

    protected override IEnumerable<PooledBuilder> DrainIdle()
    {
        foreach (var slot in _slots.Values)
        {
            while (slot.Idle.Reader.TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    protected override async ValueTask RetireAsync(PooledBuilder item)
    {
        if (_slots.TryGetValue(item.Images.BuilderImage, out var slot))
        {
            Interlocked.Decrement(ref slot.Live);
        }

        await item.Container.DisposeAsync().ConfigureAwait(false);
        item.Tracked.Dispose();
        RequestRefill();
    }

    /// <summary>One toolchain's builders.</summary>
    private sealed class Slot(SandboxImageSet images, int target, bool isDefault)
    {
        public SandboxImageSet Images { get; } = images;

        public int Target { get; } = target;

        public bool IsDefault { get; } = isDefault;

        public Channel<PooledBuilder> Idle { get; } = Channel.CreateUnbounded<PooledBuilder>();

        public int Live;
    }
}

/// <summary>A running builder container from the pool.</summary>
internal sealed record PooledBuilder(SandboxContainer Container, SandboxImageSet Images, IDisposable Tracked, DateTimeOffset CreatedAt);
