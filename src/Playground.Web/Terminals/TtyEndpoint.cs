using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;
using Playground.Web.Hosting;
using Playground.Web.Snippets;

namespace Playground.Web.Terminals;

/// <summary>
/// <c>/ws/v1/tty?code=…</c> (or <c>id=</c> a snippet; <c>mode</c>, <c>vet</c>, <c>arg</c>):
/// the program as a raw byte stream, for tools like websocat and wscat. Output (stdout and
/// stderr, and build errors) comes as binary frames holding exactly the bytes the program
/// wrote (live runs; playback output is UTF-8 text); frames from the client are stdin, byte
/// for byte. A text frame is a line (a newline is added when missing), an empty frame or a
/// lone Ctrl+D ends the input, a lone Ctrl+C kills the program. The run's outcome is the close
/// reason: <c>exited 0</c>, <c>exited 3</c>, <c>build-error</c>, <c>timeout</c>, ….
/// </summary>
internal static class TtyEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IRunService runs,
        ISnippetStore snippets,
        IOptions<TerminalOptions> options,
        IOptions<SandboxOptions> sandbox,
        TimeProvider time,
        ServerShutdown shutdown,
        ConnectionLimiter connections)
    {
        if (TerminalSocket.Refuse(context, options.Value, "/ws/v1/tty") is { } refusal)
        {
            return refusal;
        }

        var query = context.Request.Query;
        string? source = query["code"];
        if (source is null && query["id"].ToString() is { Length: > 0 } id)
        {
            var body = await snippets.GetAsync(id, context.RequestAborted);
            if (body is null)
            {
                return Results.Text($"Snippet {id} not found.\n", statusCode: StatusCodes.Status404NotFound);
            }

            source = Encoding.UTF8.GetString(body);
        }

        if (source is null)
        {
            return Results.Text("Give the program as code=… (URL-encoded source or txtar) or id=… (a shared snippet).\n", statusCode: StatusCodes.Status400BadRequest);
        }

        var mode = query["mode"].ToString() switch
        {
            "" or "live" => RunMode.Live,
            "playback" => RunMode.Playback,
            var other => (RunMode?)null,
        };
        if (mode is null)
        {
            return Results.Text($"mode must be live or playback, not {query["mode"]}.\n", statusCode: StatusCodes.Status400BadRequest);
        }

        var request = new RunRequest
        {
            Source = source,
            Mode = mode.Value,
            WithVet = query["vet"] is ["1" or "true"],
            Args = query["arg"].Where(a => a is not null).Select(a => a!).ToList(),
        };

        var (accepted, full) = await TerminalSocket.AcceptAsync(context, connections, RunTransports.Tty, options.Value, time, shutdown.Stopping);
        if (accepted is null)
        {
            return full!;
        }

        await using var socket = accepted;
        var client = ClientAddresses.Of(context);
        var stdin = new StdinQueue(sandbox.Value.StdinLimitBytes);
        using var kill = new CancellationTokenSource();
        var input = new RunInput(stdin.ReadAllAsync(socket.Ended), kill.Token) { ClientId = client, Transport = RunTransports.Tty };
        var pump = socket.StreamRunAsync(runs.RunAsync(request, input, socket.Ended), e => SendAsync(socket, e));

        while (await socket.ReceiveAsync() is { } frame)
        {
            var data = frame.Data.Span;
            if (data.Length == 0 || data is [0x04])
            {
                stdin.Complete();
            }
            else if (data is [0x03])
            {
                await kill.CancelAsync();
            }
            else if (!stdin.IsFull)
            {
                // A copy: the socket reuses its receive buffer for the next frame.
                var line = frame.Type == WebSocketMessageType.Text && data[^1] != (byte)'\n';
                var bytes = new byte[data.Length + (line ? 1 : 0)];
                data.CopyTo(bytes);
                if (line)
                {
                    bytes[^1] = (byte)'\n';
                }

                stdin.Write(bytes);
            }
        }

        await pump;
        return Results.Empty;
    }

    private static async Task SendAsync(TerminalSocket socket, RunEvent e)
    {
        switch (e.Kind)
        {
            case RunEventKind.Stdout or RunEventKind.Stderr:
                await socket.SendAsync(e.Raw ?? Encoding.UTF8.GetBytes(e.Data ?? ""), WebSocketMessageType.Binary).ConfigureAwait(false);
                break;
            case RunEventKind.Vet:
                await socket.SendAsync(Encoding.UTF8.GetBytes(e.Data ?? ""), WebSocketMessageType.Binary).ConfigureAwait(false);
                break;
            case RunEventKind.Exit or RunEventKind.Error:
                if (e.Kind == RunEventKind.Error || e.Outcome != RunOutcome.Exited)
                {
                    // Build errors and limit messages are what a terminal would have printed.
                    await socket.SendAsync(Encoding.UTF8.GetBytes(e.Data ?? ""), WebSocketMessageType.Binary).ConfigureAwait(false);
                }

                var reason = e.Outcome == RunOutcome.Exited ? $"exited {e.ExitCode}" : e.Outcome is { } outcome ? KebabCase.Name(outcome) : "";
                await socket.CloseAsync(CloseStatus.Normal, reason).ConfigureAwait(false);
                break;
        }
    }
}
