using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Playground.Telemetry;

/// <summary>
/// One OpenTelemetry set-up for every GoPlay service: the product's own meters and activity
/// sources (all named <c>Playground.*</c>), Polly's, ASP.NET Core, HttpClient and the runtime;
/// a Prometheus scrape endpoint; OTLP push when an endpoint is configured.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Meters and activity sources of the product, matched by prefix.</summary>
    public const string ProductSources = "Playground.*";

    public const string MetricsPath = "/metrics";

    public static IHostApplicationBuilder AddPlaygroundTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(TelemetryOptions.SectionName);
        builder.Services.AddOptions<TelemetryOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();

        var version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: version, serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddMeter(ProductSources)
                // Polly's own events (retries, breaker transitions, timeouts) per pipeline.
                .AddMeter("Polly")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                // Scrapes see the counters as they are now: a run counted is a run exported.
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0))
            .WithTracing(tracing => tracing
                .AddSource(ProductSources)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsPlumbing(context.Request.Path))
                .AddHttpClientInstrumentation());

        var endpoint = options.OtlpEndpoint
            ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } env ? new Uri(env) : null);
        if (endpoint is not null)
        {
            var protocol = options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            telemetry.UseOtlpExporter(protocol, endpoint);
        }

        return builder;
    }

    /// <summary>
    /// On the metrics port, answers 404 to everything but <c>/metrics</c>: that port is opened
    /// to the scraper (a network policy, a compose network), and must not become a second way
    /// into the application. Goes first in the pipeline, before static files and routing.
    /// </summary>
    public static IApplicationBuilder UsePlaygroundMetricsPort(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var port = app.ApplicationServices.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsPort;
        if (port is null)
        {
            return app;
        }

        return app.Use((context, next) =>
        {
            if (context.Connection.LocalPort == port && !context.Request.Path.Equals(MetricsPath, StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    /// <summary>Serves <c>/metrics</c> in the Prometheus text format, on the metrics port only when one is configured.</summary>
    public static IEndpointConventionBuilder MapPlaygroundMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var port = endpoints.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsPort;
        // The meter provider is built here, before the hosted services that create most
        // instruments: a measurement made before it listens is lost, and the series that
        // start at zero (Add(0) at creation) would then be missing until their first event.
        endpoints.ServiceProvider.GetRequiredService<MeterProvider>();
        var endpoint = endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
        return port is { } p ? endpoint.RequireHost($"*:{p}") : endpoint;
    }

    /// <summary>Scrapes and probes arrive every few seconds and say nothing about users: no spans for them.</summary>
    private static bool IsPlumbing(PathString path) =>
        path.StartsWithSegments(MetricsPath, StringComparison.Ordinal)
        || path.StartsWithSegments("/health", StringComparison.Ordinal)
        || path.StartsWithSegments("/proxy/health", StringComparison.Ordinal);
}
