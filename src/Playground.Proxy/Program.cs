using Playground.Modules;
using Playground.Proxy.Edge;
using Playground.Telemetry;

// Playground.Proxy: the edge gateway in front of Playground.Web replicas, and the Go module
// route when deployed on its own (docs/PROXY.md). Routes, clusters, health checks and session
// affinity come from the ReverseProxy section of appsettings.json (YARP's schema).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
builder.Services.AddEdgeRateLimiting(builder.Configuration);
builder.Services.AddGoModules(builder.Configuration);
builder.AddPlaygroundTelemetry("goplay-proxy");

var app = builder.Build();
app.UsePlaygroundMetricsPort();
app.UseRateLimiter();
app.MapGet("/proxy/health/live", () => TypedResults.Ok("ok"));
app.MapPlaygroundMetrics();
// The module route is limited like every other route: it fetches from the internet for anyone.
app.MapGoModules().RequireRateLimiting(EdgeRateLimiting.Policy);
app.MapReverseProxy(proxy =>
{
    proxy.UseSessionAffinity();
    proxy.UseClusterFailover();
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
}).RequireRateLimiting(EdgeRateLimiting.Policy);
app.Run();
