using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Outbound;
using Polly;
using Polly.Fallback;

namespace Playground.Modules;

/// <summary>
/// Requests to the upstream module proxy: through the corporate proxy when one applies, and
/// when that proxy cannot be reached or fails, a Polly fallback sends the same request
/// directly, logs and counts it, and keeps going direct for <see cref="ModuleOptions.ProxyCooldown"/>
/// before the proxy is tried again.
/// </summary>
public sealed partial class ModuleUpstream : IDisposable
{
    private readonly ModuleOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ModuleUpstream> _logger;
    private readonly Counter<long> _fallbacks;
    private readonly HttpClient _direct;
    private readonly HttpClient? _proxied;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private long _proxyRetryAt;

    public ModuleUpstream(IOptions<ModuleOptions> options, TimeProvider time, ILogger<ModuleUpstream> logger, IMeterFactory meters)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _fallbacks = meters.Create("Playground.Modules").CreateCounter<long>(
            "playground.modules.proxy.fallbacks", unit: "{request}", description: "Upstream requests sent directly because the corporate proxy failed.");
        _fallbacks.Add(0);
        var settings = _options.Proxy is { Length: > 0 } explicitProxy
            ? new ProxySettings(explicitProxy, explicitProxy, null, _options.NoProxy)
            : ProxySettings.FromEnvironment(Environment.GetEnvironmentVariable);
        Proxy = settings.For(_options.Upstream);
        _direct = Client(null);
        _proxied = Proxy is null ? null : Client(Proxy);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddFallback(new FallbackStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException),
                FallbackAction = async args =>
                {
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    return Outcome.FromResult(await _direct.SendAsync(Clone(request), HttpCompletionOption.ResponseHeadersRead, args.Context.CancellationToken).ConfigureAwait(false));
                },
                OnFallback = args =>
                {
                    _fallbacks.Add(1);
                    Interlocked.Exchange(ref _proxyRetryAt, _time.GetTimestamp() + (long)(_options.ProxyCooldown.TotalSeconds * _time.TimestampFrequency));
                    LogProxyFailed(_logger, Proxy!.GetLeftPart(UriPartial.Authority), args.Outcome.Exception?.Message ?? "", _options.ProxyCooldown);
                    return default;
                },
            })
            .Build();
    }

    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("goplay.modules.request");

    /// <summary>The corporate proxy for the upstream, or null when it is reached directly.</summary>
    public Uri? Proxy { get; }

    /// <summary>GETs a path under the upstream; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, CancellationToken cancellationToken)
    {
        var uri = new Uri(_options.Upstream, path);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (_proxied is null || _time.GetTimestamp() < Interlocked.Read(ref _proxyRetryAt))
        {
            return await _direct.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Client.SendAsync(Clone(state.Request), HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Client: _proxied, Request: request)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public void Dispose()
    {
        _direct.Dispose();
        _proxied?.Dispose();
    }

    private HttpClient Client(Uri? proxy) => new(new SocketsHttpHandler
    {
        UseProxy = proxy is not null,
        Proxy = proxy is null ? null : new WebProxy(proxy),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = _options.UpstreamTimeout,
    };

    /// <summary>A request message can be sent once; each attempt gets its own.</summary>
    private static HttpRequestMessage Clone(HttpRequestMessage request) => new(request.Method, request.RequestUri);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Module proxy {Proxy} failed ({Reason}); fetching directly, and going direct for {Cooldown} before trying it again")]
    private static partial void LogProxyFailed(ILogger logger, string proxy, string reason, TimeSpan cooldown);
}
