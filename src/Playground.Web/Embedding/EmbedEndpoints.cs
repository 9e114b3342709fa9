using Microsoft.Extensions.Options;

namespace Playground.Web.Embedding;

/// <summary>
/// <c>/embed</c>, the chrome-less editor for iframes, and the framing policy of every page:
/// <c>/embed</c> may be framed by <c>Embed:AllowedOrigins</c>, everything else only by GoPlay.
/// </summary>
internal static class EmbedEndpoints
{
    public static WebApplicationBuilder AddEmbed(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmbedOptions>().Bind(builder.Configuration.GetSection(EmbedOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EmbedOptions>, EmbedOptionsValidator>();
        return builder;
    }

    /// <summary>Sets the framing policy; must run before anything that writes a response.</summary>
    public static WebApplication UseFramingPolicy(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<EmbedOptions>>().Value;
        var embedPolicy = "frame-ancestors " + (options.AllowedOrigins.Count == 0 || options.AllowedOrigins.Contains("*")
            ? "*"
            : string.Join(' ', options.AllowedOrigins));
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            var embed = path.Equals("/embed", StringComparison.OrdinalIgnoreCase) || path.Equals("/embed.html", StringComparison.OrdinalIgnoreCase);
            context.Response.Headers.ContentSecurityPolicy = embed ? embedPolicy : "frame-ancestors 'self'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        return app;
    }

    public static WebApplication MapEmbed(this WebApplication app)
    {
        app.MapGet("/embed", (IWebHostEnvironment environment) =>
            Results.File(environment.WebRootFileProvider.GetFileInfo("embed.html").CreateReadStream(), "text/html; charset=utf-8"));
        return app;
    }
}
