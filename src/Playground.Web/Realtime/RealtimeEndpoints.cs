using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;
using Playground.Web.Terminals;

namespace Playground.Web.Realtime;

internal static class RealtimeEndpoints
{
    /// <summary>The hub must accept the largest source a run may have, plus JSON overhead.</summary>
    private const long MaxHubMessageBytes = 2L << 20;

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        // A connection that sends nothing (not even the client's pings) for this long is closed.
        var clientTimeout = builder.Configuration.GetValue("Realtime:ClientTimeout", TimeSpan.FromSeconds(30));
        builder.Services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = MaxHubMessageBytes;
                o.ClientTimeoutInterval = clientTimeout;
                o.KeepAliveInterval = clientTimeout / 2;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull);
        builder.Services.AddSingleton<HubConnections>();
        return builder;
    }

    public static WebApplication MapRealtime(this WebApplication app)
    {
        // A page on another site must not run programs here through its visitors' browsers:
        // the hub admits the origins the run sockets admit (same origin, Terminals:AllowedOrigins,
        // or no Origin at all: not a browser). Negotiate, WebSocket, SSE and long polling all
        // start under this path.
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/hubs/run", StringComparison.OrdinalIgnoreCase),
            hub => hub.Use(async (context, next) =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<TerminalOptions>>().Value;
                if (!TerminalSocket.OriginAllowed(context, options))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsync($"Origin {context.Request.Headers.Origin} may not open /hubs/run.\n", context.RequestAborted).ConfigureAwait(false);
                    return;
                }

                // A client over its connection cap is told so before it opens one.
                var limiter = context.RequestServices.GetRequiredService<ConnectionLimiter>();
                if (context.Request.Path.Value?.EndsWith("/negotiate", StringComparison.OrdinalIgnoreCase) == true)
                {
                    if (limiter.Check(ClientAddresses.Of(context)) is { } full)
                    {
                        await full.ExecuteAsync(context).ConfigureAwait(false);
                        return;
                    }
                }
                else if (context.WebSockets.IsWebSocketRequest || IsEventStream(context.Request))
                {
                    // A transport that lives as long as its request is counted from the moment
                    // it arrives, not from the hub's OnConnected, which runs after the client was
                    // already told it is connected. (Long polling is counted by the hub.)
                    using var lease = limiter.TryOpen(ClientAddresses.Of(context), RunTransports.SignalR, out var refusal);
                    if (lease is null)
                    {
                        await refusal!.ExecuteAsync(context).ConfigureAwait(false);
                        return;
                    }

                    using var transport = context.RequestServices.GetRequiredService<HubConnections>().TransportOpened();
                    context.Items[HubConnections.LeaseKey] = lease;
                    await next(context).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            }));
        // Closed at shutdown by ServerShutdown, after every run has told its caller.
        app.MapHub<RunHub>("/hubs/run");
        return app;
    }

    private static bool IsEventStream(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
