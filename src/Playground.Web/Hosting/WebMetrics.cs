using System.Diagnostics.Metrics;
using Playground.Sandbox.Runs;

namespace Playground.Web.Hosting;

/// <summary>The Web service's own instruments: live connections by transport and the /compile result cache.</summary>
internal sealed class WebMetrics
{
    public const string MeterName = "Playground.Web";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _compileCache;

    public WebMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>(
            "playground.connections", unit: "{connection}", description: "Open client connections by transport (signalr, websocket, tty, socket).");
        _compileCache = meter.CreateCounter<long>(
            "playground.api.compile.cache", unit: "{lookup}", description: "/compile results served from the result cache (hit) or run (miss).");

        // Exported at zero from the start, so dashboards and alerts see every series before the first event.
        foreach (var transport in RunTransports.Connections)
        {
            _connections.Add(0, Tag("transport", transport));
        }
    }

    /// <summary>Counts a connection as open until the returned handle is disposed.</summary>
    public IDisposable Connected(string transport)
    {
        _connections.Add(1, Tag("transport", transport));
        return new Closing(() => _connections.Add(-1, Tag("transport", transport)));
    }

    public void CompileCacheLookup(bool hit) => _compileCache.Add(1, Tag("result", hit ? "hit" : "miss"));

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    private sealed class Closing(Action close) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                close();
            }
        }
    }
}
