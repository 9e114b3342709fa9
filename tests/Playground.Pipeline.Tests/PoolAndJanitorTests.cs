using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Playground.Pipeline.Tests.Fakes;
using Playground.Sandbox;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Runs;
using Playground.Testing;

namespace Playground.Pipeline.Tests;

/// <summary>The warm pools and the janitor over the fake engine; the janitor's ageing on a fake clock.</summary>
public sealed class PoolAndJanitorTests
{
    [Fact]
    public async Task Pools_RunsTakeAPooledBuilderAndRunner_RefilledAndAllRemovedAtShutdown()
    {
        var app = new FakeApp(new Dictionary<string, string?> { ["Sandbox:RunnerPoolSize"] = "2", ["Sandbox:BuilderPoolSize"] = "1" });
        await app.InitializeAsync();
        FakeEngine engine;
        try
        {
            engine = app.Engine;
            Assert.True(await Poll.UntilAsync(() => engine.Live.Count(c => c.Spec!.Role == ContainerRole.Runner) == 2 && engine.Live.Any(c => c.Spec!.Role == ContainerRole.ServingBuilder), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20)));
            var runs = app.Services.GetRequiredService<IRunService>();

            for (var i = 0; i < 3; i++)
            {
                RunEvent? last = null;
                await foreach (var e in runs.RunAsync(PipelineTests.Program("out pooled " + i + "\\n"), RunInput.None, CancellationToken.None))
                {
                    last = e;
                }

                Assert.Equal(RunOutcome.Exited, last!.Outcome);
            }

            // Every run was built by the one pooled builder and ran in a pooled runner.
            Assert.Equal(3, Assert.Single(engine.Created, c => c.Spec!.Role == ContainerRole.ServingBuilder && c.Answered > 0).Answered);
            Assert.DoesNotContain(engine.Created, c => c.Spec!.Role == ContainerRole.Builder);
            Assert.All(engine.Created.Where(c => c.Spec!.Role == ContainerRole.Runner), r => Assert.StartsWith("pool-", r.Labels[SandboxLabels.RunId], StringComparison.Ordinal));
            Assert.True(await Poll.UntilAsync(() => engine.Live.Count(c => c.Spec!.Role == ContainerRole.Runner) == 2, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20)), "runner pool not refilled");
        }
        finally
        {
            // Asserts the engine is empty: shutdown retired every pooled container.
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Janitor_OnAFakeClock_RemovesOrphansNowAndForeignContainersOnlyPastTheLifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var owner = TestOwner.Name("janitor");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:InstanceName"] = owner,
            ["Sandbox:JanitorInterval"] = "00:01:00",
            ["Sandbox:MaxContainerLifetime"] = "00:10:00",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSandbox(configuration);
        services.RemoveAll<TimeProvider>();
        services.AddSingleton<TimeProvider>(clock);
        services.RemoveAll<IContainerEngine>();
        services.AddSingleton<FakeEngine>();
        services.AddSingleton<IContainerEngine>(sp => sp.GetRequiredService<FakeEngine>());
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<FakeEngine>();
        var janitor = provider.GetRequiredService<SandboxJanitor>();

        Dictionary<string, string> Labels(string instance, string runId) => SandboxLabels.For("runner", runId, instance, clock);
        var orphan = engine.Leave(Labels(owner, "crashed-run"));
        var foreign = engine.Leave(Labels("another-instance", "their-run"));
        using var tracked = provider.GetRequiredService<ActiveRuns>().Track("my-live-run");
        var mine = engine.Leave(Labels(owner, "my-live-run"));

        // The first pass runs at start; the next only when the fake clock says so.
        await ((IHostedService)janitor).StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await Poll.UntilAsync(() => orphan.Removed, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10)), "the orphan was not removed at start");
            Assert.False(foreign.Removed);
            Assert.False(mine.Removed);

            clock.Advance(TimeSpan.FromMinutes(11));
            Assert.True(await Poll.UntilAsync(() => foreign.Removed && mine.Removed, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10)), "containers past the lifetime were not removed on the next pass");
        }
        finally
        {
            await ((IHostedService)janitor).StopAsync(CancellationToken.None);
        }
    }
}
