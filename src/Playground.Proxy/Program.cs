// The edge gateway in front of Playground.Web. For now it forwards everything (HTTP,
// WebSockets, SignalR) to the routes in appsettings.json; health checks, rate limiting and
// the Go module egress arrive with the proxy issue.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();
app.MapGet("/proxy/health/live", () => TypedResults.Ok("ok"));
app.MapReverseProxy();
app.Run();
