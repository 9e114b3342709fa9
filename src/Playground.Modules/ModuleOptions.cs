using Microsoft.Extensions.Options;

namespace Playground.Modules;

/// <summary>The <c>Modules</c> section: where builders get Go modules from (docs/PROXY.md).</summary>
public sealed class ModuleOptions
{
    public const string SectionName = "Modules";

    /// <summary>Off: builders get <c>GOPROXY=off</c> and only the standard library builds.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The GOPROXY-protocol server modules come from.</summary>
    public Uri Upstream { get; set; } = new("https://proxy.golang.org/");

    /// <summary>
    /// The checksum database builders verify modules against, fetched through this route
    /// (<c>sumdb/&lt;name&gt;/…</c> passed to the upstream, as proxy.golang.org serves it), or <c>off</c>.
    /// </summary>
    public string ChecksumDatabase { get; set; } = "sum.golang.org";

    /// <summary>Where fetched modules are kept; each version is fetched from the upstream once.</summary>
    public string CacheDirectory { get; set; } = Path.Combine("data", "modcache");

    /// <summary>How long version lists and <c>@latest</c> answers (which change upstream) are reused.</summary>
    public TimeSpan ListCacheTime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Module path patterns (as GOPRIVATE: globs per path element, prefixes match) that may be fetched; empty: all.</summary>
    public IList<string> Allow { get; } = [];

    /// <summary>Module path patterns that may not be fetched; checked before <see cref="Allow"/>.</summary>
    public IList<string> Deny { get; } = [];

    /// <summary>The corporate proxy for the upstream (http:// or socks5://); unset: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY.</summary>
    public string? Proxy { get; set; }

    /// <summary>Hosts reached without the proxy when <see cref="Proxy"/> is set (NO_PROXY syntax); unset: NO_PROXY.</summary>
    public string? NoProxy { get; set; }

    /// <summary>After the proxy failed, upstream requests go direct for this long before the proxy is tried again.</summary>
    public TimeSpan ProxyCooldown { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Limit of one upstream request (a large zip included).</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest module zip accepted (the Go command's own limit is 500 MB).</summary>
    public long MaxZipBytes { get; set; } = 100L << 20;

    /// <summary>
    /// Size of <see cref="CacheDirectory"/>: after a fetch takes it over, the files used least
    /// recently go until it is at nine-tenths of this (fetched again when asked for).
    /// </summary>
    public long CacheBytes { get; set; } = 2L << 30;

    /// <summary>
    /// Where Playground.Web puts the builders' socket (<c>modules.sock</c>); null: a temporary
    /// directory per process. Read once at start-up. In a container it must be a host path
    /// mounted at the same path, since the engine mounts it into builders.
    /// </summary>
    public string? SocketDirectory { get; set; }
}

internal sealed class ModuleOptionsValidator : IValidateOptions<ModuleOptions>
{
    public ValidateOptionsResult Validate(string? name, ModuleOptions o)
    {
        var errors = new List<string>();
        if (o.Upstream is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
        {
            errors.Add("Modules:Upstream must be an http:// or https:// URL.");
        }

        if (o.ChecksumDatabase != "off" && !System.Text.RegularExpressions.Regex.IsMatch(o.ChecksumDatabase, @"^[a-z0-9.\-]+$"))
        {
            errors.Add("Modules:ChecksumDatabase must be a checksum database name (sum.golang.org) or off.");
        }

        if (o.ListCacheTime < TimeSpan.Zero || o.ProxyCooldown < TimeSpan.Zero || o.UpstreamTimeout <= TimeSpan.Zero)
        {
            errors.Add("Modules:ListCacheTime and ProxyCooldown must not be negative; UpstreamTimeout must be positive.");
        }

        if (o.CacheBytes < o.MaxZipBytes)
        {
            errors.Add("Modules:CacheBytes must be at least Modules:MaxZipBytes, or the largest module could not be kept.");
        }

        if (o.Proxy is { Length: > 0 } proxy && !(Uri.TryCreate(proxy, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "socks5" or "socks5h" or "socks4" or "socks4a"))
        {
            errors.Add($"Modules:Proxy '{proxy}' must be an http:// or socks5:// URL.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
