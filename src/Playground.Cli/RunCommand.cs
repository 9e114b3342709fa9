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
            _ = SendAsync(new JsonObject { ["type"] = "kill" });
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

        var request = new JsonObject
        {
            ["files"] = new JsonObject(files.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
            ["mode"] = options.Mode,
            ["withVet"] = options.Vet,
            ["args"] = new JsonArray(args.Select(a => (JsonNode?)a).ToArray()),
        };
        if (!string.IsNullOrEmpty(options.GoVersion))
        {
            request["goVersion"] = options.GoVersion;
        }
        await SendAsync(new JsonObject { ["type"] = "run", ["request"] = request }).ConfigureAwait(false);
        if (forwardStdin)
        {
            _ = Task.Run(() => ForwardStdinAsync(stop.Token));
        }
        else
        {
            await SendAsync(new JsonObject { ["type"] = "stdin-close" }).ConfigureAwait(false);
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

            var e = JsonNode.Parse(message.ToArray())!.AsObject();
            message.SetLength(0);
            if (Handle(e) is { } exitCode)
            {
                return exitCode;
            }
        }
    }

    /// <summary>Shows one event; returns the exit code once the run has ended.</summary>
    private int? Handle(JsonObject e)
    {
        var data = (string?)e["data"] ?? "";
        switch ((string?)e["kind"])
        {
            case "preparing":
                console.Status(data.TrimEnd('\n'), ref _statusShown);
                return null;
            case "queued":
                console.Status($"queued #{(int?)e["position"]}…", ref _statusShown);
                return null;
            case "building":
                console.Status("building…", ref _statusShown);
                return null;
            case "built":
                console.ClearStatus(ref _statusShown);
                return null;
            case "vet":
                console.ClearStatus(ref _statusShown);
                console.Warning(data.TrimEnd('\n'));
                return null;
            case "stdout":
                console.ClearStatus(ref _statusShown);
                console.Out(data);
                return null;
            case "stderr":
                console.ClearStatus(ref _statusShown);
                console.Err(data);
                return null;
            case "exit":
            case "error":
                console.ClearStatus(ref _statusShown);
                var outcome = (string?)e["outcome"] ?? "internal";
                if (outcome != "exited" && data.Length > 0)
                {
                    console.Error(data.TrimEnd('\n'));
                }

                return outcome switch
                {
                    "exited" => (int?)e["exitCode"] ?? 0,
                    "timeout" or "build-timeout" => ExitCodes.TimeLimit,
                    "build-error" => ExitCodes.BuildFailed,
                    "rejected" => ExitCodes.Rejected,
                    "killed" => _interrupted ? ExitCodes.Interrupted : ExitCodes.Killed,
                    "oom" or "output-limit" => ExitCodes.Killed,
                    _ => ExitCodes.Unavailable,
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
                    await SendAsync(new JsonObject { ["type"] = "stdin", ["data"] = new string(chars, 0, count) }).ConfigureAwait(false);
                }

                if (read == 0)
                {
                    break;
                }
            }

            await SendAsync(new JsonObject { ["type"] = "stdin-close" }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    public void Dispose() => _sendLock.Dispose();

    private async Task SendAsync(JsonObject message)
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
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
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
internal sealed record RunOptions(string Mode, bool Vet, string? GoVersion);
