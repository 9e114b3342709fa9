using System.Net;

namespace Playground.Outbound;

/// <summary>
/// Which proxy a connection to the server uses, from <c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>,
/// <c>ALL_PROXY</c> (upper or lower case; <c>http://</c> and <c>socks5://</c>) and <c>NO_PROXY</c>,
/// the way curl reads them. Resolved here rather than by .NET's default so the caller knows
/// which proxy it tried and can fall back to a direct connection and say so. Shared by the
/// goplay client and the module proxy.
/// </summary>
public sealed class ProxySettings(string? https, string? http, string? all, string? noProxy)
{
    public static ProxySettings FromEnvironment(Func<string, string?> env) => new(
        First(env, "https_proxy", "HTTPS_PROXY"),
        First(env, "http_proxy", "HTTP_PROXY"),
        First(env, "all_proxy", "ALL_PROXY"),
        First(env, "no_proxy", "NO_PROXY"));

    public static ProxySettings None { get; } = new(null, null, null, null);

    /// <summary>The proxy for a server address, or null for a direct connection.</summary>
    public Uri? For(Uri server)
    {
        var secure = server.Scheme is "https" or "wss";
        var configured = (secure ? https : http) ?? all;
        if (string.IsNullOrWhiteSpace(configured) || Bypassed(server))
        {
            return null;
        }

        // A proxy given as host:port is an HTTP proxy.
        var text = configured.Contains("://", StringComparison.Ordinal) ? configured : "http://" + configured;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var proxy) || proxy.Scheme is not ("http" or "socks5" or "socks5h" or "socks4" or "socks4a"))
        {
            throw new ArgumentException($"unsupported proxy {configured}: use http://host:port or socks5://host:port");
        }

        // .NET resolves names on the proxy side for socks5 already; socks5h means the same.
        return proxy.Scheme == "socks5h" ? new UriBuilder(proxy) { Scheme = "socks5" }.Uri : proxy;
    }

    /// <summary>NO_PROXY: comma-separated hosts or domain suffixes (with or without a leading dot), optional :port, or *.</summary>
    public bool Bypassed(Uri server)
    {
        if (string.IsNullOrWhiteSpace(noProxy))
        {
            return false;
        }

        var host = server.IdnHost.Trim('[', ']');
        foreach (var raw in noProxy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw == "*")
            {
                return true;
            }

            var entry = raw;
            var port = -1;
            var colon = entry.LastIndexOf(':');
            if (colon > 0 && !entry.Contains(']', StringComparison.Ordinal) && int.TryParse(entry[(colon + 1)..], out var p) && entry.Count(c => c == ':') == 1)
            {
                port = p;
                entry = entry[..colon];
            }

            entry = entry.Trim('[', ']').TrimStart('.');
            if (port >= 0 && port != server.Port)
            {
                continue;
            }

            if (string.Equals(host, entry, StringComparison.OrdinalIgnoreCase) ||
                host.EndsWith("." + entry, StringComparison.OrdinalIgnoreCase) ||
                (IPAddress.TryParse(host, out var a) && IPAddress.TryParse(entry, out var b) && a.Equals(b)))
            {
                return true;
            }
        }

        return false;
    }

    private static string? First(Func<string, string?> env, params string[] names) =>
        names.Select(env).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
