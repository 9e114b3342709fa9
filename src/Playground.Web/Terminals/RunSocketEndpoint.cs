using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;
using Playground.Web.Hosting;

namespace Playground.Web.Terminals;

/// <summary>
/// <c>/ws/v1/run</c> (CONTRACTS.md): JSON text frames. In: <c>run</c>, <c>stdin</c>,
/// <c>stdin-close</c>, <c>kill</c>. Out: the RunEvents of the hub, one per frame. One run at
/// a time; the run shares the hub's pipeline.
/// </summary>
internal static class RunSocketEndpoint
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<IResult> HandleAsync(HttpContext context, IRunService runs, IOptions<TerminalOptions> options, IOptions<SandboxOptions> sandbox, TimeProvider time, ServerShutdown shutdown, ConnectionLimiter connections)
    {
        if (TerminalSocket.Refuse(context, options.Value, "/ws/v1/run") is { } refusal)
        {
            return refusal;
        }

        var (accepted, full) = await TerminalSocket.AcceptAsync(context, connections, RunTransports.WebSocket, options.Value, time, shutdown.Stopping);
        if (accepted is null)
        {
            return full!;
        }

        await using var socket = accepted;
        var client = ClientAddresses.Of(context);
        var session = new Session(socket, runs, client, sandbox.Value.StdinLimitBytes);
        await session.RunAsync();
        return Results.Empty;
    }

    private sealed class Session(TerminalSocket socket, IRunService runs, string clientId, long stdinLimit)
    {
        private Run? _active;

        public async Task RunAsync()
        {
            try
            {
                while (await socket.ReceiveAsync().ConfigureAwait(false) is { } frame)
                {
                    await HandleAsync(frame).ConfigureAwait(false);
                }
            }
            finally
            {
                // The client is gone (or was closed): a run still going is killed with it.
                if (_active is { } run)
                {
                    await run.Pump.ConfigureAwait(false);
                }
            }
        }

        private async Task HandleAsync(Frame frame)
        {
            if (frame.Type != WebSocketMessageType.Text)
            {
                await socket.CloseAsync(CloseStatus.UnsupportedData, "this endpoint takes JSON text frames").ConfigureAwait(false);
                return;
            }

            RunSocketMessage? message;
            try
            {
                message = JsonSerializer.Deserialize<RunSocketMessage>(frame.Data.Span, Json);
            }
            catch (JsonException e)
            {
                await socket.CloseAsync(CloseStatus.ProtocolError, "invalid message: " + e.Message).ConfigureAwait(false);
                return;
            }

            var active = _active is { Ended: false } ? _active : null;
            switch (message?.Type)
            {
                case RunSocketMessage.Run when message.Request is null:
                    await socket.CloseAsync(CloseStatus.ProtocolError, "a run message needs a request").ConfigureAwait(false);
                    break;
                case RunSocketMessage.Run when active is not null:
                    await socket.SendJsonAsync(
                        RunEvent.Error(RunOutcome.Rejected, "A run is already active on this connection: send kill, or wait for its exit event.\n"), Json).ConfigureAwait(false);
                    break;
                case RunSocketMessage.Run:
                    _active = Start(message.Request!);
                    break;
                case RunSocketMessage.Stdin:
                    active?.Write(message.Data ?? "");
                    break;
                case RunSocketMessage.StdinClose:
                    active?.Stdin.Complete();
                    break;
                case RunSocketMessage.Kill:
                    active?.Kill.Cancel();
                    break;
                default:
                    await socket.CloseAsync(CloseStatus.ProtocolError, $"unknown message type \"{message?.Type}\": use run, stdin, stdin-close or kill").ConfigureAwait(false);
                    break;
            }
        }

        private Run Start(RunRequest request)
        {
            var run = new Run(stdinLimit);
            var input = new RunInput(run.Stdin.ReadAllAsync(socket.Ended), run.Kill.Token) { ClientId = clientId, Transport = RunTransports.WebSocket };
            run.Pump = PumpAsync();
            return run;

            async Task PumpAsync()
            {
                try
                {
                    await socket.StreamRunAsync(runs.RunAsync(request, input, socket.Ended), e =>
                    {
                        // Over before the client hears so: a run sent right after the final event is accepted.
                        run.Ended |= e.IsFinal;
                        return socket.SendJsonAsync(e, Json);
                    }).ConfigureAwait(false);
                }
                finally
                {
                    run.Ended = true;
                    run.Stdin.Complete();
                }
            }
        }
    }

    private sealed class Run(long stdinLimit)
    {
        public StdinQueue Stdin { get; } = new(stdinLimit);

        public CancellationTokenSource Kill { get; } = new();

        public Task Pump { get; set; } = Task.CompletedTask;

        /// <summary>Set once the final event is on its way (read by the receiving task).</summary>
        public volatile bool Ended;

        /// <summary>Queues input as UTF-8 (see <see cref="StdinQueue"/>).</summary>
        public void Write(string data) => Stdin.Write(Encoding.UTF8.GetBytes(data));
    }
}
