using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Building;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Building;

/// <summary>
/// The build-cache volume held to <c>Sandbox:BuildCacheBytes</c> by the builders (agent
/// cache.go): one line of Go once put a 48 MiB entry into it, kept for days.
/// </summary>
[Collection(DockerTests.Name)]
public sealed class BuildCacheTrimTests(SandboxFixture fixture)
{
    private const int Nobody = 65534;

    [Fact]
    public async Task OverItsSize_OldestUnlistedEntriesGo_WarmUpsStay_AtMostOnceAMinute()
    {
        // A volume of this test's own (not the shared one of the Go version), filled with entries
        // of known ages; the name is outside the prefix that preparation prunes.
        var volume = "goplay-trimtest-" + Guid.NewGuid().ToString("N")[..10];
        using var docker = DockerCheck.Client();
        var created = await docker.Volumes.CreateAsync(new VolumesCreateParameters { Name = volume, Labels = new Dictionary<string, string> { ["io.goplay.owner"] = TestOwner.Prefix } });
        try
        {
            var root = created.Mountpoint;
            var cache = Path.Combine(root, "go-build");
            // Younger than five days: the go command itself drops entries unused for longer.
            Entry(cache, "aa/warmed-d", 8, DateTime.UtcNow.AddDays(-4)); // oldest of all, but the warm-up's
            Entry(cache, "bb/old-d", 8, DateTime.UtcNow.AddDays(-3));
            // Newer than whatever the build itself writes into this empty cache.
            Entry(cache, "cc/recent-d", 8, DateTime.UtcNow.AddHours(1));
            await File.WriteAllTextAsync(Path.Combine(root, "goplay-protected"), "aa/warmed-d\n");
            Own(root);

            var sandbox = fixture.Create(new Dictionary<string, string?>
            {
                ["Sandbox:BuilderPoolSize"] = "0",
                ["Sandbox:BuildCacheBytes"] = (20L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            var (_, images) = await ConfiguredToolchains.PrepareAsync(sandbox, SandboxOptions.DefaultToolchains[0]);
            var builder = sandbox.Services.GetRequiredService<GoBuilder>();
            var broken = new Dictionary<string, string> { ["prog.go"] = "package main\n\nfunc main() {\n" };

            // 24 MiB in a 20 MiB cache: down to 18 MiB, the oldest unlisted entry first.
            var result = await builder.BuildAsync(images with { CacheVolume = volume }, "trim-test", broken, [], CancellationToken.None);
            Assert.Equal(BuildStatus.BuildError, result.Status);
            Assert.True(File.Exists(Path.Combine(cache, "aa/warmed-d")), "the warm-up's entry was trimmed");
            Assert.False(File.Exists(Path.Combine(cache, "bb/old-d")), "the oldest unlisted entry is still there");
            Assert.True(File.Exists(Path.Combine(cache, "cc/recent-d")), "more was trimmed than needed");

            // Builders share the volume: within a minute of a trim, nobody walks it again.
            Entry(cache, "dd/older-d", 8, DateTime.UtcNow.AddDays(-4));
            Own(root);
            await builder.BuildAsync(images with { CacheVolume = volume }, "trim-test", broken, [], CancellationToken.None);
            Assert.True(File.Exists(Path.Combine(cache, "dd/older-d")), "trimmed again within a minute");
        }
        finally
        {
            await docker.Volumes.RemoveAsync(volume, force: true);
        }
    }

    [Fact]
    public async Task PreparedVersion_ListsWhatItsWarmUpNeeds()
    {
        var sandbox = fixture.Create();
        var (_, images) = await ConfiguredToolchains.PrepareAsync(sandbox, SandboxOptions.DefaultToolchains[0]);
        using var docker = DockerCheck.Client();
        var root = (await docker.Volumes.InspectAsync(images.CacheVolume)).Mountpoint;

        var listed = (await File.ReadAllLinesAsync(Path.Combine(root, "goplay-protected"))).Where(l => l.Length > 0).ToList();

        // The standard library twice (live and playback) is thousands of entries; they exist.
        Assert.True(listed.Count > 1000, $"only {listed.Count} entries listed");
        Assert.True(listed.Count(l => File.Exists(Path.Combine(root, "go-build", l))) > listed.Count * 9 / 10, "most listed entries are gone");
    }

    private static void Entry(string cache, string name, int mebibytes, DateTime modified)
    {
        var path = Path.Combine(cache, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[mebibytes << 20]);
        File.SetLastWriteTimeUtc(path, modified);
    }

    /// <summary>Builders run as nobody and must be able to remove entries.</summary>
    private static void Own(string root)
    {
        using var chown = System.Diagnostics.Process.Start("chown", ["-R", $"{Nobody}:{Nobody}", root])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
