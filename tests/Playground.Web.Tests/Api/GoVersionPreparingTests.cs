using System.Text.Json;
using Docker.DotNet.Models;
using Playground.Sandbox.Images;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>
/// A run for a Go version the server is still preparing: it waits and says so, or is refused
/// with a retry time once the wait is over. The version being prepared is a real toolchain
/// configured by its GOROOT at a fresh path, which makes the server build a builder image for
/// it (the image's tag includes the GOROOT).
/// </summary>
public sealed class GoVersionPreparingTests : IAsyncLifetime
{
    private const string PrintVersion = "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n";
    private const string Release = "1.21";
    private readonly string _goRoot = Path.Combine(Path.GetTempPath(), "goplay-test-goroot-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public async Task InitializeAsync()
    {
        await DockerCheck.RequireEngineAsync();
        var source = $"/var/lib/goplay/toolchains/{Release}/usr/lib/go-{Release}";
        Assert.True(Directory.Exists(source), $"Go {Release} is not unpacked at {source}: `bash scripts/test.sh` installs every configured toolchain (scripts/toolchains.sh).");
        // A real copy (symlinks kept as they are, relative to the tree): the toolchain as an
        // operator would configure one by its GOROOT.
        var copy = System.Diagnostics.Process.Start("cp", ["-a", $"/var/lib/goplay/toolchains/{Release}", _goRoot])!;
        await copy.WaitForExitAsync();
        Assert.Equal(0, copy.ExitCode);
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(_goRoot, recursive: true);
        // The builder image made for the copy's GOROOT is of no further use.
        using var docker = DockerCheck.Client();
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [SandboxImages.GoVersionLabel] = true } },
        });
        foreach (var image in images.Where(i => i.Created >= _started.UtcDateTime.AddSeconds(-5)))
        {
            foreach (var tag in image.RepoTags ?? [])
            {
                if (tag.StartsWith(SandboxImages.BuilderRepository + ":", StringComparison.Ordinal))
                {
                    await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters());
                }
            }
        }
    }

    [Fact]
    public async Task Run_VersionStillPreparing_WaitsWithPreparingEventThenRuns()
    {
        await using var web = await StartAsync("00:03:00");
        var versions = await VersionsAsync(web);
        var preparing = Assert.Single(versions, v => v.GetProperty("release").GetString() == "go" + Release);
        Assert.Equal("preparing", preparing.GetProperty("state").GetString());

        var events = await RunAsync(web, Release);

        var first = events[0];
        Assert.Equal(RunEventKind.Preparing, first.Kind);
        Assert.StartsWith($"Go {Release} (go{Release}.", first.Data, StringComparison.Ordinal);
        Assert.Contains("is being prepared on this server; the run starts when it is ready.", first.Data, StringComparison.Ordinal);
        Assert.Equal(RunOutcome.Exited, events[^1].Outcome);
        Assert.StartsWith($"go{Release}.", string.Concat(events.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data)), StringComparison.Ordinal);
        Assert.Equal("ready", Assert.Single(await VersionsAsync(web), v => v.GetProperty("release").GetString() == "go" + Release).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Run_PreparingLongerThanTheWait_RejectedWithRetryAfter()
    {
        await using var web = await StartAsync("00:00:01");

        var events = await RunAsync(web, Release);

        Assert.Equal(RunEventKind.Preparing, events[0].Kind);
        var final = events[^1];
        Assert.Equal(RunOutcome.Rejected, final.Outcome);
        Assert.StartsWith($"Go {Release} (go{Release}.", final.Data, StringComparison.Ordinal);
        Assert.Contains("is still being prepared on this server. Try again in 60 s, or choose another version.", final.Data, StringComparison.Ordinal);
        Assert.Equal(60, final.RetryAfterSeconds);
    }

    private Task<WebProcess> StartAsync(string wait) => WebProcess.StartDefaultReadyAsync(
        "--Sandbox:InstanceName=" + TestOwner.Name("preparing"),
        "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
        "--Sandbox:Toolchains:0=1.27", "--Sandbox:Toolchains:1=" + Path.Combine(_goRoot, "usr", "lib", "go-" + Release),
        "--Sandbox:PreparingWaitTime=" + wait);

    private static async Task<List<JsonElement>> VersionsAsync(WebProcess web)
    {
        using var http = new HttpClient();
        var body = JsonDocument.Parse(await http.GetStringAsync(new Uri(web.BaseAddress, "/versions"))).RootElement;
        return [.. body.GetProperty("versions").EnumerateArray()];
    }

    private static async Task<List<RunEvent>> RunAsync(WebProcess web, string goVersion)
    {
        await using var connection = await web.ConnectAsync();
        return await HubRun.CollectAsync(connection, new RunRequest { Source = PrintVersion, GoVersion = goVersion }, TimeSpan.FromMinutes(5));
    }
}
