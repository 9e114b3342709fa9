using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Containers;

/// <summary>The registered Docker pipelines, driven with failing calls (no engine fault needed).</summary>
[Collection(DockerTests.Name)]
public sealed class DockerResilienceTests(SandboxFixture fixture)
{
    [Fact]
    public async Task Idempotent_TransientEngineFaults_Retried()
    {
        var engine = fixture.Create().Services.GetRequiredService<DockerEngine>();
        var calls = 0;

        var answer = await engine.IdempotentAsync((_, _) =>
        {
            calls++;
            return calls < 3 ? throw new HttpRequestException("engine hiccup") : Task.FromResult(42);
        }, CancellationToken.None);

        Assert.Equal(42, answer);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Idempotent_NotFound_NotRetried()
    {
        var engine = fixture.Create().Services.GetRequiredService<DockerEngine>();
        var calls = 0;

        await Assert.ThrowsAsync<Docker.DotNet.DockerContainerNotFoundException>(() => engine.IdempotentAsync<int>((_, _) =>
        {
            calls++;
            throw new Docker.DotNet.DockerContainerNotFoundException(System.Net.HttpStatusCode.NotFound, "no such container");
        }, CancellationToken.None));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Once_EngineFault_NeverRetried()
    {
        var engine = fixture.Create().Services.GetRequiredService<DockerEngine>();
        var calls = 0;

        await Assert.ThrowsAsync<HttpRequestException>(() => engine.OnceAsync<int>((_, _) =>
        {
            calls++;
            throw new HttpRequestException("engine hiccup");
        }, CancellationToken.None));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task BreakerOpen_ReadinessUnhealthyAndRunsRefusedWithReason()
    {
        var sandbox = fixture.Create();
        await sandbox.Services.PrepareSandboxAsync(all: false, CancellationToken.None);
        var engine = sandbox.Services.GetRequiredService<DockerEngine>();
        var health = sandbox.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        var resilience = sandbox.Services.GetRequiredService<DockerResilience>();
        for (var i = 0; i < 10 && !resilience.IsOpen; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => engine.OnceAsync<int>((_, _) => throw new HttpRequestException("engine down"), CancellationToken.None));
        }

        Assert.True(resilience.IsOpen, "repeated engine faults open the breaker");

        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("circuit breaker open", report.Entries["sandbox"].Description, StringComparison.Ordinal);

        var run = await RunRecording.RunAsync(sandbox.Runs, "package main\n\nfunc main() {}\n");
        Assert.Equal(RunOutcome.Internal, run.Final.Outcome);
        Assert.Equal("The sandbox failed to run the program: the container engine has been failing, so runs are paused for a few seconds.\n", run.Final.Data);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }
}
