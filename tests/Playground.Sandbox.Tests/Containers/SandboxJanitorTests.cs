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
        // The default maximum lifetime: a shorter one would also sweep the pooled containers of
        // any other GoPlay sharing this engine, which are recycled at half of it.
        var owner = TestOwner.Name("janitor");
        var instance = fixture.Create(new Dictionary<string, string?> { ["Sandbox:InstanceName"] = owner });
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
        async Task<string> CreateAsync(string owner, string runId, DateTimeOffset created) =>
            (await docker.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = images.RunnerImage,
                Labels = new Dictionary<string, string>
                {
                    [SandboxLabels.Managed] = "true",
                    [SandboxLabels.Owner] = owner,
                    [SandboxLabels.RunId] = runId,
                    [SandboxLabels.CreatedUnix] = created.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            })).ID;

        var now = DateTimeOffset.UtcNow;
        var another = TestOwner.Name("another-instance");
        var orphan = await CreateAsync(owner, "crashed-run", now);
        var foreignLive = await CreateAsync(another, "their-run", now);
        // Past the maximum lifetime a container is removed whoever owns it.
        var foreignExpired = await CreateAsync(another, "their-stuck-run", now.AddHours(-2));
        try
        {
            var removed = await janitor.SweepAsync(CancellationToken.None);

            // The engine is shared: another process's container past the lifetime is swept too
            // (one was, once, in CI), so only this test's containers are counted on.
            var left = (await DockerCheck.ManagedContainersAsync()).Select(c => c.ID).ToList();
            Assert.DoesNotContain(orphan, left);
            Assert.DoesNotContain(foreignExpired, left);
            Assert.Contains(foreignLive, left);
            int Counted(string reason) => counted.Where(c => c.StartsWith(reason + ":", StringComparison.Ordinal)).Sum(c => int.Parse(c[(reason.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(1, Counted("orphaned"));
            Assert.InRange(Counted("expired"), 1, removed - 1);
            Assert.Equal(removed, Counted("orphaned") + Counted("expired"));
        }
        finally
        {
            foreach (var id in new[] { orphan, foreignLive, foreignExpired })
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

        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }
}
