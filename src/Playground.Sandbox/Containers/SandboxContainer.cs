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
    private readonly IDockerClient _docker;
    private readonly ILogger _logger;
    private int _removed;

    private SandboxContainer(IDockerClient docker, string id, MultiplexedStream stream, ILogger logger)
    {
        _docker = docker;
        Id = id;
        Stream = stream;
        _logger = logger;
    }

    public string Id { get; }

    public MultiplexedStream Stream { get; }

    /// <summary>Creates the container and attaches to it before it starts, so no output is missed.</summary>
    public static async Task<SandboxContainer> CreateAsync(IDockerClient docker, CreateContainerParameters spec, ILogger logger, CancellationToken cancellationToken)
    {
        // Create under a token of its own: if the caller's token cancelled the call after the
        // engine had created the container, its id would never be known and it would leak.
        CreateContainerResponse created;
        using (var createTimeout = new CancellationTokenSource(CleanupTimeout))
        {
            created = await docker.Containers.CreateContainerAsync(spec, createTimeout.Token).ConfigureAwait(false);
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = await docker.Containers.AttachContainerAsync(
                created.ID,
                new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                cancellationToken).ConfigureAwait(false);
            return new SandboxContainer(docker, created.ID, stream, logger);
        }
        catch
        {
            await RemoveAsync(docker, created.ID, logger).ConfigureAwait(false);
            throw;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _docker.Containers.StartContainerAsync(Id, new ContainerStartParameters(), cancellationToken);

    public async Task<long> WaitAsync(CancellationToken cancellationToken) =>
        (await _docker.Containers.WaitContainerAsync(Id, cancellationToken).ConfigureAwait(false)).StatusCode;

    public async Task<bool> WasOomKilledAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        var inspect = await _docker.Containers.InspectContainerAsync(Id, cts.Token).ConfigureAwait(false);
        return inspect.State?.OOMKilled ?? false;
    }

    /// <summary>SIGKILL now; a container that already stopped is not an error.</summary>
    public async Task KillAsync()
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await _docker.Containers.KillContainerAsync(Id, new ContainerKillParameters { Signal = "SIGKILL" }, cts.Token).ConfigureAwait(false);
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
        await RemoveAsync(_docker, Id, _logger).ConfigureAwait(false);
    }

    /// <summary>
    /// Forced removal. A failure is logged, not thrown: the run's result is already known and
    /// must not be replaced by a clean-up error; the container keeps its labels for clean-up.
    /// </summary>
    private static async Task RemoveAsync(IDockerClient docker, string id, ILogger logger)
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cts.Token).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already removed.
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // "removal already in progress".
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            LogRemoveFailed(logger, id, e);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not remove container {ContainerId}; it is left for clean-up")]
    private static partial void LogRemoveFailed(ILogger logger, string containerId, Exception exception);
}
