using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Playground.Sandbox.Containers;

/// <summary>
/// The Docker engine: the container operations of <see cref="IContainerEngine"/> with the
/// hardened specs of <see cref="ContainerSpecs"/>, and the client the image builds use, created
/// once with an API version the engine accepts. Every call goes through the resilience
/// pipelines (see <see cref="DockerResilience"/>); Docker's exceptions do not leave it except
/// through the image calls.
/// </summary>
internal sealed class DockerEngine(IOptions<SandboxOptions> options, ResiliencePipelineProvider<string> pipelines, TimeProvider time) : IContainerEngine, IAsyncDisposable
{
    private readonly ResiliencePipeline _idempotent = pipelines.GetPipeline(DockerResilience.Idempotent);
    private readonly ResiliencePipeline _once = pipelines.GetPipeline(DockerResilience.Once);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private DockerClient? _client;

    public Uri Endpoint { get; } = ResolveEndpoint(options.Value.DockerEndpoint);

    public async Task<IDockerClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (_client is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null)
            {
                // The library speaks a newer API than older engines accept, so ask the engine
                // (an unversioned call) which version it speaks and pin the client to it.
                var version = options.Value.DockerApiVersion;
                if (string.IsNullOrEmpty(version))
                {
                    using var probe = new DockerClientBuilder().WithEndpoint(Endpoint).Build();
                    version = (await probe.System.GetVersionAsync(cancellationToken).ConfigureAwait(false)).APIVersion;
                }

                _client = new DockerClientBuilder()
                    .WithEndpoint(Endpoint)
                    .WithApiVersion(System.Version.Parse(version))
                    .Build();
            }

            return _client;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A call that may safely be repeated: retried on engine faults.</summary>
    public Task<T> IdempotentAsync<T>(Func<IDockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        ExecuteAsync(_idempotent, call, cancellationToken);

    public Task IdempotentAsync(Func<IDockerClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        ExecuteAsync(_idempotent, async (d, ct) => { await call(d, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <summary>A call that must happen at most once (create, attach, start): never retried.</summary>
    public Task<T> OnceAsync<T>(Func<IDockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        ExecuteAsync(_once, call, cancellationToken);

    public Task OnceAsync(Func<IDockerClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        ExecuteAsync(_once, async (d, ct) => { await call(d, ct).ConfigureAwait(false); return true; }, cancellationToken);

    private async Task<T> ExecuteAsync<T>(ResiliencePipeline pipeline, Func<IDockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        return await pipeline.ExecuteAsync(async ct => await call(client, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        var parameters = ContainerSpecs.For(spec, options.Value, time);
        return (await Translate(OnceAsync((d, ct) => d.Containers.CreateContainerAsync(parameters, ct), cancellationToken)).ConfigureAwait(false)).ID;
    }

    public async Task<IContainerStream> AttachAsync(string id, CancellationToken cancellationToken)
    {
        var stream = await Translate(OnceAsync(
            (d, ct) => d.Containers.AttachContainerAsync(id, new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true }, ct),
            cancellationToken)).ConfigureAwait(false);
        return new DockerContainerStream(stream);
    }

    public Task StartAsync(string id, CancellationToken cancellationToken) =>
        Translate(OnceAsync((d, ct) => d.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), cancellationToken));

    public async Task<long> WaitAsync(string id, CancellationToken cancellationToken)
    {
        // Not through a pipeline: it lasts as long as the program.
        var docker = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        return (await Translate(docker.Containers.WaitContainerAsync(id, cancellationToken)).ConfigureAwait(false)).StatusCode;
    }

    public async Task<ContainerState> InspectAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var inspect = await IdempotentAsync((d, ct) => d.Containers.InspectContainerAsync(id, ct), cancellationToken).ConfigureAwait(false);
            return new ContainerState(true, inspect.State?.Running ?? false, inspect.State?.OOMKilled ?? false);
        }
        catch (DockerContainerNotFoundException)
        {
            return ContainerState.Gone;
        }
        catch (DockerApiException e)
        {
            throw Translated(e);
        }
    }

    public async Task KillAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await IdempotentAsync((d, ct) => d.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = "SIGKILL" }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // Already stopped or gone.
        }
        catch (DockerApiException e)
        {
            throw Translated(e);
        }
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await IdempotentAsync(
                (d, ct) => d.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already removed.
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // "removal already in progress": the engine has killed it.
        }
        catch (DockerApiException e)
        {
            throw Translated(e);
        }
    }

    public async Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken)
    {
        var filter = new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [SandboxLabels.Managed + "=true"] = true },
            },
        };
        var containers = await Translate(IdempotentAsync((d, ct) => d.Containers.ListContainersAsync(filter, ct), cancellationToken)).ConfigureAwait(false);
        return [.. containers.Select(c => new ManagedContainer(
            c.ID,
            c.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(c.Labels),
            new DateTimeOffset(DateTime.SpecifyKind(c.Created, DateTimeKind.Utc))))];
    }

    public Task PingAsync(CancellationToken cancellationToken) =>
        Translate(IdempotentAsync((d, ct) => d.System.PingAsync(ct), cancellationToken));

    /// <summary>Docker's refusal as the seam's <see cref="ContainerEngineException"/>.</summary>
    internal static async Task Translate(Task call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw Translated(e);
        }
    }

    private static async Task<T> Translate<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw Translated(e);
        }
    }

    private static ContainerEngineException Translated(DockerApiException e) =>
        new($"The container engine refused a request ({(int)e.StatusCode}): {e.ResponseBody?.Trim()}", (int)e.StatusCode, e);

    private static Uri ResolveEndpoint(string? configured)
    {
        var value = configured;
        if (string.IsNullOrEmpty(value))
        {
            value = Environment.GetEnvironmentVariable("DOCKER_HOST");
        }

        return new Uri(string.IsNullOrEmpty(value) ? "unix:///var/run/docker.sock" : value);
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Docker's multiplexed attach stream as an <see cref="IContainerStream"/>.</summary>
internal sealed class DockerContainerStream(MultiplexedStream stream) : IContainerStream
{
    public async Task<ContainerRead> ReadOutputAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var read = await stream.ReadOutputAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
        return new ContainerRead(read.Count, read.Target == MultiplexedStream.TargetStream.StandardOut, read.EOF);
    }

    public Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        stream.WriteAsync(buffer, offset, count, cancellationToken);

    public void CloseWrite() => stream.CloseWrite();

    public void Dispose() => stream.Dispose();
}
