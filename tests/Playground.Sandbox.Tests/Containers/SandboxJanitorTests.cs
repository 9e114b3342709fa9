using System.Diagnostics.Metrics;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Telemetry;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Containers;

[Collection(DockerTests.Name)]
public sealed class SandboxJanitorTests(SandboxFixture fixture)
{
    [Fact]
    public async Task Sweep_OrphanedOwnExpiredForeignAndLiveForeign_RemovesOnlyTheFirstTwoAndCountsThem()
    {
        var instance = fixture.Create(new Dictionary<string, string?>
        {
            ["Sandbox:InstanceName"] = "janitor-test",
            ["Sandbox:MaxContainerLifetime"] = "00:01:30",
        });
        var janitor = instance.Services.GetRequiredService<SandboxJanitor>();
        var images = await instance.Services.GetRequiredService<SandboxReadiness>().EnsureAsync(CancellationToken.None);
        var counted = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SandboxMetrics.MeterName && instrument.Name == "playground.janitor.removed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (counted)
            {
                counted.Add(tags.ToArray().Single(t => t.Key == "reason").Value + ":" + value);
            }
        });
        listener.Start();

        using var docker = DockerCheck.Client();
        async Task<string> CreateAsync(string owner, string runId) =>
            (await docker.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = images.RunnerImage,
                Labels = new Dictionary<string, string>
                {
                    [SandboxLabels.Managed] = "true",
                    [SandboxLabels.Owner] = owner,
                    [SandboxLabels.RunId] = runId,
                },
            })).ID;

        var orphan = await CreateAsync("janitor-test", "crashed-run");
        var foreignLive = await CreateAsync("another-instance", "their-run");
        try
        {
            var removed = await janitor.SweepAsync(CancellationToken.None);

            var left = (await DockerCheck.ManagedContainersAsync()).Select(c => c.ID).ToList();
            Assert.Equal(1, removed);
            Assert.DoesNotContain(orphan, left);
            Assert.Contains(foreignLive, left);
            Assert.Equal(["orphaned:1"], counted);

            // Past the maximum lifetime a container is removed whoever owns it.
            var later = fixture.Create(new Dictionary<string, string?>
            {
                ["Sandbox:InstanceName"] = "janitor-test",
                ["Sandbox:RunWallTime"] = "00:00:01",
                ["Sandbox:BuildTimeout"] = "00:00:01",
                ["Sandbox:MaxContainerLifetime"] = "00:00:02",
            });
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(1, await later.Services.GetRequiredService<SandboxJanitor>().SweepAsync(CancellationToken.None));
            Assert.Empty(await DockerCheck.ManagedContainersAsync());
        }
        finally
        {
            foreach (var id in new[] { orphan, foreignLive })
            {
                try
                {
                    await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
                }
                catch (Docker.DotNet.DockerContainerNotFoundException)
                {
                    // Removed by the janitor, as expected.
                }
            }
        }
    }
}
