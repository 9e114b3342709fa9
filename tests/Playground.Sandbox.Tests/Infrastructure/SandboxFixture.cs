using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playground.Testing;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Infrastructure;

/// <summary>
/// A real sandbox against the real engine, prepared once for the collection. On disposal it
/// asserts that no container with the playground label is left behind.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];

    public async Task InitializeAsync()
    {
        await DockerCheck.RequireEngineAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await Create().Services.PrepareSandboxAsync(all: false, cts.Token);
    }

    /// <summary>A run service with the default limits, or with some overridden (e.g. a short wall time).</summary>
    public SandboxInstance Create(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        // Its containers carry this test process's owner, unless the test names another.
        var settings = new Dictionary<string, string?> { ["Sandbox:InstanceName"] = TestOwner.Prefix };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSandbox(configuration)
            .BuildServiceProvider();
        lock (_providers)
        {
            _providers.Add(services);
        }

        return new SandboxInstance(services);
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _providers)
        {
            await p.DisposeAsync();
        }

        var left = await DockerCheck.ManagedContainersAsync();
        if (left.Count > 0)
        {
            throw new InvalidOperationException($"{left.Count} sandbox container(s) left behind: {string.Join(", ", left.Select(c => c.ID[..12]))}");
        }
    }
}

public sealed record SandboxInstance(IServiceProvider Services)
{
    public IRunService Runs => Services.GetRequiredService<IRunService>();
}

[CollectionDefinition(Name)]
public sealed class DockerTests : ICollectionFixture<SandboxFixture>
{
    public const string Name = "Docker";
}
