using Docker.DotNet;
using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Containers;

/// <summary>The Docker engine client, created once with an API version the engine accepts.</summary>
internal sealed class DockerEngine(IOptions<SandboxOptions> options) : IAsyncDisposable
{
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
