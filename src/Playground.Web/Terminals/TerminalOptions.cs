using Microsoft.Extensions.Options;

namespace Playground.Web.Terminals;

/// <summary>The <c>Terminals</c> section: limits of the WebSocket endpoints (<c>/ws/v1/run</c>, <c>/ws/v1/tty</c>, <c>/socket</c>).</summary>
public sealed class TerminalOptions
{
    public const string SectionName = "Terminals";

    /// <summary>
    /// Browser origins allowed besides GoPlay's own (<c>*</c>: any). Clients that send no
    /// Origin (terminals, CLIs) are not browsers and are always allowed.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Largest frame a client may send; room for the largest source, JSON-escaped.</summary>
    public int MaxFrameBytes { get; set; } = 2 << 20;

    /// <summary>A connection with no run and no message for this long is closed (4408).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>No connection lives longer than this (4410), runs or not.</summary>
    public TimeSpan SessionLimit { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a client has to answer a close frame before the connection is dropped.</summary>
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromSeconds(2);
}

internal sealed class TerminalOptionsValidator : IValidateOptions<TerminalOptions>
{
    public ValidateOptionsResult Validate(string? name, TerminalOptions o)
    {
        var errors = new List<string>();
        if (o.MaxFrameBytes < 1024)
        {
            errors.Add("Terminals:MaxFrameBytes must be at least 1024.");
        }

        if (o.IdleTimeout <= TimeSpan.Zero || o.SessionLimit <= TimeSpan.Zero || o.CloseGrace <= TimeSpan.Zero)
        {
            errors.Add("Terminals:IdleTimeout, SessionLimit and CloseGrace must be positive.");
        }

        foreach (var origin in o.AllowedOrigins)
        {
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"))
            {
                errors.Add($"Terminals:AllowedOrigins: '{origin}' is not an origin such as https://docs.example.com.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
