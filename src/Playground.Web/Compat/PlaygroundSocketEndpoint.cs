using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Runs;
using Playground.Web.Clients;
using Playground.Web.Terminals;

namespace Playground.Web.Compat;

/// <summary>
/// <c>/socket</c>: the protocol of <c>golang.org/x/tools/playground/socket</c>, so the
/// <c>present</c> tool and a local Go Tour can run code on GoPlay. Frames are JSON objects
/// <c>{"Id","Kind","Body"}</c> ending in a newline (Go's json.Encoder). In: <c>run</c> (Body is
/// the source; a second run with the same Id replaces the first) and <c>kill</c>. Out:
/// <c>stdout</c>, <c>stderr</c>, then one <c>end</c> whose Body is <c>""</c> on success,
/// <c>exit status N</c>, or <c>signal: killed</c>, as os/exec reports them.
/// </summary>
internal static class PlaygroundSocketEndpoint
{
    private static readonly JsonSerializerOptions Json = new()
    {
        // Go's encoding/json matches field names case-insensitively and ignores unknown ones.
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<IResult> HandleAsync(HttpContext context, IRunService runs, IOptions<TerminalOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ConnectionLimiter connections)
    {
        if (TerminalSocket.Refuse(context, options.Value, "/socket") is { } refusal)
        {
            return refusal;
        }

        var (accepted, full) = await TerminalSocket.AcceptAsync(context, connections, RunTransports.Socket, options.Value, time, lifetime.ApplicationStopping);
        if (accepted is null)
        {
            return full!;
        }

        await using var socket = accepted;
        var clientId = ClientAddresses.Of(context);
        var processes = new ConcurrentDictionary<string, Process>();
        try
        {
            while (await socket.ReceiveAsync() is { } frame)
            {
                List<Message> messages;
                try
                {
                    messages = Parse(frame.Data.Span);
                }
                catch (JsonException e)
                {
                    await socket.CloseAsync(CloseStatus.ProtocolError, "invalid message: " + e.Message);
                    break;
                }

                foreach (var message in messages)
                {
                    var id = message.Id ?? "";
                    switch (message.Kind)
                    {
                        case "run":
                            if (processes.TryRemove(id, out var previous))
                            {
                                // As upstream: the earlier program with this Id is killed and ends first.
                                await previous.Kill.CancelAsync();
                                await previous.Pump;
                            }

                            processes[id] = Start(socket, runs, id, message.Body ?? "", clientId);
                            break;
                        case "kill":
                            if (processes.TryGetValue(id, out var process))
                            {
                                await process.Kill.CancelAsync();
                            }

                            break;
                    }
                }
            }
        }
        finally
        {
            await Task.WhenAll(processes.Values.Select(p => p.Pump));
        }

        return Results.Empty;
    }

    /// <summary>One or more JSON messages (a frame may hold several, as a stream decoder allows).</summary>
    private static List<Message> Parse(ReadOnlySpan<byte> data)
    {
        var messages = new List<Message>();
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            messages.Add(JsonSerializer.Deserialize<Message>(ref reader, Json) ?? throw new JsonException("null message"));
        }

        return messages;
    }

    private static Process Start(TerminalSocket socket, IRunService runs, string id, string body, string clientId)
    {
        var process = new Process();
        var request = new RunRequest { Source = body, Mode = RunMode.Live };
        process.Pump = PumpAsync();
        return process;

        async Task PumpAsync()
        {
            string? end = null;
            try
            {
                await socket.StreamRunAsync(runs.RunAsync(request, new RunInput(null, process.Kill.Token) { ClientId = clientId, Transport = RunTransports.Socket }, socket.Ended), async e =>
                {
                    switch (e.Kind)
                    {
                        case RunEventKind.Stdout or RunEventKind.Stderr:
                            await SendAsync(socket, new Message(id, e.Kind == RunEventKind.Stdout ? "stdout" : "stderr", e.Data ?? "")).ConfigureAwait(false);
                            break;
                        case RunEventKind.Vet:
                            await SendAsync(socket, new Message(id, "stderr", e.Data ?? "")).ConfigureAwait(false);
                            break;
                        case RunEventKind.Exit or RunEventKind.Error:
                            end = await EndAsync(socket, id, e).ConfigureAwait(false);
                            break;
                    }
                }).ConfigureAwait(false);
            }
            finally
            {
                if (end is not null)
                {
                    await SendAsync(socket, new Message(id, "end", end)).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Sends what the sandbox says on stderr (build errors, limits) and returns the end Body.</summary>
    private static async Task<string> EndAsync(TerminalSocket socket, string id, RunEvent e)
    {
        if (e.Outcome is not RunOutcome.Exited && !string.IsNullOrEmpty(e.Data))
        {
            await SendAsync(socket, new Message(id, "stderr", e.Data)).ConfigureAwait(false);
        }

        // Every outcome listed, no discard: a new one fails the build until it is mapped here.
        return (e.Outcome ?? RunOutcome.Internal) switch
        {
            RunOutcome.Exited => ExitStatus(e.ExitCode ?? 0),
            // go build exits 1 on a compile error; the tools show that as the end.
            RunOutcome.BuildError or RunOutcome.BuildTimeout or RunOutcome.Rejected or RunOutcome.Internal => "exit status 1",
            RunOutcome.Timeout or RunOutcome.Oom or RunOutcome.OutputLimit or RunOutcome.Killed => "signal: killed",
        };
    }

    /// <summary>What Go's <c>*exec.ExitError</c> says: <c>exit status N</c>, or the signal by name.</summary>
    internal static string ExitStatus(int code) => code switch
    {
        0 => "",
        < 128 => $"exit status {code}",
        _ => "signal: " + ((code - 128) switch
        {
            1 => "hangup",
            2 => "interrupt",
            3 => "quit",
            4 => "illegal instruction",
            5 => "trace/breakpoint trap",
            6 => "aborted",
            7 => "bus error",
            8 => "floating point exception",
            9 => "killed",
            11 => "segmentation fault",
            13 => "broken pipe",
            14 => "alarm clock",
            15 => "terminated",
            var n => "signal " + n,
        }),
    };

    private static Task SendAsync(TerminalSocket socket, Message message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, Json) + "\n"), WebSocketMessageType.Text);

    /// <summary>The wire message; <c>Options</c> is accepted (and unknown fields in it ignored) but unused.</summary>
    private sealed record Message(string? Id, string? Kind, string? Body)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public JsonElement? Options { get; init; }
    }

    private sealed class Process
    {
        public CancellationTokenSource Kill { get; } = new();

        public Task Pump { get; set; } = Task.CompletedTask;
    }
}
