using Microsoft.Extensions.Options;

namespace Playground.Web.Embedding;

/// <summary>The <c>Embed</c> section: who may put the playground in an iframe.</summary>
public sealed class EmbedOptions
{
    public const string SectionName = "Embed";

    /// <summary>
    /// Origins allowed to frame <c>/embed</c> (for example <c>https://docs.example.com</c>); empty
    /// or <c>*</c> allows any. Other pages may only be framed by GoPlay itself.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];
}

internal sealed class EmbedOptionsValidator : IValidateOptions<EmbedOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbedOptions options)
    {
        var errors = new List<string>();
        foreach (var origin in options.AllowedOrigins)
        {
            if (origin == "*")
            {
                continue;
            }

            // frame-ancestors takes scheme://host[:port]; a path or a typo would silently allow nothing.
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
                uri.AbsolutePath != "/" || origin.EndsWith('/') || !string.IsNullOrEmpty(uri.Query))
            {
                errors.Add($"Embed:AllowedOrigins: '{origin}' is not an origin such as https://docs.example.com (scheme, host and optional port, nothing else).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
