using Microsoft.Extensions.Diagnostics.HealthChecks;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;

namespace Playground.Sandbox;

/// <summary>Ready when the engine answers and the sandbox images exist (and the build cache is warm).</summary>
internal sealed class SandboxHealthCheck(IContainerEngine engine, DockerResilience resilience, ISandboxImages images, SandboxReadiness readiness) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(3));
            if (resilience.IsOpen)
            {
                // Recent engine calls kept failing: runs are refused until the breaker lets a call through.
                return HealthCheckResult.Unhealthy("Docker engine calls are failing: circuit breaker open.");
            }

            await engine.PingAsync(cts.Token).ConfigureAwait(false);
            if (readiness.IsReady)
            {
                var set = await readiness.EnsureAsync(cts.Token).ConfigureAwait(false);
                foreach (var image in new[] { set.RunnerImage, set.BuilderImage })
                {
                    if (!await images.ExistsAsync(image, cts.Token).ConfigureAwait(false))
                    {
                        return HealthCheckResult.Unhealthy($"Sandbox image {image} is missing.");
                    }
                }

                return HealthCheckResult.Healthy($"Docker engine answers; sandbox images for the default Go version ({set.GoVersion}) present.");
            }

            // Not ready: make sure preparation is running again (it may have failed while the
            // engine was away), and say which state it is in.
            var error = readiness.LastError;
            if (readiness.RestartDefault() is { } restarted)
            {
                ObserveFailure(restarted);
            }

            return HealthCheckResult.Unhealthy(error is null
                ? "Sandbox preparation of the default Go version (images, standard library pre-build) in progress."
                : "Sandbox preparation failed, retrying: " + error);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Docker engine not reachable: " + e.GetType().Name);
        }
    }

    /// <summary>Preparation logs its own failures; this only keeps them from going unobserved.</summary>
    private static void ObserveFailure(Task task) =>
        _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
