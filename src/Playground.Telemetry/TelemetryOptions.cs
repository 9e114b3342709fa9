using Microsoft.Extensions.Options;

namespace Playground.Telemetry;

/// <summary>Metrics and traces, bound from the <c>Telemetry</c> configuration section.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>
    /// The port on which <c>/metrics</c> answers, kept off the public port; Kestrel must also
    /// listen on it (for example <c>ASPNETCORE_URLS=http://+:8080;http://+:9464</c>). Null
    /// serves <c>/metrics</c> on every port the service listens on.
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>
    /// Where traces and metrics are pushed over OTLP (a collector, Jaeger, Tempo). Null uses
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> when set, else nothing is pushed.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (port 4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";
}

internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (options.MetricsPort is < 1 or > 65535)
        {
            failures.Add($"Telemetry:MetricsPort must be a TCP port (1-65535), not {options.MetricsPort}.");
        }

        if (options.OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            failures.Add($"Telemetry:OtlpProtocol must be grpc or http/protobuf, not '{options.OtlpProtocol}'.");
        }

        if (options.OtlpEndpoint is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
        {
            failures.Add($"Telemetry:OtlpEndpoint must be an absolute http or https URL, not '{options.OtlpEndpoint}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
