using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Faults;

/// <summary>Per-address and total caps on open connections, and share quotas, against a real server process.</summary>
[Collection("Faults")]
public sealed class ClientLimitTests
{
    private const string A = "198.51.100.1";
    private const string B = "198.51.100.2";
    private const string C = "198.51.100.3";

    [Fact]
    public async Task Connections_CappedPerAddressAndInTotal_OverEveryTransport()
    {
        // 60 WebSocket connections added 147 MiB, and nothing capped how many one client held.
        await using var web = await WebProcess.StartDefaultReadyAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("conn-caps"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Connections:MaxPerClient=3", "--Connections:MaxTotal=5",
            "--Network:TrustedProxies:0=127.0.0.1");
        const string Tty = "/ws/v1/tty?code=package%20main%0Afunc%20main()%20%7B%7D%0A";

        await using var hubA = await web.ConnectAsync(forwardedFor: A);
        var runA = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run", forwardedFor: A);
        await using var socketA = await WebSocketClient.ConnectAsync(web.BaseAddress, "/socket", forwardedFor: A);

        // A's fourth, on any transport: 429 before the connection is accepted.
        Assert.Equal(HttpStatusCode.TooManyRequests, await WebSocketClient.RefusedStatusAsync(web.BaseAddress, Tty, origin: null, forwardedFor: A));
        Assert.Equal(HttpStatusCode.TooManyRequests, await WebSocketClient.RefusedStatusAsync(web.BaseAddress, "/ws/v1/run", origin: null, forwardedFor: A));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => web.ConnectAsync(forwardedFor: A));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using (var http = new HttpClient())
        {
            using var negotiate = new HttpRequestMessage(HttpMethod.Post, new Uri(web.BaseAddress, "/hubs/run/negotiate?negotiateVersion=1"));
            negotiate.Headers.Add("X-Forwarded-For", A);
            using var answer = await http.SendAsync(negotiate);
            Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
            Assert.Equal("Too many open connections from your address (the limit is 3). Close some, then try again.\n", await answer.Content.ReadAsStringAsync());
            Assert.NotNull(answer.Headers.RetryAfter);
        }

        // Another address is not held back by A, until the process is full.
        await using var hubB = await web.ConnectAsync(forwardedFor: B);
        await using var runB = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run", forwardedFor: B);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await WebSocketClient.RefusedStatusAsync(web.BaseAddress, "/ws/v1/run", origin: null, forwardedFor: C));

        // A closed connection is given back.
        await runA.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await runA.DisposeAsync();
        await using var ttyA = await RetryAsync(() => WebSocketClient.ConnectAsync(web.BaseAddress, Tty, forwardedFor: A));
        Assert.Equal(HubConnectionState.Connected, hubA.State);
    }

    [Fact]
    public async Task Share_QuotaPerAddress_CountAndBytesAnHour_ExistingSnippetsFree()
    {
        // /share stored 100 × 64 KiB in 0.3 s, kept for good.
        await using var web = await WebProcess.StartDefaultReadyAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("share-quota"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Snippets:DataDirectory=" + Directory.CreateTempSubdirectory("goplay-share-quota-").FullName,
            "--Snippets:SharesPerClientPerHour=3", "--Snippets:ShareBytesPerClientPerHour=150000",
            "--Network:TrustedProxies:0=127.0.0.1");
        using var http = new HttpClient();
        async Task<HttpResponseMessage> ShareAsync(string body, string from)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(web.BaseAddress, "/share")) { Content = new StringContent(body) };
            request.Headers.Add("X-Forwarded-For", from);
            return await http.SendAsync(request);
        }

        var tag = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var shared = await ShareAsync($"package main // {tag} {i}", A);
            Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
            ids.Add(await shared.Content.ReadAsStringAsync());
        }

        var fourth = await ShareAsync($"package main // {tag} 3", A);
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.Equal("Share quota reached: 3 new snippets or 146 KiB an hour from one address. Try again in 60 min.\n", await fourth.Content.ReadAsStringAsync());
        Assert.InRange(fourth.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 3500, 3600);

        // Sharing what is already stored stores nothing and costs nothing.
        var again = await ShareAsync($"package main // {tag} 0", A);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(ids[0], await again.Content.ReadAsStringAsync());

        // Bytes: two snippets of 64 KiB fit in B's 150,000 bytes, a third does not.
        string Big(int i) => $"package main // {tag} big {i}\n" + new string('/', (64 << 10) - 60);
        Assert.Equal(HttpStatusCode.OK, (await ShareAsync(Big(0), B)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ShareAsync(Big(1), B)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ShareAsync(Big(2), B)).StatusCode);

        // Nothing refused was stored; what was accepted reads back.
        Assert.Equal($"package main // {tag} 2", await http.GetStringAsync(new Uri(web.BaseAddress, $"/p/{ids[2]}.go")));
        Assert.Equal(HttpStatusCode.OK, (await ShareAsync($"package main // {tag} c", C)).StatusCode);
    }

    /// <summary>A closed connection is given back when the server has seen the close; retry briefly.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> attempt)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (System.Net.WebSockets.WebSocketException) when (i < 20)
            {
                await Task.Delay(100);
            }
        }
    }
}
