using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;

namespace Playground.Cli;

/// <summary>
/// The GoPlay server and how to reach it: through the configured proxy, and directly when
/// that proxy cannot be reached or fails (said once on stderr), or directly with --no-proxy.
/// </summary>
internal sealed class Server(Uri address, Uri? proxy, TextWriter notices) : IDisposable
{
    private HttpMessageInvoker? _proxied;
    private HttpMessageInvoker? _direct;
    private bool _proxyFailed;

    public Uri Address { get; } = address;

    /// <summary>The proxy in use, or null when connecting directly.</summary>
    public Uri? Proxy => _proxyFailed ? null : proxy;

    public Uri WebSocketUri(string path)
    {
        var builder = new UriBuilder(new Uri(Address, path)) { Scheme = Address.Scheme == "https" ? "wss" : "ws" };
        return builder.Uri;
    }

    public async Task<ClientWebSocket> ConnectAsync(string path, CancellationToken cancellationToken) =>
        await WithFallbackAsync(async invoker =>
        {
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
            try
            {
                await socket.ConnectAsync(WebSocketUri(path), invoker, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }).ConfigureAwait(false);

    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken) =>
        await WithFallbackAsync(async invoker =>
        {
            using var message = request();
            message.Headers.UserAgent.Add(new ProductInfoHeaderValue("goplay", typeof(Server).Assembly.GetName().Version?.ToString(3)));
            var response = await invoker.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return response;
        }).ConfigureAwait(false);

    public void Dispose()
    {
        _proxied?.Dispose();
        _direct?.Dispose();
    }

    private async Task<T> WithFallbackAsync<T>(Func<HttpMessageInvoker, Task<T>> attempt)
    {
        if (Proxy is { } via)
        {
            try
            {
                return await attempt(_proxied ??= Invoker(via)).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                _proxyFailed = true;
                await notices.WriteLineAsync($"goplay: proxy {Redact(via)} failed ({Reason(e)}); connecting directly").ConfigureAwait(false);
            }
        }

        return await attempt(_direct ??= Invoker(null)).ConfigureAwait(false);
    }

    private static HttpMessageInvoker Invoker(Uri? proxy) => new(new SocketsHttpHandler
    {
        UseProxy = proxy is not null,
        Proxy = proxy is null ? null : new WebProxy(proxy),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    public static bool IsConnectionFailure(Exception e) => e switch
    {
        HttpRequestException => true,
        WebSocketException { InnerException: { } inner } => IsConnectionFailure(inner),
        WebSocketException => true,
        System.Net.Sockets.SocketException => true,
        IOException => true,
        _ => false,
    };

    /// <summary>The most telling message: the socket or HTTP error, not the WebSocket wrapper around it.</summary>
    public static string Reason(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException or System.Net.Sockets.SocketException)
            {
                return x.Message.TrimEnd('.');
            }
        }

        return e.Message.TrimEnd('.');
    }

    /// <summary>Proxy URLs may carry credentials; never print them.</summary>
    public static string Redact(Uri uri) => string.IsNullOrEmpty(uri.UserInfo) ? uri.GetLeftPart(UriPartial.Authority) : new UriBuilder(uri) { UserName = "***", Password = "" }.Uri.GetLeftPart(UriPartial.Authority);
}
