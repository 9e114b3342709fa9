using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;
using Playground.Web.Hosting;

namespace Playground.Web.Api;

/// <summary>
/// The official playground's HTTP API (CONTRACTS.md, "go.dev-compatible HTTP API"), at both the
/// play.golang.org and the go.dev layouts, so existing tools can point at a GoPlay server.
/// </summary>
internal static class GoDevApi
{
    /// <summary>Routes that answer CORS requests from any origin, as upstream.</summary>
    private static readonly string[] ApiRoutes = ["/compile", "/_/compile", "/version", "/versions", "/_ah/health", "/share", "/_/share", "/fmt", "/_/fmt", "/vet"];

    /// <summary>
    /// Prefixes of the pages and files upstream serves to any origin: its catch-all handler
    /// (the editor, <c>/p/</c> and every 404 it gives) and its examples handler both set the header.
    /// </summary>
    private static readonly string[] AnyOriginPrefixes = ["/p/", "/play/", "/doc/play/"];

    public static WebApplicationBuilder AddGoDevApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CompileEndpoint>();
        return builder;
    }

    /// <summary>
    /// <c>Access-Control-Allow-Origin: *</c> where upstream sends it: the API routes, the editor
    /// page, snippets, examples, and every 404. Before the static files, which answer the
    /// editor page (<c>/</c>) without reaching any endpoint.
    /// </summary>
    public static WebApplication UseUpstreamCors(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path is "/" or "/index.html" or "/play"
                || ApiRoutes.Contains(path, StringComparer.Ordinal)
                || AnyOriginPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal)))
            {
                context.Response.Headers.AccessControlAllowOrigin = "*";
            }
            else
            {
                // Whoever gives the 404 (routing, static files, an endpoint), as upstream's catch-all does.
                context.Response.OnStarting(static state =>
                {
                    var response = (HttpResponse)state;
                    if (response.StatusCode == StatusCodes.Status404NotFound)
                    {
                        response.Headers.AccessControlAllowOrigin = "*";
                    }

                    return Task.CompletedTask;
                }, context.Response);
            }

            await next(context);
        });
        return app;
    }

    public static WebApplication MapGoDevApi(this WebApplication app)
    {
        // A pre-flight CORS request: an empty 200. Route by route: a catch-all would turn every
        // other GET (static files included) into a 405.
        foreach (var route in ApiRoutes)
        {
            app.MapMethods(route, ["OPTIONS"], () => Results.Ok());
        }

        // GET as upstream: its fields in the query, or (none) 400 like an undecodable POST.
        app.MapMethods("/compile", [HttpMethods.Get, HttpMethods.Post], (HttpContext http, CompileEndpoint endpoint) => endpoint.HandleAsync(http, legacyShape: false));
        app.MapPost("/_/compile", (HttpContext http, CompileEndpoint endpoint) => endpoint.HandleAsync(http, legacyShape: true));
        // go.dev's own words (its handler writes them with http.Error).
        app.MapGet("/_/compile", () => Results.Text("I only answer to POST requests.\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status405MethodNotAllowed));
        app.MapGet("/version", async (IToolchainInfo toolchain, CancellationToken cancellationToken) =>
        {
            var (version, error) = await toolchain.ResolveAsync(null, cancellationToken);
            return version is null
                ? Results.Problem(error, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text(GoJson.Serialize(new { Version = version.Version, Release = version.Release, Name = version.Name }), "application/json");
        });
        app.MapGet("/versions", async (IToolchainInfo toolchain, CancellationToken cancellationToken) =>
        {
            var versions = await toolchain.ListAsync(cancellationToken);
            return TypedResults.Json(new VersionList(versions.FirstOrDefault(v => v.IsDefault)?.Version, versions, toolchain.Warming), VersionsJson);
        });
        app.MapGet("/_ah/health", (CompileEndpoint endpoint, CancellationToken cancellationToken) => endpoint.HealthAsync(cancellationToken));
        return app;
    }

    private static readonly System.Text.Json.JsonSerializerOptions VersionsJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The body of <c>GET /versions</c>.</summary>
    internal sealed record VersionList(string? Default, IReadOnlyList<GoVersionInfo> Versions, bool Warming);

    /// <summary>
    /// The Go version an HTTP request asks for: GoPlay's <c>go</c> query parameter (any form
    /// <c>goVersion</c> takes), else go.dev's <c>backend</c> (<c>goprev</c>, <c>gotip</c>); null for the default.
    /// </summary>
    internal static string? RequestedVersion(HttpRequest request)
    {
        var go = request.Query["go"].ToString();
        if (go.Length > 0)
        {
            return go;
        }

        var backend = request.Query["backend"].ToString();
        return backend.Length > 0 ? backend : null;
    }
}

/// <summary><c>POST /compile</c>: runs the program in playback mode and answers in the upstream shape, from a result cache when it can.</summary>
internal sealed class CompileEndpoint(IRunService runs, IToolchainInfo toolchain, IOptions<SandboxOptions> options, WebMetrics metrics, ILogger<CompileEndpoint> logger) : IDisposable
{
    private const string TimeoutMessage = "timeout running program";

    /// <summary>How long one real health check answers for every caller.</summary>
    private static readonly TimeSpan HealthFresh = TimeSpan.FromSeconds(10);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 64L << 20 });
    private readonly Lock _healthGate = new();
    private Task<string?>? _health;
    private long _healthStarted;

    public void Dispose() => _cache.Dispose();

    public async Task HandleAsync(HttpContext http, bool legacyShape)
    {
        var cancellationToken = http.RequestAborted;
        var request = await CompileRequestReader.ReadOrRejectAsync(http, options.Value);
        if (request is null)
        {
            return;
        }

        var (version, unavailable) = await toolchain.ResolveAsync(GoDevApi.RequestedVersion(http.Request), cancellationToken);
        if (version is null)
        {
            // As a program the server will not run: told the way compile errors are.
            await WriteAsync(http, legacyShape, request, new CompileResponse { Errors = unavailable! + "\n" });
            return;
        }

        // The exact version, so a cached answer is never one another toolchain gave.
        var key = CacheKey(request, version.Version);
        var hit = _cache.TryGetValue(key, out CompileResponse? response);
        metrics.CompileCacheLookup(hit);
        if (!hit)
        {
            var (result, status, cacheable, retryAfter) = await RunAsync(request, version.Version, ClientAddresses.Of(http), cancellationToken);
            if (result is null)
            {
                if (retryAfter is { } seconds)
                {
                    http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                await ApiText.WriteAsync(http, status, status == StatusCodes.Status503ServiceUnavailable ? "Service Unavailable\n" : "Internal Server Error\n");
                return;
            }

            response = result;
            if (cacheable)
            {
                _cache.Set(key, response, new MemoryCacheEntryOptions { Size = SizeOf(response) });
            }
        }

        http.Response.Headers["X-GoPlay-Cache"] = hit ? "hit" : "miss";
        http.Response.Headers["X-GoPlay-Go-Version"] = version.Version;
        await WriteAsync(http, legacyShape, request, response!);
    }

    private static async Task WriteAsync(HttpContext http, bool legacyShape, CompileRequest request, CompileResponse response)
    {
        if (!legacyShape)
        {
            await GoJson.WriteAsync(http, response);
            return;
        }

        // go.dev's bytes: its handler writes json.Marshal's output (no newline) and sets no
        // Content-Type, so Go's sniffing names it text/plain.
        var body = request.Version2
            ? GoJson.Marshal(new GoDevCompileResponse(response.Errors, response.Events, response.VetErrors ?? ""))
            : GoJson.Marshal(new LegacyCompileResponse(response.Errors, string.Concat(response.Events?.Select(e => e.Message) ?? [])));
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>
    /// A real sandboxed build and run; "ok" only when it printed what it should. Callers share
    /// one check: the one running, or one that started less than 10 s ago. Probes from several
    /// monitors at once once took queue places of their own and were refused with 500.
    /// </summary>
    public async Task<IResult> HealthAsync(CancellationToken cancellationToken)
    {
        Task<string?> check;
        lock (_healthGate)
        {
            if (_health is null || (_health.IsCompleted && Stopwatch.GetElapsedTime(_healthStarted) >= HealthFresh))
            {
                _healthStarted = Stopwatch.GetTimestamp();
                _health = CheckHealthAsync();
            }

            check = _health;
        }

        var failure = await check.WaitAsync(cancellationToken);
        return failure is null
            ? Results.Text("ok")
            : Results.Text("health check failed: " + failure, statusCode: StatusCodes.Status500InternalServerError);
    }

    /// <summary>Null when the sandbox built and ran the probe as it should, else what went wrong.</summary>
    private async Task<string?> CheckHealthAsync()
    {
        // Not any caller's token: every caller waits for this one result.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = new List<RunEvent>();
        var request = new RunRequest { Source = "package main\n\nfunc main() { println(\"ok\") }\n", Mode = RunMode.Playback };
        try
        {
            await foreach (var e in runs.RunAsync(request, RunInput.None with { ClientId = "health", Transport = RunTransports.Health }, limit.Token))
            {
                events.Add(e);
            }
        }
        catch (OperationCanceledException)
        {
            return "no answer from the sandbox within 2 minutes";
        }

        var final = events[^1];
        var output = string.Concat(events.Where(e => e.Kind == RunEventKind.Stderr).Select(e => e.Data));
        return final.Outcome == RunOutcome.Exited && final.ExitCode == 0 && output == "ok\n" ? null : final.Data ?? output;
    }

    private async Task<(CompileResponse? Response, int Status, bool Cacheable, int? RetryAfter)> RunAsync(CompileRequest request, string goVersion, string client, CancellationToken cancellationToken)
    {
        var events = new List<RunEvent>();
        var run = new RunRequest { Source = request.Body, Mode = RunMode.Playback, WithVet = request.WithVet, GoVersion = goVersion };
        await foreach (var e in runs.RunAsync(run, RunInput.None with { ClientId = client, Transport = RunTransports.Http }, cancellationToken))
        {
            events.Add(e);
        }

        var final = events[^1];
        var vet = request.WithVet ? string.Concat(events.Where(e => e.Kind == RunEventKind.Vet).Select(e => e.Data)) : null;
        CompileResponse Output(int status) => new()
        {
            Events = PlaybackEvents.From(events),
            Status = status,
            IsTest = final.IsTest,
            TestsFailed = final.TestsFailed ?? 0,
            VetErrors = string.IsNullOrEmpty(vet) ? null : vet,
            VetOK = request.WithVet && string.IsNullOrEmpty(vet),
        };

        // Every outcome listed, no discard: a new one fails the build until it is mapped here.
        return (final.Outcome ?? RunOutcome.Internal) switch
        {
            // A vet that did not finish is told in VetErrors and asked again next time.
            RunOutcome.Exited => (Output(final.ExitCode ?? 0), 200, !events.Any(e => e.VetUnfinished), null),
            RunOutcome.Timeout => (TimedOut(Output(1)), 200, false, null),
            RunOutcome.OutputLimit => (new CompileResponse { Errors = "Output too large" }, 200, false, null),
            RunOutcome.BuildError => (new CompileResponse { Errors = final.Data ?? "" }, 200, true, null),
            RunOutcome.BuildTimeout => (new CompileResponse { Errors = final.Data ?? "" }, 200, false, null),
            RunOutcome.Rejected when final.RetryAfterSeconds is { } seconds => (null, StatusCodes.Status503ServiceUnavailable, false, seconds),
            // An invalid program (txtar errors, size limits): told the way compile errors are.
            RunOutcome.Rejected => (new CompileResponse { Errors = final.Data ?? "" }, 200, false, null),
            // Only the server's own stop kills an HTTP run (the client cannot ask): the server's problem.
            // The compiler killed for the build's memory limit: no event says the program built.
            // Told the way compile errors are, and not cached (it once showed as a clean run).
            RunOutcome.Oom when !events.Any(e => e.Kind == RunEventKind.Built) => (new CompileResponse { Errors = final.Data ?? "" }, 200, false, null),
            RunOutcome.Killed or RunOutcome.Oom or RunOutcome.Internal => ServerFailure(),
        };

        static CompileResponse TimedOut(CompileResponse output) =>
            output with { Events = [.. output.Events ?? [], new CompileEvent(TimeoutMessage, "stderr", 0)] };

        // Internal failures and out-of-memory are the server's problem (as upstream: 500).
        (CompileResponse?, int, bool, int?) ServerFailure()
        {
            LogFailed(logger, final.Outcome, final.Data);
            return (null, StatusCodes.Status500InternalServerError, false, null);
        }
    }

    private static string CacheKey(CompileRequest request, string version) =>
        version + (request.WithVet ? "-vet-" : "-") + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.Body)));

    private static long SizeOf(CompileResponse response) =>
        256 + 2L * (response.Errors.Length + (response.VetErrors?.Length ?? 0) + (response.Events?.Sum(e => e.Message.Length + 32) ?? 0));

    private static void LogFailed(ILogger logger, RunOutcome? outcome, string? reason) =>
        ApiLog.CompileFailed(logger, outcome?.ToString() ?? "none", reason ?? "");
}

internal static partial class ApiLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "/compile answered 500: {Outcome} {Reason}")]
    public static partial void CompileFailed(ILogger logger, string outcome, string reason);
}
