using System.Runtime.CompilerServices;
using System.Text;

namespace Playground.Sandbox.Runs;

/// <summary>
/// The one run pipeline every transport uses: validate, build, run, stream events.
/// The sequence always ends with exactly one <see cref="RunEventKind.Exit"/> or
/// <see cref="RunEventKind.Error"/> event, unless the caller abandons it through the
/// cancellation token, in which case the run is killed and cleaned up silently.
/// </summary>
public interface IRunService
{
    IAsyncEnumerable<RunEvent> RunAsync(RunRequest request, RunInput input, CancellationToken cancellationToken);
}

/// <summary>The server's stop, as the run pipeline sees it.</summary>
public interface IRunShutdown
{
    /// <summary>
    /// Stops every run in flight and refuses new ones: each run ends with an event saying the
    /// server is shutting down, its containers are removed, and the task completes once every
    /// run's last event has been handed to its caller. Safe to call more than once; each call
    /// waits for the same stop. Returns how many runs were in flight.
    /// </summary>
    Task<int> StopAllAsync(CancellationToken cancellationToken);
}

/// <summary>What a client can send while its program runs, and who the client is.</summary>
/// <param name="Stdin">
/// The bytes for the program's stdin, passed on as they are; the end of the sequence is EOF. Null
/// means no input (immediate EOF). Text transports encode at their edge (<see cref="Utf8"/>).
/// </param>
/// <param name="Kill">Cancelled when the user asks to kill the run; the run then ends with outcome <c>killed</c>.</param>
public sealed record RunInput(IAsyncEnumerable<ReadOnlyMemory<byte>>? Stdin = null, CancellationToken Kill = default)
{
    /// <summary>Stdin that arrives as text (JSON strings, SignalR streams): each piece as UTF-8.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> Utf8(IAsyncEnumerable<string> text, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var piece in text.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return Encoding.UTF8.GetBytes(piece);
        }
    }

    /// <summary>Who is asking (for example the remote address): the scheduler shares slots fairly between clients.</summary>
    public string ClientId { get; init; } = "anonymous";

    /// <summary>How the run arrived, one of <see cref="RunTransports"/>: a metrics, trace and log tag.</summary>
    public string Transport { get; init; } = "unknown";

    public static RunInput None { get; } = new();
}

/// <summary>The transports a run can arrive by: the <c>transport</c> tag of the run and connection metrics.</summary>
public static class RunTransports
{
    public const string SignalR = "signalr";
    public const string WebSocket = "websocket";
    public const string Tty = "tty";
    public const string Socket = "socket";
    public const string Http = "http";
    public const string Health = "health";

    /// <summary>The transports that hold a connection open (all but HTTP requests and health probes).</summary>
    public static IReadOnlyList<string> Connections { get; } = [SignalR, WebSocket, Tty, Socket];
}
