using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Playground.Sandbox.Containers;

/// <summary>
/// One created container with its attached streams. Disposing removes it (forced) with a
/// fresh token, whatever happened to the run's own token.
/// </summary>
internal sealed partial class SandboxContainer : IAsyncDisposable
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(15);
    private readonly DockerEngine _engine;
    private readonly ILogger _logger;
    private readonly IDisposable? _releaseAfterRemoval;
    private int _removed;

    private SandboxContainer(DockerEngine engine, string id, string role, MultiplexedStream stream, ILogger logger, IDisposable? releaseAfterRemoval)
    {
        _engine = engine;
        Id = id;
        Role = role;
        Stream = stream;
        _logger = logger;
        _releaseAfterRemoval = releaseAfterRemoval;
    }

    public string Id { get; }

    /// <summary>runner or builder, from the container's labels.</summary>
    public string Role { get; }

    public MultiplexedStream Stream { get; }

    /// <summary>
    /// Creates the container and attaches to it before it starts, so no output is missed.
    /// <paramref name="releaseAfterRemoval"/> (the runner's user id) is disposed once the
    /// container is known to be gone: never while a process of it may still run.
    /// </summary>
    public static async Task<SandboxContainer> CreateAsync(
        DockerEngine engine, CreateContainerParameters spec, ILogger logger, CancellationToken cancellationToken, IDisposable? releaseAfterRemoval = null)
    {
        // Create under a token of its own: if the caller's token cancelled the call after the
        // engine had created the container, its id would never be known and it would leak.
        CreateContainerResponse created;
        try
        {
            using var createTimeout = new CancellationTokenSource(CleanupTimeout);
            created = await engine.OnceAsync((d, ct) => d.Containers.CreateContainerAsync(spec, ct), createTimeout.Token).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            // The engine refused it: no container was created.
            releaseAfterRemoval?.Dispose();
            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = await engine.OnceAsync(
                (d, ct) => d.Containers.AttachContainerAsync(
                    created.ID,
                    new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                    ct),
                cancellationToken).ConfigureAwait(false);
            return new SandboxContainer(engine, created.ID, (spec.Labels is { } labels && labels.TryGetValue(SandboxLabels.Role, out var role) ? role : "unknown"), stream, logger, releaseAfterRemoval);
        }
        catch
        {
            if (await RemoveAsync(engine, created.ID, logger).ConfigureAwait(false))
            {
                releaseAfterRemoval?.Dispose();
            }

            throw;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _engine.OnceAsync((d, ct) => d.Containers.StartContainerAsync(Id, new ContainerStartParameters(), ct), cancellationToken).ConfigureAwait(false);
        _engine.Metrics.ContainerStarted(Role, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Waits for the container to stop. Not through a pipeline: it lasts as long as the program.</summary>
    public async Task<long> WaitAsync(CancellationToken cancellationToken)
    {
        var docker = await _engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
        return (await docker.Containers.WaitContainerAsync(Id, cancellationToken).ConfigureAwait(false)).StatusCode;
    }

    /// <summary>Whether the container is still running (a pooled one may have died while idle).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        try
        {
            var inspect = await _engine.IdempotentAsync((d, ct) => d.Containers.InspectContainerAsync(Id, ct), cancellationToken).ConfigureAwait(false);
            return inspect.State?.Running ?? false;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    public async Task<bool> WasOomKilledAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        var inspect = await _engine.IdempotentAsync((d, ct) => d.Containers.InspectContainerAsync(Id, ct), cts.Token).ConfigureAwait(false);
        return inspect.State?.OOMKilled ?? false;
    }

    /// <summary>SIGKILL now; a container that already stopped is not an error.</summary>
    public async Task KillAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await _engine.IdempotentAsync((d, ct) => d.Containers.KillContainerAsync(Id, new ContainerKillParameters { Signal = "SIGKILL" }, ct), cts.Token).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // Already stopped or gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return;
        }

        Stream.Dispose();
        if (await RemoveAsync(_engine, Id, _logger).ConfigureAwait(false))
        {
            _releaseAfterRemoval?.Dispose();
        }
    }

    /// <summary>
    /// Forced removal. A failure is logged, not thrown: the run's result is already known and
    /// must not be replaced by a clean-up error; the container keeps its labels for the janitor.
    /// False when the container may still exist.
    /// </summary>
    private static async Task<bool> RemoveAsync(DockerEngine engine, string id, ILogger logger)
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await engine.IdempotentAsync(
                (d, ct) => d.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct),
                cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            // Already removed.
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // "removal already in progress": the engine has killed it.
            return true;
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
        {
            LogRemoveFailed(logger, id, e);
            return false;
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not remove container {ContainerId}; it is left for the janitor")]
    private static partial void LogRemoveFailed(ILogger logger, string containerId, Exception exception);
}
