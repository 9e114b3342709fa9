using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Playground.Cli;

/// <summary>
/// <c>goplay run</c>: sends the program over <c>/ws/v1/run</c>, streams its output to stdout
/// and stderr, forwards this terminal's stdin, turns Ctrl+C into a kill, and exits with the
/// program's exit code (or one of <see cref="ExitCodes"/>).
/// </summary>
internal sealed class RunCommand(Server server, Terminal console) : IDisposable
{
    /// <summary>The server's JSON: camelCase, fields left out when null.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private ClientWebSocket? _socket;
    private bool _interrupted;
    private bool _statusShown;

    public async Task<int> RunAsync(IReadOnlyDictionary<string, string> files, IReadOnlyList<string> args, RunOptions options, bool forwardStdin)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            if (_interrupted || _socket is null)
            {
                // A second Ctrl+C, or nothing to kill yet: leave now.
                console.Restore();
                Environment.Exit(ExitCodes.Interrupted);
            }

            _interrupted = true;
            _ = SendAsync(RunSocketMessage.KillRun);
        });

        try
        {
            _socket = await server.ConnectAsync("/ws/v1/run", stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (Server.IsConnectionFailure(e))
        {
            console.Error($"goplay: cannot reach {server.Address}: {Server.Reason(e)}");
            return ExitCodes.Unavailable;
        }

        var request = new RunRequest
        {
            Files = files,
            Mode = options.Mode,
            WithVet = options.Vet,
            Args = args,
            GoVersion = string.IsNullOrEmpty(options.GoVersion) ? null : options.GoVersion,
        };
        await SendAsync(RunSocketMessage.Start(request)).ConfigureAwait(false);
        if (forwardStdin)
        {
            _ = Task.Run(() => ForwardStdinAsync(stop.Token));
        }
        else
        {
            await SendAsync(RunSocketMessage.EndOfInput).ConfigureAwait(false);
        }

        try
        {
            return await ReceiveAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            console.ClearStatus(ref _statusShown);
            _socket.Dispose();
        }
    }

    private async Task<int> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await _socket!.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (Server.IsConnectionFailure(error))
            {
                console.Error($"goplay: connection to {server.Address} lost: {Server.Reason(error)}");
                return ExitCodes.Unavailable;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                var status = _socket.CloseStatus is { } s ? $" ({(int)s} {_socket.CloseStatusDescription})" : "";
                console.Error($"goplay: the server closed the connection before the program ended{status}");
                return ExitCodes.Unavailable;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var exitCode = Parse(message.ToArray()) is { } e ? Handle(e) : Unknown(message.ToArray());
            message.SetLength(0);
            if (exitCode is { } code)
            {
                return code;
            }
        }
    }

    private static RunEvent? Parse(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<RunEvent>(json, Json);
        }
        catch (JsonException)
        {
            // A newer server's event kind or outcome.
            return null;
        }
    }

    /// <summary>An event this goplay does not know: ignored, unless it ends the run.</summary>
    private int? Unknown(byte[] json)
    {
        var e = JsonNode.Parse(json)?.AsObject();
        if ((string?)e?["kind"] is not ("exit" or "error"))
        {
            return null;
        }

        console.ClearStatus(ref _statusShown);
        console.Error($"goplay: the run ended with an outcome this goplay does not know ({(string?)e["outcome"]}): {((string?)e["data"] ?? "").TrimEnd('\n')}");
        return ExitCodes.Unavailable;
    }

    /// <summary>Shows one event; returns the exit code once the run has ended.</summary>
    private int? Handle(RunEvent e)
    {
        var data = e.Data ?? "";
        switch (e.Kind)
        {
            case RunEventKind.Preparing:
                console.Status(data.TrimEnd('\n'), ref _statusShown);
                return null;
            case RunEventKind.Queued:
                console.Status($"queued #{e.Position}…", ref _statusShown);
                return null;
            case RunEventKind.Building:
                console.Status("building…", ref _statusShown);
                return null;
            case RunEventKind.Built:
                console.ClearStatus(ref _statusShown);
                return null;
            case RunEventKind.Vet:
                console.ClearStatus(ref _statusShown);
                console.Warning(data.TrimEnd('\n'));
                return null;
            case RunEventKind.Stdout:
                console.ClearStatus(ref _statusShown);
                console.Out(data);
                return null;
            case RunEventKind.Stderr:
                console.ClearStatus(ref _statusShown);
                console.Err(data);
                return null;
            case RunEventKind.Exit or RunEventKind.Error:
                console.ClearStatus(ref _statusShown);
                var outcome = e.Outcome ?? RunOutcome.Internal;
                if (outcome != RunOutcome.Exited && data.Length > 0)
                {
                    console.Error(data.TrimEnd('\n'));
                }

                // Every outcome listed, no discard: a new one fails the build until it is mapped here.
                return outcome switch
                {
                    RunOutcome.Exited => e.ExitCode ?? 0,
                    RunOutcome.Timeout or RunOutcome.BuildTimeout => ExitCodes.TimeLimit,
                    RunOutcome.BuildError => ExitCodes.BuildFailed,
                    RunOutcome.Rejected => ExitCodes.Rejected,
                    RunOutcome.Killed => _interrupted ? ExitCodes.Interrupted : ExitCodes.Killed,
                    RunOutcome.Oom or RunOutcome.OutputLimit => ExitCodes.Killed,
                    RunOutcome.Internal => ExitCodes.Unavailable,
                };
            default:
                return null;
        }
    }

    /// <summary>Sends what this process reads on stdin, a chunk at a time; EOF closes the program's stdin.</summary>
    private async Task ForwardStdinAsync(CancellationToken cancellationToken)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[16 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        using var stdin = System.Console.OpenStandardInput();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // A terminal in cooked mode hands over a line at a time; Ctrl+D gives 0 (EOF).
                var read = await stdin.ReadAsync(bytes, cancellationToken).ConfigureAwait(false);
                var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: read == 0);
                if (count > 0)
                {
                    await SendAsync(RunSocketMessage.Input(new string(chars, 0, count))).ConfigureAwait(false);
                }

                if (read == 0)
                {
                    break;
                }
            }

            await SendAsync(RunSocketMessage.EndOfInput).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    public void Dispose() => _sendLock.Dispose();

    private async Task SendAsync(RunSocketMessage message)
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }

        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, Json), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
        {
            // The receiving side reports the lost connection.
        }
        finally
        {
            _sendLock.Release();
        }
    }
}

/// <summary>How <c>goplay run</c> asks for its run: the mode, vet, and the Go version (null: the server's default).</summary>
internal sealed record RunOptions(RunMode Mode, bool Vet, string? GoVersion);
