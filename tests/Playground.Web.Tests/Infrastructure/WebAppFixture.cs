using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Playground.Testing;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>
/// The real Web app on a real Kestrel port (so WebSockets, SSE and long polling are real),
/// backed by the real engine. Waits for readiness; on disposal asserts no sandbox container
/// is left behind.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime, IDisposable
{
    private readonly WebApplicationFactory<Program> _root = new();
    private WebApplicationFactory<Program> _factory = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The owner label of this server's sandbox containers (its <c>Sandbox:InstanceName</c>).</summary>
    public string Owner { get; } = TestOwner.Name("app");

    /// <summary>A site allowed to open the terminal sockets, as a local Go Tour would be configured.</summary>
    public const string TourOrigin = "http://tour.example:3999";

    /// <summary>A fresh data folder (shared snippets) for this fixture.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("goplay-test-data-").FullName;

    public async Task InitializeAsync()
    {
        await DockerCheck.RequireEngineAsync();
        // These tests count the engine's containers, so no idle pooled runners or builders may
        // stand around; the pools have tests of their own.
        _factory = _root.WithWebHostBuilder(b => b
            .UseSetting("Sandbox:InstanceName", Owner)
            .UseSetting("Sandbox:RunnerPoolSize", "0")
            .UseSetting("Sandbox:BuilderPoolSize", "0")
            .UseSetting("Snippets:DataDirectory", DataDirectory)
            .UseSetting("Terminals:AllowedOrigins:0", TourOrigin)
            // UseKestrel(0) alone still listened on localhost:5000, so two test runs on one
            // machine collided; an explicit dynamic address does not.
            .UseSetting("urls", "http://127.0.0.1:0"));
        _factory.UseKestrel(0);
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));

        // Readiness includes image creation and the standard-library warm-up on a fresh engine.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(15);
        while (true)
        {
            var response = await Http.GetAsync(new Uri(BaseAddress, "/health/ready"));
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("GoPlay never became ready: " + await response.Content.ReadAsStringAsync() + " " + DockerCheck.HowToProvide);
            }

            await Task.Delay(500);
        }

        // Every version: the version tests run them all, and nothing prepares beside the tests.
        await GoVersionsReady.WaitAsync(Http, BaseAddress, TimeSpan.FromMinutes(20));
    }

    public async Task<HubConnection> ConnectAsync(HttpTransportType transport = HttpTransportType.WebSockets)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/run"), transport)
            .Build();
        await connection.StartAsync();
        return connection;
    }

    public void Dispose()
    {
        Http.Dispose();
        _root.Dispose();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _root.DisposeAsync();
        var left = await DockerCheck.ManagedContainersAsync(Owner);
        if (left.Count > 0)
        {
            throw new InvalidOperationException($"{left.Count} sandbox container(s) left behind after the Web tests.");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebAppTests : ICollectionFixture<WebAppFixture>
{
    public const string Name = "WebApp";
}
