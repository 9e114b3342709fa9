using System.Net;
using System.Net.Sockets;

namespace Playground.Deploy.Tests.Compose;

/// <summary>
/// The whole product brought up by <c>scripts/compose.sh up</c> on the real engine, once for
/// the class: its own compose project, free host ports and a temporary data directory, so it
/// never touches a stack someone runs on the same machine. Down is a test of its own; this
/// fixture only makes sure the stack is gone afterwards whatever happened.
/// </summary>
public sealed class ComposeDeployment : IAsyncLifetime
{
    public const string HowToProvide =
        "The compose test needs a running Docker engine, docker-compose (or the docker compose plugin), " +
        "debootstrap and prometheus: run the README's test command (bash scripts/test.sh), which installs " +
        "docker-compose and starts dockerd.";

    /// <summary>A project of its own; compose.sh derives Web's sandbox owner label from it.</summary>
    public const string Project = "goplaytest";

    public const string Instance = Project + "-web";

    // A first run on a fresh machine builds the solution, debootstraps Debian and installs Go
    // into the Web image; the script reports each step's time, the limit only catches a hang.
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(3);

    private bool _down;

    public int Port { get; } = FreePort();

    public int PrometheusPort { get; } = FreePort();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "goplay-compose-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Volumes that existed before the stack: down may leave only these and the sandbox's build cache.</summary>
    public IReadOnlySet<string> VolumesBefore { get; private set; } = new HashSet<string>();

    internal CommandResult? Up { get; private set; }

    public Uri ProxyAddress => new($"http://127.0.0.1:{Port}/");

    public Uri PrometheusAddress => new($"http://127.0.0.1:{PrometheusPort}/");

    public string ModuleSocket => Path.Combine(DataDirectory, "modules", "modules.sock");

    public string SnippetDatabase => Path.Combine(DataDirectory, "snippets", "snippets.db");

    public async Task InitializeAsync()
    {
        await RequireAsync();
        VolumesBefore = (await HostCommand.DockerLinesAsync("volume", "ls", "-q")).ToHashSet(StringComparer.Ordinal);
        Directory.CreateDirectory(DataDirectory);

        Up = await ComposeAsync("up", UpTimeout);
        if (!Up.Succeeded)
        {
            var logs = await ComposeAsync("logs", DownTimeout, "--no-color", "--tail=80");
            await DownAsync();
            throw new InvalidOperationException(
                // Its last lines first: the test summary (and CI's log tail) shows a message's start.
                $"scripts/compose.sh up failed (exit {Up.ExitCode}{(Up.TimedOut ? ", timed out" : string.Empty)}), ending:\n{Up.Tail(15)}" +
                $"\n--- compose logs ---\n{logs.Tail(200)}\n--- more of up's output ---\n{Up.Tail()}");
        }
    }

    /// <summary>Runs <c>scripts/compose.sh down</c>; once it succeeded, the fixture's clean-up leaves it at that.</summary>
    internal async Task<CommandResult> DownAsync()
    {
        var result = await ComposeAsync("down", DownTimeout);
        _down = result.Succeeded;
        return result;
    }

    /// <summary>The recent logs of the stack's services, for failure messages.</summary>
    public async Task<string> LogsAsync() => (await ComposeAsync("logs", DownTimeout, "--no-color", "--tail=80")).Tail(200);

    public async Task DisposeAsync()
    {
        if (!_down)
        {
            await DownAsync();
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private Task<CommandResult> ComposeAsync(string command, TimeSpan timeout, params string[] extra) =>
        HostCommand.RunAsync(
            "bash",
            [RepositoryRoot.Combine("scripts", "compose.sh"), command, .. extra],
            new Dictionary<string, string>
            {
                ["COMPOSE_PROJECT_NAME"] = Project,
                ["GOPLAY_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PROMETHEUS_PORT"] = PrometheusPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["GOPLAY_ADDRESS"] = "127.0.0.1",
                ["GOPLAY_DATA_DIR"] = DataDirectory,
                // Readiness is part of what is tested; the fixture's own limit is the outer one.
                ["GOPLAY_UP_TIMEOUT"] = "600",
            },
            timeout);

    /// <summary>Fails with instructions instead of skipping when a component is missing.</summary>
    private static async Task RequireAsync()
    {
        var engine = await HostCommand.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], null, TimeSpan.FromSeconds(30));
        if (!engine.Succeeded)
        {
            throw new InvalidOperationException("No Docker engine answers (docker info: " + engine.Output.Trim() + "). " + HowToProvide);
        }

        var plugin = await HostCommand.RunAsync("docker", ["compose", "version"], null, TimeSpan.FromSeconds(30));
        if (!plugin.Succeeded && !File.Exists("/usr/bin/docker-compose"))
        {
            throw new InvalidOperationException("Neither 'docker compose' nor docker-compose is installed. " + HowToProvide);
        }

        foreach (var tool in new[] { "/usr/sbin/debootstrap", "/usr/bin/prometheus" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing (the local base images need it). " + HowToProvide);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
