using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;

namespace Playground.Web.Realtime;

/// <summary>
/// <c>/hubs/run</c>: <c>Run(request, stdin)</c> streams <see cref="RunEvent"/>s while the
/// client streams stdin. Completing the stdin stream is EOF. <c>Kill()</c> kills the
/// connection's runs: each ends with its <c>killed</c> event, which the client receives
/// like any other end. Disposing the subscription abandons the run (the client wants no
/// answer): the program is killed and its container removed all the same.
/// </summary>
internal sealed class RunHub(IRunService runs, ConnectionLimiter connections, HubConnections hubs) : Hub
{
    private const string ConnectionKey = "playground.connection";
    private const string RunsKey = "playground.runs";

    public override Task OnConnectedAsync()
    {
        // WebSocket and event-stream transports were counted when their request arrived
        // (RealtimeEndpoints); long polling, whose requests come and go, is counted here.
        if (Context.GetHttpContext()?.Items.ContainsKey(HubConnections.LeaseKey) != true)
        {
            var lease = connections.TryOpen(ClientId(), RunTransports.SignalR, out _);
            if (lease is null)
            {
                Context.Abort();
                return Task.CompletedTask;
            }

            // Hubs are created per call: the connection's own items carry what outlives a call.
            Context.Items[ConnectionKey] = lease;
        }

        hubs.Connected(Context);
        Context.Items[RunsKey] = new ConcurrentDictionary<CancellationTokenSource, bool>();
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(ConnectionKey, out var lease))
        {
            (lease as IDisposable)?.Dispose();
        }

        hubs.Disconnected(Context);
        return base.OnDisconnectedAsync(exception);
    }

    public IAsyncEnumerable<RunEvent> Run(RunRequest request, IAsyncEnumerable<string> stdin, CancellationToken cancellationToken) =>
        RunAsync(request, stdin, Active(), cancellationToken);

    /// <summary>Kills every run of this connection; each still sends its final event.</summary>
    public void Kill()
    {
        foreach (var kill in Active().Keys)
        {
            try
            {
                kill.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That run has just ended.
            }
        }
    }

    private async IAsyncEnumerable<RunEvent> RunAsync(
        RunRequest request, IAsyncEnumerable<string> stdin, ConcurrentDictionary<CancellationTokenSource, bool> active, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var kill = new CancellationTokenSource();
        active[kill] = true;
        try
        {
            var input = new RunInput(RunInput.Utf8(stdin, cancellationToken), kill.Token) { ClientId = ClientId(), Transport = RunTransports.SignalR };
            await foreach (var e in runs.RunAsync(request, input, cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            active.TryRemove(kill, out _);
        }
    }

    private ConcurrentDictionary<CancellationTokenSource, bool> Active() =>
        (ConcurrentDictionary<CancellationTokenSource, bool>)Context.Items[RunsKey]!;

    /// <summary>
    /// Fairness is per client address, as on every transport: a client that opened many
    /// connections once filled the whole queue and everyone else was told to come back in
    /// five minutes. (Everyone behind one NAT address shares its turn; see Scheduler:QueueLimitPerClient.)
    /// </summary>
    private string ClientId() => Context.GetHttpContext() is { } http ? ClientAddresses.Of(http) : "local";
}
