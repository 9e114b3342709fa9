using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Building;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Running;
using Playground.Sandbox.Runs;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Telemetry;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>Registers the sandbox (<see cref="IRunService"/>, health check, start-up preparation) bound to the <c>Sandbox</c> section.</summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SandboxOptions>()
            .Bind(configuration.GetSection(SandboxOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.AddOptions<SchedulerOptions>()
            .Bind(configuration.GetSection(SchedulerOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>());
        services.TryAddSingleton<RunScheduler>();
        services.TryAddSingleton<ToolScheduler>();
        services.TryAddSingleton<QuietGate>();
        services.TryAddSingleton<BinaryCache>();
        services.TryAddSingleton(TimeProvider.System);
        DockerResilience.Register(services);
        services.TryAddSingleton<DockerEngine>();
        services.TryAddSingleton<IContainerEngine>(sp => sp.GetRequiredService<DockerEngine>());
        services.TryAddSingleton<SandboxContainers>();
        services.TryAddSingleton<PreparedToolchains>();
        services.TryAddSingleton<ToolchainCatalog>();
        services.TryAddSingleton<SandboxImages>();
        services.TryAddSingleton<ISandboxImages>(sp => sp.GetRequiredService<SandboxImages>());
        services.TryAddSingleton<GoBuilder>();
        services.TryAddSingleton<GoRunner>();
        services.TryAddSingleton<RunnerUsers>();
        services.TryAddSingleton<SandboxReadiness>();
        services.TryAddSingleton<IToolchainInfo, ToolchainInfo>();
        services.TryAddSingleton<IFormatService, SandboxFormatService>();
        services.TryAddSingleton<IVetService, SandboxVetService>();
        services.TryAddSingleton<ActiveRuns>();
        services.AddMetrics();
        services.TryAddSingleton<SandboxMetrics>();
        services.TryAddSingleton<SandboxRunService>();
        services.TryAddSingleton<MeteredRunService>();
        services.TryAddSingleton<IRunService>(sp => sp.GetRequiredService<MeteredRunService>());
        services.TryAddSingleton<IRunShutdown>(sp => sp.GetRequiredService<SandboxRunService>());
        services.TryAddSingleton<SandboxJanitor>();
        services.TryAddSingleton<RunnerPool>();
        services.TryAddSingleton<BuilderPool>();
        services.AddHostedService<SandboxPreparationService>();
        services.AddHostedService(sp => sp.GetRequiredService<SandboxJanitor>());
        services.AddHostedService(sp => sp.GetRequiredService<RunnerPool>());
        services.AddHostedService(sp => sp.GetRequiredService<BuilderPool>());
        services.AddHostedService<SandboxShutdownService>();
        services.AddHealthChecks().AddCheck<SandboxHealthCheck>("sandbox", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// Creates images and warms the build cache now, for the default toolchain or (with
    /// <paramref name="all"/>) every installed one; used by the set-up script.
    /// </summary>
    public static async Task PrepareSandboxAsync(this IServiceProvider services, bool all, CancellationToken cancellationToken)
    {
        var readiness = services.GetRequiredService<SandboxReadiness>();
        if (all)
        {
            await readiness.PrepareAllAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await readiness.EnsureAsync(cancellationToken).ConfigureAwait(false);
        }

        var installed = await services.GetRequiredService<ToolchainCatalog>().GetAsync(cancellationToken).ConfigureAwait(false);
        await services.GetRequiredService<SandboxImages>().PruneAsync(installed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For the set-up script: <c>directory=PATH</c>, then <c>release=1.NN</c> for each configured
    /// Debian release, one per line.
    /// </summary>
    public static string DescribeToolchainSetup(this IServiceProvider services)
    {
        var o = services.GetRequiredService<IOptions<SandboxOptions>>().Value;
        var lines = new List<string> { "directory=" + o.ToolchainDirectory };
        foreach (var entry in o.EffectiveToolchains)
        {
            if (ToolchainEntry.TryParse(entry, out var parsed) && parsed.Kind == ToolchainEntryKind.Debian)
            {
                lines.Add("release=" + parsed.Release);
            }
        }

        return string.Join('\n', lines) + "\n";
    }
}

/// <summary>
/// Graceful shutdown: runs in flight are stopped, told why, and their containers removed
/// before the pools and the janitor stop and the process exits.
/// </summary>
/// <remarks>
/// In <see cref="StoppingAsync"/>, which a host calls before any service's <c>StopAsync</c>:
/// the pools and the janitor are still there when the runs' containers go. A host
/// whose transports must deliver the runs' last events first (the web server's) calls
/// <see cref="IRunShutdown.StopAllAsync"/> itself before closing them; this then waits for
/// the same stop.
/// </remarks>
internal sealed class SandboxShutdownService(SandboxRunService runs) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runs.StopAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout passed: the janitor's start-up pass covers what is left.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Starts preparation in the background at start-up so the first run does not pay for it: the
/// default toolchain first, then the others one at a time.
/// </summary>
internal sealed class SandboxPreparationService(SandboxReadiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await readiness.PrepareAllAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged by SandboxReadiness; readiness stays unhealthy and the next run retries.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // A version's preparation outlives the wait above (it is shared, not this service's).
        await readiness.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
