using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Playground.Bench;

/// <summary>
/// Holds many idle connections, half SignalR (/hubs/run over WebSockets) and half raw
/// WebSockets (/ws/v1/run), and reports the server's resident memory before and after.
/// </summary>
internal static class IdleConnections
{
    public static async Task<int> RunAsync(Uri server, int count, int serverPid, TimeSpan hold)
    {
        var before = ResidentBytes(serverPid);
        var hubs = new List<HubConnection>();
        var sockets = new List<ClientWebSocket>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // A few at a time: a burst of thousands of handshakes measures the accept queue, not memory.
            for (var i = 0; i < count; i += 50)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(async n =>
                {
                    if (n % 2 == 0)
                    {
                        var hub = new HubConnectionBuilder().WithUrl(new Uri(server, "/hubs/run"), HttpTransportType.WebSockets).Build();
                        await hub.StartAsync();
                        lock (hubs)
                        {
                            hubs.Add(hub);
                        }
                    }
                    else
                    {
                        var socket = new ClientWebSocket();
                        var address = new UriBuilder(new Uri(server, "/ws/v1/run")) { Scheme = server.Scheme == "https" ? "wss" : "ws" }.Uri;
                        await socket.ConnectAsync(address, CancellationToken.None);
                        lock (sockets)
                        {
                            sockets.Add(socket);
                        }
                    }
                }));
            }

            var opened = started.Elapsed;
            await Task.Delay(hold);
            GC.KeepAlive(hubs);
            var after = ResidentBytes(serverPid);
            var alive = hubs.Count(h => h.State == HubConnectionState.Connected) + sockets.Count(s => s.State == WebSocketState.Open);
            Console.WriteLine($"idle connections: {count} opened in {opened.TotalSeconds:0.0} s ({hubs.Count} SignalR, {sockets.Count} WebSocket), {alive} still open after {hold.TotalSeconds:0} s");
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"server resident memory: {before / 1048576.0:0} MiB before, {after / 1048576.0:0} MiB with them ({(after - before) / 1024.0 / count:0.0} KiB each); target under 400 MiB: {(after < 400L << 20 ? "MET" : "NOT MET")}"));
            return alive == count && after < 400L << 20 ? 0 : 1;
        }
        finally
        {
            await Task.WhenAll(hubs.Select(h => h.DisposeAsync().AsTask()));
            foreach (var socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }
        }
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
