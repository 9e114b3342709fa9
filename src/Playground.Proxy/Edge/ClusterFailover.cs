using Yarp.ReverseProxy;

namespace Playground.Proxy.Edge;

/// <summary>
/// Failover between clusters: a route chosen by header (for example <c>x-region: eu</c>) goes
/// to its cluster; when that cluster has no healthy destination, the request goes to the
/// cluster named in its <c>Failover</c> metadata instead (one hop, so no loops).
/// </summary>
internal static partial class ClusterFailover
{
    public const string MetadataKey = "Failover";

    public static void UseClusterFailover(this IReverseProxyApplicationBuilder proxy)
    {
        var lookup = proxy.ApplicationServices.GetRequiredService<IProxyStateLookup>();
        var logger = proxy.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Playground.Proxy.Edge.ClusterFailover");
        proxy.Use((context, next) =>
        {
            var feature = context.GetReverseProxyFeature();
            var cluster = feature.Cluster;
            if (feature.AvailableDestinations.Count == 0 &&
                cluster.Config.Metadata?.GetValueOrDefault(MetadataKey) is { Length: > 0 } fallbackId &&
                lookup.TryGetCluster(fallbackId, out var fallback) &&
                fallback.DestinationsState.AvailableDestinations.Count > 0)
            {
                LogFailover(logger, cluster.Config.ClusterId, context.Request.Path, fallbackId);
                // The request keeps its route and cluster settings; only the destinations change.
                feature.AvailableDestinations = fallback.DestinationsState.AvailableDestinations;
                context.Response.Headers["X-GoPlay-Failover"] = fallbackId;
            }

            return next();
        });
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Cluster {Cluster} has no healthy destination; sending {Path} to cluster {Fallback}")]
    private static partial void LogFailover(ILogger logger, string cluster, string path, string fallback);
}
