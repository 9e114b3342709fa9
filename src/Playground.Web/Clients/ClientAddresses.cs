using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Playground.Web.Clients;

/// <summary>Who a request comes from, bound from the <c>Network</c> section.</summary>
public sealed class NetworkOptions
{
    public const string SectionName = "Network";

    /// <summary>
    /// Reverse proxies (addresses or CIDR ranges such as <c>10.0.0.0/8</c>) whose
    /// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed. Empty by default: the
    /// client is the peer of the connection, and a client cannot pick its own address by
    /// sending the header. Behind an edge proxy every client otherwise looks like that proxy.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];
}

internal sealed class NetworkOptionsValidator : IValidateOptions<NetworkOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkOptions o)
    {
        var errors = o.TrustedProxies
            .Where(p => !IPAddress.TryParse(p, out _) && !System.Net.IPNetwork.TryParse(p, out _))
            .Select(p => $"Network:TrustedProxies: '{p}' is neither an IP address nor a CIDR range such as 10.0.0.0/8.")
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// The client address every per-client limit is keyed on: run and tool queues, connection
/// counts, share quotas. One address is one client, whatever number of connections or tabs
/// it opens; an IPv6 client is its /64, the block one subscriber is usually given.
/// </summary>
internal static class ClientAddresses
{
    public static WebApplicationBuilder AddClientAddresses(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NetworkOptions>().Bind(builder.Configuration.GetSection(NetworkOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NetworkOptions>, NetworkOptionsValidator>();
        builder.Services.AddOptions<ConnectionOptions>().Bind(builder.Configuration.GetSection(ConnectionOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConnectionOptions>, ConnectionOptionsValidator>();
        builder.Services.AddSingleton<ConnectionLimiter>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<NetworkOptions>>((forwarded, network) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: the defaults trust loopback, and a client on this
            // host could then name any address it liked.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            // Every hop, right to left, while the hop is a trusted proxy: the first address a
            // trusted proxy did not add is the client.
            forwarded.ForwardLimit = null;
            foreach (var entry in network.Value.TrustedProxies)
            {
                if (IPAddress.TryParse(entry, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                }
            }
        });
        return builder;
    }

    /// <summary>First in the pipeline: everything after it sees the client's own address.</summary>
    public static WebApplication UseClientAddresses(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }

    /// <summary>The key of the request's client: its address, or its /64 for IPv6.</summary>
    public static string Of(HttpContext http) => Key(http.Connection.RemoteIpAddress);

    internal static string Key(IPAddress? address)
    {
        if (address is null)
        {
            // In-process callers (tests' TestServer) have no peer.
            return "local";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
