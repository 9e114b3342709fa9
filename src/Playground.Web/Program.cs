using Playground.Sandbox;
using Playground.Telemetry;
using Playground.Web.Api;
using Playground.Web.Clients;
using Playground.Web.Embedding;
using Playground.Web.Examples;
using Playground.Web.Hosting;
using Playground.Web.Realtime;
using Playground.Web.Snippets;
using Playground.Web.Terminals;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlaygroundDefaults();
builder.AddPlaygroundTelemetry("goplay-web");
// Preparing only builds images and warms the cache, and listing toolchains only reads the
// configuration: no module route, so no socket directory is created for a process that never
// serves (and so never removes) it.
var preparing = args.Contains("prepare-sandbox");
var listing = args.Contains("toolchains");
if (!preparing && !listing)
{
    builder.AddModules();
}

if (preparing)
{
    // An owner name of its own: a server on this host (same default name) would otherwise take
    // the preparation's containers for its own leftovers, and its janitor would remove them.
    builder.Configuration["Sandbox:InstanceName"] = (builder.Configuration["Sandbox:InstanceName"] ?? Environment.MachineName) + "-prepare";
}

builder.Services.AddSandbox(builder.Configuration);
builder.AddClientAddresses();
builder.AddRealtime();
builder.AddServerShutdown();
builder.AddGoDevApi();
builder.AddSnippets();
builder.AddEmbed();
builder.AddTerminals();

var app = builder.Build();

if (listing)
{
    // Used by scripts/setup.sh: which Debian Go releases to unpack, and where.
    Console.Out.Write(app.Services.DescribeToolchainSetup());
    return;
}

if (preparing)
{
    // Used by scripts/setup.sh: create the images and warm the build cache (of the default
    // toolchain, or of all with "all"), remove those of toolchains no longer configured, exit.
    await app.Services.PrepareSandboxAsync(all: args.Contains("all"), CancellationToken.None);
    return;
}

app.UseClientAddresses();
app.UsePlaygroundMetricsPort();
app.UseFramingPolicy();
app.UseUpstreamCors();
app.UseDefaultFiles();
app.UsePlaygroundStaticFiles();
app.MapHealth();
app.MapPlaygroundMetrics();
// Created now (after the meter provider, which the line above builds), not at the first
// connection: its series are exported at zero from the start.
app.Services.GetRequiredService<WebMetrics>();
// Before the hub's middleware, which tells a WebSocket transport from the others.
app.UseWebSockets();
app.MapRealtime();
app.MapTerminals();
app.MapGoDevApi();
app.MapFormat();
app.MapSnippets();
app.MapExamples();
app.MapEmbed();
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
