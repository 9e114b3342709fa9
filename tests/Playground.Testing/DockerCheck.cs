using Docker.DotNet;
using Docker.DotNet.Models;
using Playground.Sandbox.Containers;

namespace Playground.Testing;

/// <summary>Real-engine helpers shared by the integration tests.</summary>
public static class DockerCheck
{
    public const string HowToProvide =
        "Integration tests need a running Docker engine and the Go toolchain. The README's test command " +
        "(scripts/test.sh) installs docker.io and golang-go, starts dockerd and creates the sandbox images.";

    public static IDockerClient Client()
    {
        var endpoint = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";
        return new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).WithApiVersion(new System.Version(1, 41)).Build();
    }

    /// <summary>Throws with instructions when no engine answers: integration tests never skip silently.</summary>
    public static async Task RequireEngineAsync()
    {
        try
        {
            using var client = Client();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.System.PingAsync(cts.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException("No Docker engine answers. " + HowToProvide, e);
        }
    }

    /// <summary>
    /// Waits (polling the engine) until no sandbox container of <paramref name="owner"/> (or of
    /// this test process) remains or the limit passes; returns the time it took.
    /// </summary>
    public static async Task<TimeSpan> WaitForNoContainersAsync(TimeSpan limit, string? owner = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await ManagedContainersAsync(owner)).Count == 0, limit, TimeSpan.FromMilliseconds(20));
        return clock.Elapsed;
    }

    /// <summary>
    /// The sandbox containers of one host (<paramref name="owner"/>, its <c>Sandbox:InstanceName</c>),
    /// or of every host of this test process (<see cref="TestOwner"/>), running or not; those of
    /// any other GoPlay on the engine are not the tests' business. Test classes run in parallel:
    /// a test that counts containers names its own host.
    /// </summary>
    public static async Task<IList<ContainerListResponse>> ManagedContainersAsync(string? owner = null)
    {
        using var client = Client();
        var all = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [SandboxLabels.Managed + "=true"] = true },
            },
        });
        return all.Where(c => owner is null ? TestOwner.Owns(c.Labels) : c.Labels.TryGetValue(SandboxLabels.Owner, out var o) && o == owner).ToList();
    }
}
