using Playground.Modules;

// The edge gateway in front of Playground.Web, and the Go module egress when deployed on its
// own (docs/PROXY.md). The edge forwards everything (HTTP, WebSockets, SignalR) to the routes
// in appsettings.json; /gomod/ is the GOPROXY route builders use when they are on other
// hosts (in the single-process shape Playground.Web hosts the same route itself).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
builder.Services.AddGoModules(builder.Configuration);

var app = builder.Build();
app.MapGet("/proxy/health/live", () => TypedResults.Ok("ok"));
app.MapGoModules();
app.MapReverseProxy();
app.Run();
