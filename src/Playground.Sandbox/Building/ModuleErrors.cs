using System.Text.RegularExpressions;
using Playground.Sandbox.Containers;

namespace Playground.Sandbox.Building;

/// <summary>
/// The go command tells a failed module download by the proxy's URL and HTTP status, and that
/// URL is the builder's own loopback relay (<see cref="ContainerSpecs.ModuleProxyUrl"/>),
/// meaningless to the user. Its message already starts with the module (<c>module x:</c>,
/// <c>x@v1.2.3:</c>); what follows becomes the module route's reason.
/// </summary>
internal static partial class ModuleErrors
{
    /// <summary><paramref name="output"/> with every mention of the relay replaced by what went wrong.</summary>
    public static string Rewrite(string output)
    {
        if (!output.Contains(ContainerSpecs.ModuleProxyUrl, StringComparison.Ordinal))
        {
            return output;
        }

        output = Answered().Replace(output, m => m.Groups["detail"].Success
            // The route's text/plain body, which cmd/go quotes on one line or, when it has
            // several, on tab-indented lines of their own.
            ? string.Join("; ", m.Groups["detail"].Value.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            : m.Groups["status"].Value is "404" or "410" ? "not found" : "the module proxy could not serve it");
        // A request that got no answer at all: the relay or the route is down.
        return Unreached().Replace(output, "the module proxy could not be reached");
    }

    // cmd/go/internal/web HTTPError: "reading URL: 404 Not Found" and, when the body was
    // text/plain, "\n\tserver response: text" (or "server response:" and "\n\t"-led lines).
    [GeneratedRegex(@"reading http://127\.0\.0\.1:8642/gomod/\S+?: (?<status>\d{3})[^\n]*(\n\tserver response:( (?<detail>[^\n]*)|(?<detail>(\n\t[^\n]*)+)))?")]
    private static partial Regex Answered();

    // HTTPError with a transport error ("reading URL: unexpected EOF"), or net/http's own
    // `Get "URL": dial tcp …`.
    [GeneratedRegex(@"(reading http://127\.0\.0\.1:8642/gomod/\S+?: |Get ""http://127\.0\.0\.1:8642/gomod/[^""]*"": )[^\n]*")]
    private static partial Regex Unreached();
}
