using System.Net.Sockets;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Playground.Sandbox.Containers;

/// <summary>
/// The named Polly pipelines around Docker Engine calls. Order, outermost first: total
/// timeout, retry (exponential, jitter), circuit breaker, attempt timeout.
/// </summary>
/// <remarks>
/// <see cref="Idempotent"/> is for calls that may safely happen twice (ping, inspect, list,
/// kill, remove, image and volume look-ups). <see cref="Once"/> is for calls that must not be
/// repeated (create, attach, start): it never retries, so a user's program is never started
/// twice. Only engine failures count (transport errors, timeouts, 5xx); "not found" and
/// "conflict" answers are results, not faults. Both breakers feed readiness.
/// </remarks>
public sealed class DockerResilience
{
    public const string Idempotent = "docker-idempotent";
    public const string Once = "docker-once";

    public CircuitBreakerStateProvider IdempotentBreaker { get; } = new();

    public CircuitBreakerStateProvider OnceBreaker { get; } = new();

    /// <summary>Raised for each retry, breaker transition and timeout ("retry", "breaker-opened", "breaker-closed", "timeout"): metrics count them.</summary>
    public event Action<string>? EventRaised;

    /// <summary>True while either breaker refuses calls.</summary>
    public bool IsOpen => IdempotentBreaker.CircuitState is CircuitState.Open or CircuitState.Isolated
        || OnceBreaker.CircuitState is CircuitState.Open or CircuitState.Isolated;

    internal static bool IsEngineFault(Exception e) => e switch
    {
        DockerContainerNotFoundException or DockerImageNotFoundException => false,
        DockerApiException api => (int)api.StatusCode >= 500,
        HttpRequestException or IOException or SocketException or TimeoutRejectedException => true,
        _ => false,
    };

    internal static void Register(IServiceCollection services)
    {
        services.AddSingleton<DockerResilience>();
        var handled = new PredicateBuilder().Handle<Exception>(IsEngineFault);

        services.AddResiliencePipeline(Idempotent, (builder, context) =>
        {
            var breakers = context.ServiceProvider.GetRequiredService<DockerResilience>();
            builder
                .AddTimeout(breakers.Timeout(TimeSpan.FromSeconds(30)))
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = handled,
                    MaxRetryAttempts = 3,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    OnRetry = _ => breakers.Raise("retry"),
                })
                .AddCircuitBreaker(breakers.Breaker(handled, breakers.IdempotentBreaker))
                .AddTimeout(breakers.Timeout(TimeSpan.FromSeconds(10)));
        });

        services.AddResiliencePipeline(Once, (builder, context) =>
        {
            var breakers = context.ServiceProvider.GetRequiredService<DockerResilience>();
            builder
                .AddCircuitBreaker(breakers.Breaker(handled, breakers.OnceBreaker))
                .AddTimeout(breakers.Timeout(TimeSpan.FromSeconds(20)));
        });
    }

    private ValueTask Raise(string name)
    {
        EventRaised?.Invoke(name);
        return ValueTask.CompletedTask;
    }

    private TimeoutStrategyOptions Timeout(TimeSpan timeout) => new()
    {
        Timeout = timeout,
        OnTimeout = _ => Raise("timeout"),
    };

    private CircuitBreakerStrategyOptions Breaker(PredicateBuilder<object> handled, CircuitBreakerStateProvider state) => new()
    {
        ShouldHandle = handled,
        FailureRatio = 0.5,
        MinimumThroughput = 4,
        SamplingDuration = TimeSpan.FromSeconds(30),
        BreakDuration = TimeSpan.FromSeconds(10),
        StateProvider = state,
        OnOpened = _ => Raise("breaker-opened"),
        OnClosed = _ => Raise("breaker-closed"),
    };
}
