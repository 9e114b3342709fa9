using Microsoft.AspNetCore.SignalR;
using Playground.Sandbox.Runs;

namespace Playground.Web.Realtime;

/// <summary>
/// <c>/hubs/run</c>: <c>Run(request, stdin)</c> streams <see cref="RunEvent"/>s while the
/// client streams stdin. Completing the stdin stream is EOF; disposing the subscription
/// cancels the token, which kills the run and removes its container.
/// </summary>
internal sealed class RunHub(IRunService runs) : Hub
{
    public IAsyncEnumerable<RunEvent> Run(RunRequest request, IAsyncEnumerable<string> stdin, CancellationToken cancellationToken) =>
        runs.RunAsync(request, new RunInput(stdin) { ClientId = ClientId() }, cancellationToken);

    /// <summary>
    /// Fairness is per connection (a browser tab, a terminal): keying on the remote address
    /// would make everyone behind one NAT share a single turn. Opening many connections buys
    /// no more than the global queue bound.
    /// </summary>
    private string ClientId() => Context.ConnectionId;
}
