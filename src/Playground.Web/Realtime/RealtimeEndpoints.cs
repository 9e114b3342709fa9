using System.Text.Json.Serialization;

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
        return builder;
    }

    public static WebApplication MapRealtime(this WebApplication app)
    {
        app.MapHub<RunHub>("/hubs/run");
        return app;
    }
}
