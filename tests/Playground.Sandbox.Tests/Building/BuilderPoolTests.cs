using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Building;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Building;

[Collection(DockerTests.Name)]
public sealed class BuilderPoolTests(SandboxFixture fixture)
{
    [Fact]
    public async Task Pool_ReusesOneBuilderAndReplacesOneReturnedUnhealthy()
    {
        var sandbox = fixture.Create(new Dictionary<string, string?> { ["Sandbox:BuilderPoolSize"] = "1", ["Sandbox:BinaryCacheBytes"] = "0" });
        await sandbox.Services.PrepareSandboxAsync(all: false, CancellationToken.None);
        var pool = sandbox.Services.GetRequiredService<BuilderPool>();
        await pool.StartAsync(CancellationToken.None);
        try
        {
            await WaitForFreeAsync(pool);
            var first = await BuilderIdsAsync();

            // Two builds, one builder: the same container served both.
            for (var i = 0; i < 2; i++)
            {
                var run = await RunRecording.RunAsync(sandbox.Runs, $"package main\n\nimport \"fmt\"\n\nfunc main() {{ fmt.Println({i}) }}\n");
                Assert.Equal($"{i}\n", run.Stdout);
                Assert.Equal(first, await BuilderIdsAsync());
            }

            // A builder handed back unhealthy (its build was cut off and may still be running)
            // is retired and replaced, never reused.
            var images = await sandbox.Services.GetRequiredService<SandboxReadiness>().EnsureAsync(CancellationToken.None);
            var builder = await pool.TakeAsync(images, CancellationToken.None);
            Assert.NotNull(builder);
            await pool.ReturnAsync(builder, healthy: false);
            await WaitForFreeAsync(pool);
            var replaced = await BuilderIdsAsync();
            Assert.Single(replaced);
            Assert.NotEqual(first, replaced);
        }
        finally
        {
            await pool.StopAsync(CancellationToken.None);
        }

        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Builder_GivenBackAfterShutdownBegan_IsRemovedNotParked()
    {
        // A build that ends while the server stops hands its builder back after the pool was
        // emptied; parked then, it outlived the server.
        var owner = TestOwner.Name("pool-stop");
        var sandbox = fixture.Create(new Dictionary<string, string?> { ["Sandbox:BuilderPoolSize"] = "1", ["Sandbox:InstanceName"] = owner });
        await sandbox.Services.PrepareSandboxAsync(all: false, CancellationToken.None);
        var pool = sandbox.Services.GetRequiredService<BuilderPool>();
        await pool.StartAsync(CancellationToken.None);
        await WaitForFreeAsync(pool);
        var images = await sandbox.Services.GetRequiredService<SandboxReadiness>().EnsureAsync(CancellationToken.None);
        var builder = await pool.TakeAsync(images, CancellationToken.None);
        Assert.NotNull(builder);

        await pool.StopAsync(CancellationToken.None);
        await pool.ReturnAsync(builder, healthy: true);

        Assert.Empty(await DockerCheck.ManagedContainersAsync(owner));
        Assert.Equal(0, pool.Free);
    }

    private static async Task<List<string>> BuilderIdsAsync() =>
        (await DockerCheck.ManagedContainersAsync())
            .Where(c => c.Labels[SandboxLabels.Role] == "builder")
            .Select(c => c.ID)
            .Order(StringComparer.Ordinal)
            .ToList();

    private static async Task WaitForFreeAsync(BuilderPool pool)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var added = new SemaphoreSlim(0);
        void OnAdded() => added.Release();
        pool.Added += OnAdded;
        try
        {
            while (pool.Free < 1)
            {
                await added.WaitAsync(TimeSpan.FromSeconds(1), timeout.Token);
            }
        }
        finally
        {
            pool.Added -= OnAdded;
        }
    }
}
