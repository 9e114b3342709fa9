using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Playground.Web.Clients;

namespace Playground.Web.Terminals;

/// <summary>Close statuses of the terminal endpoints (docs/TERMINAL.md).</summary>
internal static class CloseStatus
{
    public const int Normal = 1000;
    public const int GoingAway = 1001;
    public const int ProtocolError = 1002;
    public const int UnsupportedData = 1003;
    public const int TooBig = 1009;
    public const int IdleTimeout = 4408;
    public const int SessionLimit = 4410;
}

/// <summary>One received message: its type and bytes (valid until the next receive).</summary>
internal readonly record struct Frame(WebSocketMessageType Type, ReadOnlyMemory<byte> Data)
{
    public string Text => Encoding.UTF8.GetString(Data.Span);
}

/// <summary>
/// A server-side WebSocket with the limits every terminal endpoint shares: a frame size cap,
/// an idle timeout while nothing runs, a session limit, one sender at a time, and a close
/// handshake that cannot hang (the connection is dropped when the client does not answer).
/// One task receives; any task may send.
/// </summary>
internal sealed class TerminalSocket : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly IDisposable _lease;
    private readonly CancellationTokenRegistration _stopping;
    private readonly TerminalOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _ended;
    private const string ShuttingDown = "server shutting down";

    /// <summary>What an idle connection holds for receiving; it grows for a larger frame, up to the limit.</summary>
    private const int SmallBuffer = 4096;

    private byte[] _buffer;
    private readonly long _started;
    private readonly Task _watchdog;
    private long _lastActivity;
    private int _busy;
    private int _serverStopping;
    private int _closeRequested;

    private TerminalSocket(WebSocket socket, IDisposable lease, TerminalOptions options, TimeProvider time, CancellationToken aborted, CancellationToken stopping)
    {
        _socket = socket;
        _lease = lease;
        _options = options;
        _time = time;
        // Not the frame limit up front: 2 MiB for each of thousands of idle connections.
        _buffer = new byte[Math.Min(SmallBuffer, options.MaxFrameBytes)];
        _ended = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        _started = _lastActivity = time.GetTimestamp();
        // At shutdown (ServerShutdown.Stopping), a socket with a run waits for that run's last
        // event (the server stops it and says why) and closes after it; an idle one closes now.
        // Unregistered at dispose: the server's token would otherwise keep every connection
        // ever served (its buffer included) alive until the process stops.
        _stopping = stopping.Register(() =>
        {
            Volatile.Write(ref _serverStopping, 1);
            if (Volatile.Read(ref _busy) == 0)
            {
                _ = CloseAsync(CloseStatus.GoingAway, ShuttingDown);
            }
        });
        _watchdog = WatchAsync();
    }

    /// <summary>
    /// Counts the connection against its client's caps and accepts it, or gives the refusal
    /// to answer instead (before any WebSocket is accepted). The socket holds the count
    /// until it is disposed.
    /// </summary>
    public static async Task<(TerminalSocket? Socket, IResult? Refusal)> AcceptAsync(
        HttpContext context, ConnectionLimiter connections, string transport, TerminalOptions options, TimeProvider time, CancellationToken stopping)
    {
        var lease = connections.TryOpen(ClientAddresses.Of(context), transport, out var full);
        if (lease is null)
        {
            return (null, full);
        }

        try
        {
            var webSocket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            return (new TerminalSocket(webSocket, lease, options, time, context.RequestAborted, stopping), null);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Cancelled when the connection is over: runs started for it must stop.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>The status and reason of the close this side sent, if any.</summary>
    public (int Status, string Reason)? SentClose { get; private set; }

    /// <summary>
    /// Whether the origin may open this socket. No Origin header: not a browser, allowed. With
    /// <paramref name="portOptional"/>, an origin without a port also matches this host or a
    /// configured origin with the same host and any port, as x/tools' socket handshake accepts it.
    /// </summary>
    public static bool OriginAllowed(HttpContext context, TerminalOptions options, bool portOptional = false)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || options.AllowedOrigins.Contains("*"))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        // Same origin: the page was served by this host (and port).
        var host = context.Request.Host;
        var port = host.Port ?? (context.Request.IsHttps ? 443 : 80);
        if (string.Equals(uri.Host, host.Host, StringComparison.OrdinalIgnoreCase) && (uri.Port == port || (portOptional && HasNoPort(origin))))
        {
            return true;
        }

        return options.AllowedOrigins.Any(a => string.Equals(a.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
            || (portOptional && HasNoPort(origin) && Uri.TryCreate(a, UriKind.Absolute, out var allowed)
                && string.Equals(allowed.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(allowed.Host, uri.Host, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Whether an origin (<c>scheme://host[:port]</c>) names no port of its own.</summary>
    private static bool HasNoPort(string origin)
    {
        var authority = origin[(origin.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        // An IPv6 literal's colons sit inside its brackets.
        return !authority[(authority.LastIndexOf(']') + 1)..].Contains(':', StringComparison.Ordinal);
    }

    /// <summary>Answers a request that cannot become this socket: not an upgrade, or a refused origin.</summary>
    public static IResult? Refuse(HttpContext context, TerminalOptions options, string endpoint, bool portOptional = false)
    {
        if (!OriginAllowed(context, options, portOptional))
        {
            return Results.Text($"Origin {context.Request.Headers.Origin} may not open {endpoint}.\n", statusCode: StatusCodes.Status403Forbidden);
        }

        return context.WebSockets.IsWebSocketRequest
            ? null
            : Results.Text($"{endpoint} is a WebSocket endpoint: connect with a WebSocket client (see docs/TERMINAL.md).\n", statusCode: StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// Hands one run's events to <paramref name="handle"/> on a task of its own while the
    /// connection lasts; the idle timeout does not apply meanwhile. When the connection ends,
    /// the run service kills the program and the task completes.
    /// </summary>
    public Task StreamRunAsync(IAsyncEnumerable<RunEvent> events, Func<RunEvent, Task> handle)
    {
        // Counted before returning, so the receiving loop never sees the socket idle in between.
        Interlocked.Increment(ref _busy);
        return Task.Run(async () =>
        {
            try
            {
                await foreach (var e in events.ConfigureAwait(false))
                {
                    await handle(e).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_ended.IsCancellationRequested)
            {
                // The connection ended.
            }
            finally
            {
                Touch();
                if (Interlocked.Decrement(ref _busy) == 0 && Volatile.Read(ref _serverStopping) == 1)
                {
                    await CloseAsync(CloseStatus.GoingAway, ShuttingDown).ConfigureAwait(false);
                }
            }
        });
    }

    /// <summary>The next whole message, or null once the connection is closing or closed.</summary>
    public async Task<Frame?> ReceiveAsync()
    {
        if (_buffer.Length > 16 * SmallBuffer)
        {
            // The last frame was large; its data has been used (see Frame), so let it go.
            _buffer = new byte[SmallBuffer];
        }

        var length = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                // After a close was sent, whatever still arrives is read into the start of the
                // buffer and dropped until the client's close frame.
                var space = Volatile.Read(ref _closeRequested) != 0 ? _buffer.AsMemory() : _buffer.AsMemory(length);
                result = await _socket.ReceiveAsync(space, _ended.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                await _ended.CancelAsync().ConfigureAwait(false);
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await CloseAsync(CloseStatus.Normal, "").ConfigureAwait(false);
                await _ended.CancelAsync().ConfigureAwait(false);
                return null;
            }

            if (Volatile.Read(ref _closeRequested) != 0)
            {
                length = 0;
                continue;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                Touch();
                return new Frame(result.MessageType, _buffer.AsMemory(0, length));
            }

            if (length == _buffer.Length && _buffer.Length < _options.MaxFrameBytes)
            {
                Array.Resize(ref _buffer, (int)Math.Min(2L * _buffer.Length, _options.MaxFrameBytes));
            }
            else if (length == _buffer.Length)
            {
                await CloseAsync(CloseStatus.TooBig, $"frame larger than {_options.MaxFrameBytes} bytes").ConfigureAwait(false);
            }
        }
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendJsonAsync<T>(T value, JsonSerializerOptions options) =>
        SendAsync(JsonSerializer.SerializeToUtf8Bytes(value, options), WebSocketMessageType.Text);

    /// <summary>Sends one message; dropped once a close was sent or the connection is gone.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _closeRequested) != 0 || _socket.State != WebSocketState.Open)
            {
                return;
            }

            await _socket.SendAsync(data, type, endOfMessage: true, _ended.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            await _ended.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends a close frame (once) and gives the client <see cref="TerminalOptions.CloseGrace"/>
    /// to answer before the connection is dropped. The receiving task sees the answer.
    /// </summary>
    public async Task CloseAsync(int status, string reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        await _sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                SentClose = (status, reason);
                await _socket.CloseOutputAsync((WebSocketCloseStatus)status, Truncate(reason), _ended.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Already gone.
        }
        finally
        {
            _sendLock.Release();
        }

        if (!_ended.IsCancellationRequested)
        {
            _ended.CancelAfter(_socket.State == WebSocketState.Closed ? TimeSpan.Zero : _options.CloseGrace);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _ended.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        await _stopping.DisposeAsync().ConfigureAwait(false);
        if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            _socket.Abort();
        }

        _socket.Dispose();
        _lease.Dispose();
        _ended.Dispose();
        _sendLock.Dispose();
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Closes the connection when it is idle or over its session limit.</summary>
    private async Task WatchAsync()
    {
        var period = TimeSpan.FromTicks(Math.Clamp(Math.Min(_options.IdleTimeout.Ticks, _options.SessionLimit.Ticks) / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_ended.Token).ConfigureAwait(false))
            {
                if (_time.GetElapsedTime(_started) >= _options.SessionLimit)
                {
                    await CloseAsync(CloseStatus.SessionLimit, $"session limit of {Describe(_options.SessionLimit)} reached").ConfigureAwait(false);
                }
                else if (Volatile.Read(ref _busy) == 0 && _time.GetElapsedTime(Interlocked.Read(ref _lastActivity)) >= _options.IdleTimeout)
                {
                    await CloseAsync(CloseStatus.IdleTimeout, $"idle for {Describe(_options.IdleTimeout)}").ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended.
        }
    }

    private static string Describe(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    /// <summary>Close reasons are limited to 123 bytes of UTF-8.</summary>
    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123)
        {
            return reason;
        }

        var end = reason.Length;
        while (Encoding.UTF8.GetByteCount(reason.AsSpan(0, end)) > 120)
        {
            end--;
        }

        return reason[..end] + "...";
    }
}
