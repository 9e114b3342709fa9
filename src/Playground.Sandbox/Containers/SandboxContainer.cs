using Microsoft.Extensions.Logging;

namespace Playground.Sandbox.Containers;

/// <summary>
/// Creates sandbox containers through the engine, attached before they start; what the
/// builders, runners and pools use instead of the engine itself.
/// </summary>
internal sealed class SandboxContainers(IContainerEngine engine, Telemetry.SandboxMetrics metrics, ILogger<SandboxContainer> logger)
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Creates the container and attaches to it before it starts, so no output is missed.
    /// <paramref name="releaseAfterRemoval"/> (the runner's user id) is disposed once the
    /// container is known to be gone: never while a process of it may still run.
    /// </summary>
    public async Task<SandboxContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken, IDisposable? releaseAfterRemoval = null)
    {
        // Create under a token of its own: if the caller's token cancelled the call after the
        // engine had created the container, its id would never be known and it would leak.
        string id;
        try
        {
            using var createTimeout = new CancellationTokenSource(CreateTimeout);
            id = await engine.CreateAsync(spec, createTimeout.Token).ConfigureAwait(false);
        }
        catch (ContainerEngineException)
        {
            // The engine refused it: no container was created.
            releaseAfterRemoval?.Dispose();
            throw;
        }

        var container = new SandboxContainer(engine, metrics, id, spec.RoleLabel, logger, releaseAfterRemoval);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await container.AttachAsync(cancellationToken).ConfigureAwait(false);
            return container;
        }
        catch
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>
/// One created container with its attached streams. Disposing removes it (forced) with a
/// fresh token, whatever happened to the run's own token.
/// </summary>
internal sealed partial class SandboxContainer : IAsyncDisposable
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(15);
    private readonly IContainerEngine _engine;
    private readonly Telemetry.SandboxMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IDisposable? _releaseAfterRemoval;
    private IContainerStream? _stream;
    private int _removed;

    internal SandboxContainer(IContainerEngine engine, Telemetry.SandboxMetrics metrics, string id, string role, ILogger logger, IDisposable? releaseAfterRemoval)
    {
        _engine = engine;
        _metrics = metrics;
        Id = id;
        Role = role;
        _logger = logger;
        _releaseAfterRemoval = releaseAfterRemoval;
    }

    public string Id { get; }

    /// <summary>runner or builder, from the container's labels.</summary>
    public string Role { get; }

    public IContainerStream Stream => _stream ?? throw new InvalidOperationException("The container is not attached.");

    internal async Task AttachAsync(CancellationToken cancellationToken) =>
        _stream = await _engine.AttachAsync(Id, cancellationToken).ConfigureAwait(false);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _engine.StartAsync(Id, cancellationToken).ConfigureAwait(false);
        _metrics.ContainerStarted(Role, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Waits for the container to stop. It lasts as long as the program.</summary>
    public Task<long> WaitAsync(CancellationToken cancellationToken) => _engine.WaitAsync(Id, cancellationToken);

    /// <summary>Whether the container is still running (a pooled one may have died while idle).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken) =>
        (await _engine.InspectAsync(Id, cancellationToken).ConfigureAwait(false)).Running;

    public async Task<bool> WasOomKilledAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        return (await _engine.InspectAsync(Id, cts.Token).ConfigureAwait(false)).OomKilled;
    }

    /// <summary>SIGKILL now; a container that already stopped is not an error.</summary>
    public async Task KillAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        await _engine.KillAsync(Id, cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return;
        }

        _stream?.Dispose();
        if (await RemoveAsync().ConfigureAwait(false))
        {
            _releaseAfterRemoval?.Dispose();
        }
    }

    /// <summary>
    /// Forced removal. A failure is logged, not thrown: the run's result is already known and
    /// must not be replaced by a clean-up error; the container keeps its labels for the janitor.
    /// False when the container may still exist.
    /// </summary>
    private async Task<bool> RemoveAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await _engine.RemoveAsync(Id, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is ContainerEngineException or HttpRequestException or IOException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
        {
            LogRemoveFailed(_logger, Id, e);
            return false;
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not remove container {ContainerId}; it is left for the janitor")]
    private static partial void LogRemoveFailed(ILogger logger, string containerId, Exception exception);
}
