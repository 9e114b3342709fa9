using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Playground.Testing;

/// <summary>A real client WebSocket with helpers to read whole frames under a time limit.</summary>
public sealed class WebSocketClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];

    private WebSocketClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static async Task<WebSocketClient> ConnectAsync(Uri server, string pathAndQuery, string? origin = null, string? forwardedFor = null)
    {
        var socket = NewSocket(origin, forwardedFor);
        var builder = new UriBuilder(new Uri(server, pathAndQuery)) { Scheme = "ws" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(builder.Uri, timeout.Token);
        return new WebSocketClient(socket);
    }

    /// <summary>The HTTP status a refused handshake got.</summary>
    public static async Task<HttpStatusCode> RefusedStatusAsync(Uri server, string pathAndQuery, string? origin, string? forwardedFor = null)
    {
        using var socket = NewSocket(origin, forwardedFor);
        var builder = new UriBuilder(new Uri(server, pathAndQuery)) { Scheme = "ws" };
        try
        {
            await socket.ConnectAsync(builder.Uri, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        throw new InvalidOperationException($"The server accepted {pathAndQuery} from origin {origin ?? "(none)"}.");
    }

    /// <summary>A client socket that keeps the handshake's answer, with the request headers a test names.</summary>
    private static ClientWebSocket NewSocket(string? origin, string? forwardedFor)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        if (forwardedFor is not null)
        {
            socket.Options.SetRequestHeader("X-Forwarded-For", forwardedFor);
        }

        return socket;
    }

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendJsonAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message, JsonSerializerOptions.Web));

    public Task SendBinaryAsync(byte[] data) => Socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next frame as text, or null when the server closed the connection.</summary>
    public async Task<(WebSocketMessageType Type, string Text)?> ReceiveAsync(TimeSpan? limit = null) =>
        await ReceiveBytesAsync(limit) is { } frame ? (frame.Type, Encoding.UTF8.GetString(frame.Data)) : null;

    /// <summary>The next frame's bytes, or null when the server closed the connection.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Data)?> ReceiveBytesAsync(TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        var length = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(length), timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Complete the close handshake.
                if (Socket.State == WebSocketState.CloseReceived)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                }

                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, _buffer[..length]);
            }
        }
    }

    /// <summary>RunEvents (JSON frames) until the final one, which is included.</summary>
    public async Task<List<JsonElement>> ReceiveRunAsync()
    {
        var events = new List<JsonElement>();
        while (await ReceiveAsync() is { } frame)
        {
            var e = JsonDocument.Parse(frame.Text).RootElement.Clone();
            events.Add(e);
            if (e.GetProperty("kind").GetString() is "exit" or "error")
            {
                return events;
            }
        }

        throw new InvalidOperationException("The connection closed before the run ended: " + Socket.CloseStatus + " " + Socket.CloseStatusDescription);
    }

    /// <summary>Reads until the server closes; returns the frames before it.</summary>
    public async Task<List<(WebSocketMessageType Type, string Text)>> ReceiveUntilCloseAsync(TimeSpan? limit = null)
    {
        var frames = new List<(WebSocketMessageType, string)>();
        while (await ReceiveAsync(limit) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Already going.
            }
        }

        Socket.Dispose();
    }
}
