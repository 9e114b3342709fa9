using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Options;
using Playground.Web.Compat;

namespace Playground.Web.Terminals;

/// <summary>The WebSocket endpoints for terminals and tools: <c>/ws/v1/run</c>, <c>/ws/v1/tty</c>, <c>/socket</c>.</summary>
internal static class TerminalEndpoints
{
    public static WebApplicationBuilder AddTerminals(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TerminalOptions>().Bind(builder.Configuration.GetSection(TerminalOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TerminalOptions>, TerminalOptionsValidator>();
        builder.Services.AddWebSockets(o => o.KeepAliveInterval = TimeSpan.FromSeconds(20));
        return builder;
    }

    public static WebApplication MapTerminals(this WebApplication app)
    {
        app.Map("/ws/v1/run", RunSocketEndpoint.HandleAsync);
        app.Map("/ws/v1/tty", TtyEndpoint.HandleAsync);
        app.Map("/socket", PlaygroundSocketEndpoint.HandleAsync);
        return app;
    }
}
