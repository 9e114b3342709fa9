using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Runs;
using Playground.Sandbox.Toolchains;
using Playground.Web.Api;
using Playground.Web.Clients;
using Playground.Web.Hosting;
using Playground.Web.Terminals;

namespace Playground.Web.Compat;

/// <summary>
/// <c>/socket</c>: the protocol of <c>golang.org/x/tools/playground/socket</c>, so the
/// <c>present</c> tool and a local Go Tour can run code on GoPlay. Frames are JSON objects
/// <c>{"Id","Kind","Body"}</c> ending in a newline (Go's json.Encoder). In: <c>run</c> (Body is
/// the source; a second run with the same Id replaces the first) and <c>kill</c>. Out:
/// <c>stdout</c>, <c>stderr</c>, then one <c>end</c> whose Body is <c>""</c> on success,
/// <c>exit status N</c>, or <c>signal: killed</c>, as os/exec reports them. Output passes the
/// reference's limiter (the process is killed at its 1000th message) and its buffer (messages of
/// one kind coalesced over 10 ms), in that order.
/// </summary>
internal static partial class PlaygroundSocketEndpoint
{
    /// <summary>x/tools' msgLimit: output messages per process before it is killed.</summary>
    internal const int MessageLimit = 1000;

    /// <summary>x/tools' msgDelay: output of one kind is gathered this long into one message.</summary>
    internal static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(0);

    /// <summary>The sandbox's answer to top-level files that are not <c>package main</c>.</summary>
    private const string NotMainBuildError = "package name must be main";

    private static readonly JsonSerializerOptions Json = new()
    {
        // Go's encoding/json matches field names case-insensitively and ignores unknown ones.
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<IResult> HandleAsync(HttpContext context, IRunService runs, IToolchainInfo toolchains, IOptions<TerminalOptions> options, TimeProvider time, ServerShutdown shutdown, ConnectionLimiter connections)
    {
        // The reference accepts its configured origin's host with or without the port.
        if (TerminalSocket.Refuse(context, options.Value, "/socket", portOptional: true) is { } refusal)
        {
            return refusal;
        }

        var (accepted, full) = await TerminalSocket.AcceptAsync(context, connections, RunTransports.Socket, options.Value, time, shutdown.Stopping);
        if (accepted is null)
        {
            return full!;
        }

        await using var socket = accepted;
        var session = new Session(socket, runs, toolchains, time, ClientAddresses.Of(context), GoDevApi.RequestedVersion(context.Request));
        var processes = new ConcurrentDictionary<string, Process>();
        try
        {
            while (await socket.ReceiveAsync() is { } frame)
            {
                List<SocketMessage> messages;
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

                            processes[id] = session.Start(id, message.Body ?? "", message.Options?.Race == true);
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
    private static List<SocketMessage> Parse(ReadOnlySpan<byte> data)
    {
        var messages = new List<SocketMessage>();
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            messages.Add(JsonSerializer.Deserialize<SocketMessage>(ref reader, Json) ?? throw new JsonException("null message"));
        }

        return messages;
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

    /// <summary>
    /// Compiler output as <c>go build</c> prints it: the sandbox leaves out the <c># package</c>
    /// line above each package's errors, so it is put back from the error positions (<c>./f.go</c>
    /// is the module's package, <c>dir/f.go</c> the module path plus <c>/dir</c>). Lines that are
    /// not a package's errors (the go command's own) stay without one, as go prints them.
    /// </summary>
    internal static (string Output, bool CompileErrors) WithBanners(string output, string modulePath)
    {
        var text = new StringBuilder(output.Length + 64);
        string? current = null;
        var compileErrors = false;
        foreach (var line in output.Split('\n'))
        {
            if (PositionLine().Match(line) is { Success: true } position)
            {
                var dir = position.Groups["dir"].Value.TrimEnd('/');
                var package = dir.Length == 0 ? modulePath : modulePath + "/" + dir;
                if (package != current)
                {
                    text.Append("# ").Append(package).Append('\n');
                    current = package;
                }

                compileErrors = true;
            }
            else if (!line.StartsWith('\t') && line.Length > 0)
            {
                current = null;
            }

            text.Append(line).Append('\n');
        }

        // Split gives one more piece than there are newlines.
        text.Length--;
        return (text.ToString(), compileErrors);
    }

    /// <summary>
    /// How <c>go build</c> of this release exits on a compile error: Go 1.19 and older with 2,
    /// later ones with 1 (measured with 1.19 and 1.21 to 1.27); failures to load packages exit 1.
    /// </summary>
    internal static int CompileFailureStatus(string? release) =>
        GoVersion.TryParse(release, out var version) && version is { Major: 1, Minor: < 20 } ? 2 : 1;

    /// <summary>The module path of a program: its go.mod's, or <c>play</c> as the sandbox writes it.</summary>
    private static string ModulePath(string body)
    {
        // The first go.mod, as a duplicate is refused before anything is built.
        if (Txtar.Split(body).FirstOrDefault(f => f.Key == "go.mod").Value is { } mod)
        {
            foreach (var line in mod.Split('\n'))
            {
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields is ["module", var path, ..])
                {
                    return path.Trim('"');
                }
            }
        }

        return "play";
    }

    /// <summary>
    /// A compiler error position as go build prints it: <c>./f.go:L:C:</c> in the module's own
    /// folder, <c>dir/f.go:L:C:</c> below it. A bare <c>f.go:L:C:</c> is the go command failing to
    /// load a package, which has no banner.
    /// </summary>
    [GeneratedRegex(@"^(?:\./|(?<dir>(?:[^\s:/.][^\s:/]*/)+))[^\s:/]+\.go:\d+(?::\d+)?: ")]
    private static partial Regex PositionLine();

    private static Task SendAsync(TerminalSocket socket, SocketMessage message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, Json) + "\n"), WebSocketMessageType.Text);

    /// <summary>What every process of one connection shares.</summary>
    private sealed class Session(TerminalSocket socket, IRunService runs, IToolchainInfo toolchains, TimeProvider time, string clientId, string? goVersion)
    {
        public Process Start(string id, string body, bool race)
        {
            var process = new Process();
            var request = new RunRequest { Source = body, Mode = RunMode.Live, GoVersion = goVersion };
            var raw = Channel.CreateUnbounded<SocketMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var forward = SocketOutput.ForwardAsync(raw.Reader, m => SendAsync(socket, m with { Id = id }), () => process.Kill.CancelAsync(), time);
            process.Pump = PumpAsync();
            return process;

            async Task PumpAsync()
            {
                try
                {
                    if (body.AsSpan().TrimStart().StartsWith("#!", StringComparison.Ordinal))
                    {
                        // The reference runs scripts as host processes unless told not to; no
                        // sandbox allows that, so this is its answer when it is told not to.
                        raw.Writer.TryWrite(new SocketMessage(null, "end", "script execution is not allowed"));
                        raw.Writer.TryComplete();
                        return;
                    }

                    if (race)
                    {
                        // The reference says this before building with -race. The race detector needs
                        // cgo, which the sandbox's static builds leave out, so say so instead of
                        // pretending: the program runs without it.
                        raw.Writer.TryWrite(new SocketMessage(null, "stderr", "Running with race detector.\n"));
                        raw.Writer.TryWrite(new SocketMessage(null, "stderr", "The race detector is not available in this sandbox (it needs cgo); the program runs without it.\n"));
                    }

                    await socket.StreamRunAsync(runs.RunAsync(request, new RunInput(null, process.Kill.Token) { ClientId = clientId, Transport = RunTransports.Socket }, socket.Ended), async e =>
                    {
                        switch (e.Kind)
                        {
                            case RunEventKind.Stdout or RunEventKind.Stderr:
                                raw.Writer.TryWrite(new SocketMessage(null, e.Kind == RunEventKind.Stdout ? "stdout" : "stderr", e.Data ?? ""));
                                break;
                            case RunEventKind.Vet:
                                raw.Writer.TryWrite(new SocketMessage(null, "stderr", e.Data ?? ""));
                                break;
                            case RunEventKind.Exit or RunEventKind.Error:
                                foreach (var message in await EndAsync(e, body).ConfigureAwait(false))
                                {
                                    raw.Writer.TryWrite(message);
                                }

                                // The run counts as busy until its end has been sent.
                                raw.Writer.TryComplete();
                                await forward.ConfigureAwait(false);
                                break;
                        }
                    }).ConfigureAwait(false);
                }
                finally
                {
                    raw.Writer.TryComplete();
                    await forward.ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// The messages that end a run: what the sandbox says on stderr where the reference would
        /// have something to say, then <c>end</c>.
        /// </summary>
        private async Task<List<SocketMessage>> EndAsync(RunEvent e, string body)
        {
            var outcome = e.Outcome ?? RunOutcome.Internal;
            var data = e.Data ?? "";
            if (outcome is RunOutcome.BuildError && data.Trim() == NotMainBuildError)
            {
                // The reference builds the package, fails to exec it, and says only this.
                return [new SocketMessage(null, "end", "executable programs must use \"package main\"")];
            }

            if (outcome is RunOutcome.BuildError)
            {
                var (output, compileErrors) = WithBanners(data, ModulePath(body));
                var status = 1;
                if (compileErrors)
                {
                    var (version, _) = await toolchains.ResolveAsync(goVersion, CancellationToken.None).ConfigureAwait(false);
                    status = CompileFailureStatus(version?.Release);
                }

                return [new SocketMessage(null, "stderr", output), new SocketMessage(null, "end", ExitStatus(status))];
            }

            // Every outcome listed, no discard: a new one fails the build until it is mapped here.
            var end = outcome switch
            {
                RunOutcome.Exited => ExitStatus(e.ExitCode ?? 0),
                RunOutcome.BuildError or RunOutcome.BuildTimeout or RunOutcome.Rejected or RunOutcome.Internal => "exit status 1",
                RunOutcome.Timeout or RunOutcome.Oom or RunOutcome.OutputLimit or RunOutcome.Killed => "signal: killed",
            };

            // A kill is only the end, as os/exec reports it; GoPlay's own limits say which one hit.
            return outcome is RunOutcome.Exited or RunOutcome.Killed || data.Length == 0
                ? [new SocketMessage(null, "end", end)]
                : [new SocketMessage(null, "stderr", data), new SocketMessage(null, "end", end)];
        }
    }

    private sealed class Process
    {
        public CancellationTokenSource Kill { get; } = new();

        public Task Pump { get; set; } = Task.CompletedTask;
    }
}
