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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DockerEngine>();
        services.TryAddSingleton<SandboxImages>();
        services.TryAddSingleton<GoBuilder>();
        services.TryAddSingleton<GoRunner>();
        services.TryAddSingleton<SandboxReadiness>();
        services.TryAddSingleton<IRunService, SandboxRunService>();
        services.AddHostedService<SandboxPreparationService>();
        services.AddHealthChecks().AddCheck<SandboxHealthCheck>("sandbox", tags: ["ready"]);
        return services;
    }

    /// <summary>Creates images and warms the build cache now; used by the set-up script.</summary>
    public static async Task PrepareSandboxAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        await services.GetRequiredService<SandboxReadiness>().EnsureAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>Starts preparation in the background at start-up so the first run does not pay for it.</summary>
internal sealed class SandboxPreparationService(SandboxReadiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await readiness.EnsureAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged by SandboxReadiness; readiness stays unhealthy and the next run retries.
        }
    }
}
