using System.Text.Json.Serialization;

namespace Playground.Web.Realtime;

internal static class RealtimeEndpoints
{
    /// <summary>The hub must accept the largest source a run may have, plus JSON overhead.</summary>
    private const long MaxHubMessageBytes = 2L << 20;

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = MaxHubMessageBytes)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull);
        return builder;
    }

    public static WebApplication MapRealtime(this WebApplication app)
    {
        app.MapHub<RunHub>("/hubs/run");
        return app;
    }
}
