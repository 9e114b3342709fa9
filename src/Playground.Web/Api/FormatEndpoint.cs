using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Runs;
using Playground.Sandbox.Scheduling;
using Playground.Web.Clients;

namespace Playground.Web.Api;

/// <summary>The official playground's <c>/fmt</c> response: always 200, one of the two set.</summary>
internal sealed record FormatResponse(string Body, string Error);

/// <summary>
/// <c>POST /fmt</c>: form fields <c>body</c> (one file or txtar) and <c>imports</c> (any
/// non-empty value runs goimports); the query's <c>go</c> or <c>backend</c> chooses the Go
/// version as on <c>/compile</c>. Formatting runs in the chosen toolchain's builder container.
/// </summary>
internal static class FormatEndpoint
{
    public static WebApplication MapFormat(this WebApplication app)
    {
        app.MapPost("/fmt", HandleAsync);
        app.MapPost("/_/fmt", HandleAsync);
        app.MapPost("/vet", VetAsync);
        return app;
    }

    /// <summary><c>POST /vet</c>: as upstream, the /compile shape with vet's findings in <c>Errors</c>.</summary>
    private static async Task VetAsync(HttpContext http, IVetService vet, IOptions<SandboxOptions> options)
    {
        var request = await CompileRequestReader.ReadOrRejectAsync(http, options.Value);
        if (request is null)
        {
            return;
        }

        var source = SourceFiles.Resolve(new RunRequest { Source = request.Body }, options.Value);
        string errors;
        try
        {
            errors = source.Error ?? await vet.VetAsync(source.Files!, GoDevApi.RequestedVersion(http.Request), ClientAddresses.Of(http), http.RequestAborted);
        }
        catch (SchedulerBusyException e)
        {
            await BusyAsync(http, e);
            return;
        }

        await GoJson.WriteAsync(http, new CompileResponse { Errors = errors });
    }

    /// <summary>Too many format or vet jobs waiting: 503 with when to try again, as /compile answers.</summary>
    private static Task BusyAsync(HttpContext http, SchedulerBusyException e)
    {
        http.Response.Headers.RetryAfter = e.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiText.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, e.Message + "\n");
    }

    private static async Task HandleAsync(HttpContext http, IFormatService formatter, IOptions<SandboxOptions> options)
    {
        var cancellationToken = http.RequestAborted;
        string body;
        string imports;
        try
        {
            var raw = await CompileRequestReader.ReadBodyAsync(http.Request, CompileRequestReader.MaxRequestBytes(options.Value), cancellationToken);
            var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(raw));
            string Field(string key) => fields.TryGetValue(key, out var v) ? v.ToString() : http.Request.Query[key].ToString();
            body = Field("body");
            imports = Field("imports");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ApiText.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large\n");
            return;
        }

        FormatResponse response;
        try
        {
            response = await FormatAsync(formatter, body, imports.Length > 0, GoDevApi.RequestedVersion(http.Request), ClientAddresses.Of(http), options.Value, cancellationToken);
        }
        catch (SchedulerBusyException e)
        {
            await BusyAsync(http, e);
            return;
        }

        await GoJson.WriteAsync(http, response);
    }

    private static async Task<FormatResponse> FormatAsync(IFormatService formatter, string body, bool imports, string? goVersion, string clientId, SandboxOptions options, CancellationToken cancellationToken)
    {
        // Upstream's splitFiles, as /compile splits: the same rules, order and words.
        var (files, error) = SourceFiles.Split(body, options.MaxFiles);
        if (files is null)
        {
            return new FormatResponse("", error!);
        }

        var result = await formatter.FormatAsync(files, imports, goVersion, clientId, cancellationToken);
        if (result.Files is null)
        {
            return new FormatResponse("", result.Error);
        }

        // Back into the shape it came in: a lone prog.go as plain text, else txtar in the
        // original order, with a header-less prog.go kept header-less.
        var noHeader = Txtar.HasImplicitProg(body);
        if (files.Count == 1 && files.ContainsKey("prog.go") && noHeader)
        {
            return new FormatResponse(result.Files["prog.go"], "");
        }

        var sb = new StringBuilder();
        var first = true;
        foreach (var name in files.Keys)
        {
            if (!(first && name == "prog.go" && noHeader))
            {
                sb.Append("-- ").Append(name).Append(" --\n");
            }

            sb.Append(result.Files[name]);
            first = false;
        }

        return new FormatResponse(sb.ToString(), "");
    }
}
