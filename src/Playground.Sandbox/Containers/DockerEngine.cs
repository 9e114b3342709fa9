using Docker.DotNet;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Playground.Sandbox.Containers;

/// <summary>
/// The Docker engine client, created once with an API version the engine accepts, and the
/// resilience pipelines every call goes through (see <see cref="DockerResilience"/>).
/// </summary>
internal sealed class DockerEngine(IOptions<SandboxOptions> options, ResiliencePipelineProvider<string> pipelines, Telemetry.SandboxMetrics metrics) : IAsyncDisposable
{
    private readonly ResiliencePipeline _idempotent = pipelines.GetPipeline(DockerResilience.Idempotent);
    private readonly ResiliencePipeline _once = pipelines.GetPipeline(DockerResilience.Once);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private DockerClient? _client;

    public Telemetry.SandboxMetrics Metrics => metrics;

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
