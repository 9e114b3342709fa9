using Microsoft.AspNetCore.SignalR;
using Playground.Sandbox.Runs;
using Playground.Web.Hosting;

namespace Playground.Web.Realtime;

/// <summary>
/// <c>/hubs/run</c>: <c>Run(request, stdin)</c> streams <see cref="RunEvent"/>s while the
/// client streams stdin. Completing the stdin stream is EOF; disposing the subscription
/// cancels the token, which kills the run and removes its container.
/// </summary>
internal sealed class RunHub(IRunService runs, WebMetrics metrics) : Hub
{
    private const string ConnectionKey = "playground.connection";

    public override Task OnConnectedAsync()
    {
        // Hubs are created per call: the connection's own items carry the handle to its end.
        Context.Items[ConnectionKey] = metrics.Connected(RunTransports.SignalR);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        (Context.Items[ConnectionKey] as IDisposable)?.Dispose();
        return base.OnDisconnectedAsync(exception);
    }

    public IAsyncEnumerable<RunEvent> Run(RunRequest request, IAsyncEnumerable<string> stdin, CancellationToken cancellationToken) =>
        runs.RunAsync(request, new RunInput(stdin) { ClientId = ClientId(), Transport = RunTransports.SignalR }, cancellationToken);

    /// <summary>
    /// Fairness is per connection (a browser tab, a terminal): keying on the remote address
    /// would make everyone behind one NAT share a single turn. Opening many connections buys
    /// no more than the global queue bound.
    /// </summary>
    private string ClientId() => Context.ConnectionId;
}
