using System.Globalization;
using System.Threading.RateLimiting;

namespace Playground.Proxy.Edge;

/// <summary>The <c>RateLimit</c> section: requests per client address in a fixed window.</summary>
public sealed class EdgeRateLimitOptions
{
    public const string SectionName = "RateLimit";

    /// <summary>Requests one client address may make per <see cref="Window"/>; 0 turns limiting off.</summary>
    public int PermitLimit { get; set; } = 600;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Per-client rate limiting at the edge: beyond the limit, 429 with <c>Retry-After</c> (whole
/// seconds until the window resets). A WebSocket or SignalR connection counts once, when it opens.
/// </summary>
internal static class EdgeRateLimiting
{
    public const string Policy = "per-client";

    public static IServiceCollection AddEdgeRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(EdgeRateLimitOptions.SectionName).Get<EdgeRateLimitOptions>() ?? new EdgeRateLimitOptions();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, context =>
            {
                if (options.PermitLimit <= 0 || context.Request.Path.StartsWithSegments("/proxy/health"))
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                // The edge is the first hop: the peer address is the client.
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.Window;
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsync(
                    $"Too many requests from this address: the limit is {options.PermitLimit} per {options.Window.TotalSeconds:0.#} s. Retry after {seconds} s.\n",
                    cancellationToken).ConfigureAwait(false);
            };
        });
        return services;
    }
}
