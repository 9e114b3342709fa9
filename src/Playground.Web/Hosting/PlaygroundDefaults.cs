using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Playground.Web.Hosting;

internal static class PlaygroundDefaults
{
    public static WebApplicationBuilder AddPlaygroundDefaults(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<WebMetrics>();
        return builder;
    }

    /// <summary>
    /// The graceful stop (<see cref="ServerShutdown"/>), registered at start-up: runs are told
    /// and connections closed before the process exits, on a signal as on a host's StopAsync.
    /// </summary>
    public static WebApplicationBuilder AddServerShutdown(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServerShutdown>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerShutdown>());
        DrainingConsoleLifetime.Replace(builder.Services);
        return builder;
    }

    /// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: the sandbox can run code.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReport,
        });
        return app;
    }

    private static Task WriteReport(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }
}
