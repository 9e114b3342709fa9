using Docker.DotNet;
using Docker.DotNet.Models;

namespace Playground.Sandbox.Containers;

/// <summary>
/// One created container with its attached streams. Disposing removes it (forced) with a
/// fresh token, whatever happened to the run's own token.
/// </summary>
internal sealed class SandboxContainer : IAsyncDisposable
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(15);
    private readonly IDockerClient _docker;
    private int _removed;

    private SandboxContainer(IDockerClient docker, string id, MultiplexedStream stream)
    {
        _docker = docker;
        Id = id;
        Stream = stream;
    }

    public string Id { get; }

    public MultiplexedStream Stream { get; }

    /// <summary>Creates the container and attaches to it before it starts, so no output is missed.</summary>
    public static async Task<SandboxContainer> CreateAsync(IDockerClient docker, CreateContainerParameters spec, CancellationToken cancellationToken)
    {
        var created = await docker.Containers.CreateContainerAsync(spec, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await docker.Containers.AttachContainerAsync(
                created.ID,
                new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                cancellationToken).ConfigureAwait(false);
            return new SandboxContainer(docker, created.ID, stream);
        }
        catch
        {
            await RemoveAsync(docker, created.ID).ConfigureAwait(false);
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
        await RemoveAsync(_docker, Id).ConfigureAwait(false);
    }

    private static async Task RemoveAsync(IDockerClient docker, string id)
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
    }
}
