using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Sandbox.Toolchains;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Toolchains;

/// <summary>The set-up removes what no configured toolchain uses, and keeps what one does.</summary>
[Collection(DockerTests.Name)]
public sealed class PruneTests(SandboxFixture fixture)
{
    [Fact]
    public async Task Prune_VersionNoLongerConfigured_ItsImageAndVolumeRemovedCurrentOnesKept()
    {
        var sandbox = fixture.Create();
        var current = await sandbox.Services.GetRequiredService<SandboxReadiness>().EnsureAsync(CancellationToken.None);
        using var docker = DockerCheck.Client();
        // What a version that is no longer configured left behind: a builder image (a tag of the
        // runner image will do) and a cache volume, both marked as the sandbox's.
        var staleTag = "stale" + Guid.NewGuid().ToString("N")[..8];
        await docker.Images.TagImageAsync(current.RunnerImage, new ImageTagParameters { RepositoryName = SandboxImages.BuilderRepository, Tag = staleTag });
        var staleVolume = SandboxImages.CacheVolumePrefix + "go1.5.0-" + staleTag;
        await docker.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = staleVolume,
            Labels = new Dictionary<string, string> { [SandboxLabels.Managed] = "true", [SandboxImages.GoVersionLabel] = "go1.5.0" },
        });

        var installed = await sandbox.Services.GetRequiredService<ToolchainCatalog>().GetAsync(CancellationToken.None);
        await sandbox.Services.GetRequiredService<SandboxImages>().PruneAsync(installed, CancellationToken.None);

        var images = await sandbox.Services.GetRequiredService<SandboxImages>().ExistsAsync(SandboxImages.BuilderRepository + ":" + staleTag, CancellationToken.None);
        Assert.False(images);
        var volumes = (await docker.Volumes.ListAsync(new VolumesListParameters(), CancellationToken.None)).Volumes.Select(v => v.Name).ToList();
        Assert.DoesNotContain(staleVolume, volumes);
        // The default's images and volume are still there.
        Assert.True(await sandbox.Services.GetRequiredService<SandboxImages>().ExistsAsync(current.BuilderImage, CancellationToken.None));
        Assert.True(await sandbox.Services.GetRequiredService<SandboxImages>().ExistsAsync(current.RunnerImage, CancellationToken.None));
        Assert.Contains(current.CacheVolume, volumes);
    }
}
