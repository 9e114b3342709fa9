using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Playground.Web.Realtime;

/// <summary>
/// The hub's open connections and the HTTP requests that carry them (WebSocket and
/// server-sent events), so shutdown can close them gracefully: what a connection was given
/// (a run's last event) is sent before its socket closes.
/// </summary>
/// <remarks>
/// SignalR closes its connections from an ApplicationStopping callback by aborting their
/// transports, which drops whatever is still buffered: under load, the last event of a run
/// stopped by the shutdown was sometimes lost (seen in CI). Aborting the hub connection
/// instead ends it from the application side: the transport sends what is buffered, then
/// closes, and its request ends.
/// </remarks>
internal sealed class HubConnections
{
    /// <summary>HttpContext item: the connection lease taken for this transport request.</summary>
    public const string LeaseKey = "playground.hub-lease";

    private readonly ConcurrentDictionary<string, HubCallerContext> _connected = new();
    private readonly Lock _gate = new();
    private int _transports;
    private TaskCompletionSource _noTransports = Completed();

    public void Connected(HubCallerContext context) => _connected[context.ConnectionId] = context;

    public void Disconnected(HubCallerContext context) => _connected.TryRemove(context.ConnectionId, out _);

    /// <summary>Counts a transport request until the returned handle is disposed (when the request ends).</summary>
    public IDisposable TransportOpened()
    {
        lock (_gate)
        {
            if (_transports++ == 0)
            {
                _noTransports = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return new Transport(this);
    }

    /// <summary>Whether any hub connection is open.</summary>
    public bool Any => !_connected.IsEmpty;

    /// <summary>
    /// Ends every connection from the application side and completes when their transports
    /// have sent what they hold and their requests ended, or when <paramref name="cancellationToken"/>
    /// is cancelled. Called by <see cref="Hosting.ServerShutdown"/> before SignalR's own
    /// ApplicationStopping callback aborts what is left.
    /// </summary>
    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        foreach (var context in _connected.Values)
        {
            context.Abort();
        }

        Task idle;
        lock (_gate)
        {
            idle = _noTransports.Task;
        }

        await idle.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void TransportClosed()
    {
        lock (_gate)
        {
            if (--_transports == 0)
            {
                _noTransports.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private sealed class Transport(HubConnections owner) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.TransportClosed();
            }
        }
    }
}
