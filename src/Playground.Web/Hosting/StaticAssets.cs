using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Playground.Web.Hosting;

/// <summary>
/// The front end's files. The bundle is compressed at build time (Brotli and gzip next to each
/// file, see wwwroot/vite.config.ts), so a request that accepts either gets the smaller file
/// without the server compressing anything; files under <c>/assets/</c> have their content hash
/// in the name and are cached for good, everything else is revalidated.
/// </summary>
internal static class StaticAssets
{
    private const string ImmutablePrefix = "/assets/";
    private const string OriginalPathKey = "goplay.static.original-path";

    // Best first: Brotli is about a fifth smaller than gzip on the bundle.
    private static readonly (string Token, string Extension)[] Encodings = [("br", ".br"), ("gzip", ".gz")];

    public static WebApplication UsePlaygroundStaticFiles(this WebApplication app)
    {
        var files = app.Environment.WebRootFileProvider;
        var types = new FileExtensionContentTypeProvider();
        app.Use((context, next) => PickEncoding(context, files, next));
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = new OriginalNameContentTypes(types),
            OnPrepareResponse = Headers,
        });
        return app;
    }

    private static Task PickEncoding(HttpContext context, IFileProvider files, RequestDelegate next)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return next(context);
        }

        var path = request.Path.Value;
        if (path is null || !path.StartsWith(ImmutablePrefix, StringComparison.Ordinal) || path.EndsWith(".br", StringComparison.Ordinal) || path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return next(context);
        }

        var accepted = request.GetTypedHeaders().AcceptEncoding;
        foreach (var (token, extension) in Encodings)
        {
            var accepts = accepted.Any(e => e.Value.Equals(token, StringComparison.OrdinalIgnoreCase) && e.Quality is not 0);
            if (accepts && files.GetFileInfo(path + extension).Exists)
            {
                context.Items[OriginalPathKey] = path;
                request.Path = path + extension;
                context.Response.Headers.ContentEncoding = token;
                break;
            }
        }

        // Caches must keep the encodings apart, whichever one this answer is.
        context.Response.Headers.Vary = HeaderNames.AcceptEncoding;
        return next(context);
    }

    private static void Headers(StaticFileResponseContext context)
    {
        var http = context.Context;
        var path = http.Items[OriginalPathKey] as string ?? http.Request.Path.Value ?? "";
        http.Response.Headers.CacheControl = path.StartsWith(ImmutablePrefix, StringComparison.Ordinal)
            ? "public, max-age=31536000, immutable"
            : "no-cache";
    }

    /// <summary>The type of <c>x.js.br</c> is that of <c>x.js</c>; its encoding is a header.</summary>
    private sealed class OriginalNameContentTypes(FileExtensionContentTypeProvider inner) : IContentTypeProvider
    {
        public bool TryGetContentType(string subpath, out string contentType)
        {
            var name = subpath.EndsWith(".br", StringComparison.Ordinal) || subpath.EndsWith(".gz", StringComparison.Ordinal) ? subpath[..^3] : subpath;
            return inner.TryGetContentType(name, out contentType!);
        }
    }
}
