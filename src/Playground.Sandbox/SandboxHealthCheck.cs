using Microsoft.Extensions.Diagnostics.HealthChecks;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;

namespace Playground.Sandbox;

/// <summary>Ready when the engine answers and the sandbox images exist (and the build cache is warm).</summary>
internal sealed class SandboxHealthCheck(DockerEngine engine, SandboxImages images, SandboxReadiness readiness) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(3));
            var docker = await engine.GetClientAsync(cts.Token).ConfigureAwait(false);
            await docker.System.PingAsync(cts.Token).ConfigureAwait(false);
            var (set, _) = await images.ResolveAsync(cts.Token).ConfigureAwait(false);
            foreach (var image in new[] { set.RunnerImage, set.BuilderImage })
            {
                if (!await SandboxImages.ExistsAsync(docker, image, cts.Token).ConfigureAwait(false))
                {
                    return HealthCheckResult.Unhealthy($"Sandbox image {image} is missing.");
                }
            }

            return readiness.IsReady
                ? HealthCheckResult.Healthy("Docker engine answers; sandbox images present.")
                : HealthCheckResult.Unhealthy("Sandbox images present; standard library still being pre-built.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Docker engine not reachable: " + e.GetType().Name);
        }
    }
}
