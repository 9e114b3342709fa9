using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Running;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Running;

[Collection(DockerTests.Name)]
public sealed class RunnerPoolTests(SandboxFixture fixture)
{
    [Fact]
    public async Task Pool_FillsServesRefillsReplacesDeadAndCleansUp()
    {
        var sandbox = fixture.Create(new Dictionary<string, string?> { ["Sandbox:RunnerPoolSize"] = "2" });
        await sandbox.Services.PrepareSandboxAsync(all: false, CancellationToken.None);
        var pool = sandbox.Services.GetRequiredService<RunnerPool>();
        await pool.StartAsync(CancellationToken.None);
        try
        {
            await WaitForCountAsync(pool, 2);
            Assert.Equal(2, (await DockerCheck.ManagedContainersAsync()).Count);

            // A run takes a waiting container: it starts no new one of its own.
            var run = await RunRecording.RunAsync(sandbox.Runs, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"pooled\") }\n");
            Assert.Equal("pooled\n", run.Stdout);
            Assert.Equal(0, run.Final.ExitCode);

            // Replenished after use.
            await WaitForCountAsync(pool, 2);

            // A container that dies while idle is never handed out.
            using var docker = DockerCheck.Client();
            var idle = await DockerCheck.ManagedContainersAsync();
            foreach (var c in idle)
            {
                await docker.Containers.KillContainerAsync(c.ID, new ContainerKillParameters { Signal = "SIGKILL" });
            }

            var again = await RunRecording.RunAsync(sandbox.Runs, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"still fine\") }\n");
            Assert.Equal("still fine\n", again.Stdout);
            Assert.Equal(RunOutcome.Exited, again.Final.Outcome);
            await WaitForCountAsync(pool, 2);
            var running = (await DockerCheck.ManagedContainersAsync()).Count(c => c.State == "running");
            Assert.Equal(2, running);
        }
        finally
        {
            await pool.StopAsync(CancellationToken.None);
        }

        Assert.Equal(0, pool.Count);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    private static async Task WaitForCountAsync(RunnerPool pool, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var changed = new SemaphoreSlim(0);
        void OnAdded() => changed.Release();
        pool.Added += OnAdded;
        try
        {
            while (pool.Count < count)
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), timeout.Token);
            }
        }
        finally
        {
            pool.Added -= OnAdded;
        }
    }
}
