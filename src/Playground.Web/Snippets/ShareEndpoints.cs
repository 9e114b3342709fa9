using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Playground.Web.Api;
using Playground.Web.Clients;

namespace Playground.Web.Snippets;

/// <summary>
/// <c>/share</c>, <c>/_/share</c> and <c>/p/{id}</c> as the official playground serves them
/// (CONTRACTS.md), and go.dev's <c>/play/</c> and <c>/play/p/{id}</c> links to the same snippets.
/// </summary>
internal static class ShareEndpoints
{
    public static WebApplicationBuilder AddSnippets(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SnippetsOptions>().Bind(builder.Configuration.GetSection(SnippetsOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SnippetsOptions>, SnippetsOptionsValidator>();
        builder.Services.AddSingleton<ShareQuota>();
        builder.Services.AddSingleton<ISnippetStore, SqliteSnippetStore>();
        return builder;
    }

    public static WebApplication MapSnippets(this WebApplication app)
    {
        app.MapPost("/share", ShareAsync);
        app.MapPost("/_/share", ShareAsync);
        app.MapGet("/_/share", async (string? id, ISnippetStore store, CancellationToken cancellationToken) =>
            await RawAsync(id ?? "", store, download: false, cancellationToken));
        app.MapGet("/p/{file}", SnippetAsync);

        // go.dev's layout (golang/website internal/play): /play/ is the editor, /play/p/{id}
        // and /play/p/{id}.go are /p/'s; any other path under /play/ is sent to /play/.
        app.MapGet("/play/p/{file}", SnippetAsync);
        // Route templates ignore a trailing slash: the path tells /play (Go's ServeMux answers
        // 301 to /play/) from /play/.
        app.MapGet("/play/{**rest}", (HttpContext http, IWebHostEnvironment environment) => http.Request.Path.Value switch
        {
            "/play" => Results.Redirect("/play/", permanent: true),
            "/play/" => EditorPage(environment),
            _ => Results.Redirect("/play/"),
        });

        // Upstream answers a pre-flight request to any of its pages with an empty 200. Not on
        // "/": an endpoint there, even for OPTIONS alone, keeps the static files from serving
        // the editor page to a GET.
        foreach (var route in (string[])["/p/{file}", "/play/{**rest}"])
        {
            app.MapMethods(route, [HttpMethods.Options], () => Results.Ok());
        }

        return app;
    }

    /// <summary><c>/p/{id}.go</c>: the snippet's text; <c>/p/{id}</c>: the editor page, which loads it from there.</summary>
    private static async Task<IResult> SnippetAsync(string file, bool? download, HttpContext http, ISnippetStore store, IWebHostEnvironment environment, CancellationToken cancellationToken)
    {
        if (file.EndsWith(".go", StringComparison.Ordinal))
        {
            return await RawAsync(file[..^3], store, download == true, cancellationToken);
        }

        if (!SnippetId.IsWellFormed(file) || await store.GetAsync(file, cancellationToken) is null)
        {
            return AcceptsHtml(http) ? await NotFoundPageAsync(environment, cancellationToken) : NotFound();
        }

        return EditorPage(environment);
    }

    private static IResult EditorPage(IWebHostEnvironment environment) =>
        Results.File(environment.WebRootFileProvider.GetFileInfo("index.html").CreateReadStream(), "text/html; charset=utf-8");

    /// <summary>A browser opening a dead link gets a page with a way into the editor; other clients upstream's text.</summary>
    private static bool AcceptsHtml(HttpContext http) =>
        http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static async Task<IResult> NotFoundPageAsync(IWebHostEnvironment environment, CancellationToken cancellationToken)
    {
        var page = environment.WebRootFileProvider.GetFileInfo("not-found.html");
        if (!page.Exists)
        {
            return NotFound();
        }

        using var reader = new StreamReader(page.CreateReadStream());
        var html = await reader.ReadToEndAsync(cancellationToken);
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, StatusCodes.Status404NotFound);
    }

    /// <summary>As upstream's <c>http.Error(w, "Snippet not found", 404)</c>.</summary>
    private static IResult NotFound() =>
        Results.Text("Snippet not found\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

    private static async Task<IResult> ShareAsync(HttpContext http, ISnippetStore store, ShareQuota quota, IOptions<SnippetsOptions> options)
    {
        byte[] body;
        try
        {
            body = await CompileRequestReader.ReadBodyAsync(http.Request, options.Value.MaxBytes, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Text("Snippet is too large\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var id = SnippetId.For(body);
        if (await store.GetAsync(id, http.RequestAborted) is null)
        {
            if (!quota.TryTake(ClientAddresses.Of(http), body.Length, out var retryAfter))
            {
                var o = options.Value;
                http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Results.Text(
                    $"Share quota reached: {o.SharesPerClientPerHour} new snippets or {o.ShareBytesPerClientPerHour >> 10} KiB an hour from one address. Try again in {Math.Ceiling(retryAfter.TotalMinutes):0} min.\n",
                    "text/plain; charset=utf-8",
                    statusCode: StatusCodes.Status429TooManyRequests);
            }

            await store.PutAsync(id, body, http.RequestAborted);
        }

        return Results.Text(id, "text/plain; charset=utf-8");
    }

    private static async Task<IResult> RawAsync(string id, ISnippetStore store, bool download, CancellationToken cancellationToken)
    {
        var body = SnippetId.IsWellFormed(id) ? await store.GetAsync(id, cancellationToken) : null;
        if (body is null)
        {
            return NotFound();
        }

        return new SnippetResult(body, download ? id + ".go" : null);
    }

    /// <summary>The raw snippet, optionally as a download.</summary>
    private sealed class SnippetResult(byte[] body, string? downloadName) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.AccessControlAllowOrigin = "*";
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            if (downloadName is not null)
            {
                httpContext.Response.Headers[HeaderNames.ContentDisposition] = $"attachment; filename=\"{downloadName}\"";
            }

            await httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}
