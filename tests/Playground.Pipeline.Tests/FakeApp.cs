using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Playground.Pipeline.Tests.Fakes;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Testing;

namespace Playground.Pipeline.Tests;

/// <summary>
/// The real Web app (every transport, the scheduler, the whole run pipeline) on a real Kestrel
/// port, with the fake engine behind the sandbox's seam and two fake Go toolchains: no Docker,
/// no Go. Ready within a second; on disposal, asserts nothing is left in the engine.
/// </summary>
public sealed class FakeApp : IAsyncLifetime, IDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly WebApplicationFactory<Program> _root = new();
    private WebApplicationFactory<Program> _factory = null!;

    public FakeApp()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="settings">Configuration over the defaults below (pools off, two slots, a 2 s wall time).</param>
    internal FakeApp(IReadOnlyDictionary<string, string?> settings)
    {
        _settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Sandbox:InstanceName"] = Owner,
            ["Sandbox:Toolchains:0"] = FakeToolchains.Create("go1.27.4"),
            ["Sandbox:Toolchains:1"] = FakeToolchains.Create("go1.19.8"),
            ["Sandbox:RunnerPoolSize"] = "0",
            ["Sandbox:BuilderPoolSize"] = "0",
            ["Sandbox:RunWallTime"] = "00:00:02",
            ["Sandbox:JanitorInterval"] = "01:00:00",
            ["Scheduler:Slots"] = "2",
            ["Scheduler:ToolSlots"] = "2",
            ["Scheduler:QueueLimitPerClient"] = "30",
            ["Snippets:DataDirectory"] = DataDirectory,
            ["Terminals:AllowedOrigins:0"] = "http://tour.example:3999",
            ["urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
    }

    public string Owner { get; } = TestOwner.Name("fake");

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("goplay-fake-data-").FullName;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    internal FakeEngine Engine => Services.GetRequiredService<FakeEngine>();

    public IServiceProvider Services => _factory.Services;

    public async Task InitializeAsync()
    {
        _factory = _root.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in _settings)
            {
                b.UseSetting(key, value);
            }

            b.ConfigureTestServices(services =>
            {
                services.RemoveAll<IContainerEngine>();
                services.RemoveAll<ISandboxImages>();
                services.AddSingleton<FakeEngine>();
                services.AddSingleton<IContainerEngine>(sp => sp.GetRequiredService<FakeEngine>());
                services.AddSingleton<ISandboxImages, FakeImages>();
            });
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());

        var ready = await Poll.UntilAsync(
            async () => (await Http.GetAsync(new Uri(BaseAddress, "/health/ready"))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(50));
        Assert.True(ready, "The Web app on the fake engine never became ready.");
    }

    public async Task<HubConnection> ConnectAsync()
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(BaseAddress, "/hubs/run")).Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>Waits until the engine holds no container of this app but the idle pooled ones.</summary>
    internal async Task AssertNothingLeftAsync()
    {
        var settled = await Poll.UntilAsync(
            () => Engine.Live.All(c => c.Spec?.Role == ContainerRole.ServingBuilder || c.Labels[SandboxLabels.RunId].StartsWith("pool-", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5),
            TimeSpan.FromMilliseconds(20));
        Assert.True(settled, "Containers left: " + string.Join(", ", Engine.Live.Select(c => c.Id + " " + c.Labels[SandboxLabels.RunId])));
    }

    public void Dispose()
    {
        Http.Dispose();
        _root.Dispose();
    }

    public async Task DisposeAsync()
    {
        var engine = Engine;
        Http.Dispose();
        await _root.DisposeAsync();
        Assert.Empty(engine.Live);
    }
}

/// <summary>Image names only: the fake engine runs no images.</summary>
internal sealed class FakeImages : ISandboxImages
{
    public SandboxImageSet Resolve(Sandbox.Toolchains.Toolchain toolchain, Sandbox.Toolchains.Toolchain helperToolchain) =>
        new("fake-runner:1", "fake-builder:" + toolchain.Version, "fake-cache-" + toolchain.Version, toolchain.Version);

    public Task EnsureRunnerAsync(SandboxImageSet set, Sandbox.Toolchains.Toolchain helperToolchain, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task EnsureBuilderAsync(SandboxImageSet set, Sandbox.Toolchains.Toolchain go, Sandbox.Toolchains.Toolchain helperToolchain, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> ExistsAsync(string image, CancellationToken cancellationToken) => Task.FromResult(true);
}

/// <summary>A GOROOT whose <c>go env GOROOT GOVERSION</c> answers as a real toolchain's would.</summary>
internal static class FakeToolchains
{
    public static string Create(string version)
    {
        var root = Directory.CreateTempSubdirectory("goplay-fake-" + version + "-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        var go = Path.Combine(root, "bin", "go");
        File.WriteAllText(go, $"#!/bin/sh\necho {root}\necho {version}\n");
        File.SetUnixFileMode(go, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return root;
    }
}

[CollectionDefinition(Name)]
public sealed class FakeAppTests : ICollectionFixture<FakeApp>
{
    public const string Name = "FakeApp";
}
