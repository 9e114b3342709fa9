using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Terminals;

/// <summary><c>/ws/v1/run</c> over real WebSockets against the real server and engine.</summary>
[Collection(WebAppTests.Name)]
public sealed class RunSocketTests(WebAppFixture app)
{
    private const string Hello = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"Hello, terminal\") }\n";

    private static object Run(string source, string mode = "live") =>
        new { type = "run", request = new { files = new Dictionary<string, string> { ["prog.go"] = source }, mode } };

    private static string Kind(JsonElement e) => e.GetProperty("kind").GetString()!;

    [Fact]
    public async Task Run_Hello_EventsThenExitZero()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendJsonAsync(Run(Hello));

        var events = await ws.ReceiveRunAsync();
        Assert.Equal(["building", "built", "stdout", "exit"], events.Select(Kind));
        Assert.Equal("Hello, terminal\n", events[2].GetProperty("data").GetString());
        Assert.Equal("exited", events[3].GetProperty("outcome").GetString());
        Assert.Equal(0, events[3].GetProperty("exitCode").GetInt32());
        Assert.True(events[3].GetProperty("peakMemoryBytes").GetInt64() > 0);

        // The socket takes another run once the first has ended.
        await ws.SendJsonAsync(Run(Hello.Replace("terminal", "again", StringComparison.Ordinal)));
        var second = await ws.ReceiveRunAsync();
        Assert.Equal("Hello, again\n", second.Single(e => Kind(e) == "stdout").GetProperty("data").GetString());
    }

    [Fact]
    public async Task Stdin_LinesThenClose_ProgramSeesThemThenEof()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendJsonAsync(Run("""
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            )

            func main() {
            	fmt.Println("name?")
            	in := bufio.NewScanner(os.Stdin)
            	for in.Scan() {
            		fmt.Printf("Hello, %s!\n", in.Text())
            	}
            	fmt.Println("eof")
            }
            """));

        string? output = null;
        while (await ws.ReceiveAsync() is { } frame)
        {
            var e = JsonDocument.Parse(frame.Text).RootElement;
            if (Kind(e) == "stdout")
            {
                output += e.GetProperty("data").GetString();
                if (output == "name?\n")
                {
                    await ws.SendJsonAsync(new { type = "stdin", data = "Ada\n" });
                }
                else if (output.EndsWith("Hello, Ada!\n", StringComparison.Ordinal))
                {
                    await ws.SendJsonAsync(new { type = "stdin-close" });
                }
            }

            if (Kind(e) == "exit")
            {
                break;
            }
        }

        Assert.Equal("name?\nHello, Ada!\neof\n", output);
    }

    [Fact]
    public async Task Kill_RunningProgram_KilledAndSecondRunRejectedMeanwhile()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendJsonAsync(Run("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n"));
        while (await ws.ReceiveAsync() is { } frame && Kind(JsonDocument.Parse(frame.Text).RootElement) != "stdout")
        {
        }

        // One run at a time: a second run is refused and the first goes on.
        await ws.SendJsonAsync(Run(Hello));
        var rejected = JsonDocument.Parse((await ws.ReceiveAsync())!.Value.Text).RootElement;
        Assert.Equal("error", Kind(rejected));
        Assert.Equal("rejected", rejected.GetProperty("outcome").GetString());
        Assert.Contains("already active", rejected.GetProperty("data").GetString(), StringComparison.Ordinal);

        await ws.SendJsonAsync(new { type = "kill" });
        var events = await ws.ReceiveRunAsync();
        Assert.Equal("killed", events[^1].GetProperty("outcome").GetString());
        Assert.True(await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5), app.Owner) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Disconnect_MidRun_ProgramKilledWithinASecond()
    {
        var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendJsonAsync(Run("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n"));
        while (await ws.ReceiveAsync() is { } frame && Kind(JsonDocument.Parse(frame.Text).RootElement) != "stdout")
        {
        }

        ws.Socket.Abort();
        await ws.DisposeAsync();
        var gone = await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5), app.Owner);
        Assert.True(gone < TimeSpan.FromSeconds(1.5), $"containers left for {gone}");
    }

    [Fact]
    public async Task OversizedFrame_ClosedWith1009()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        var huge = new string('x', (2 << 20) + 10);
        await ws.SendJsonAsync(new { type = "stdin", data = huge });

        Assert.Empty(await ws.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, ws.Socket.CloseStatus);
        Assert.Equal("frame larger than 2097152 bytes", ws.Socket.CloseStatusDescription);
    }

    [Theory]
    [InlineData("{not json", 1002, "invalid message")]
    [InlineData("{\"type\":\"launch\"}", 1002, "unknown message type \"launch\"")]
    [InlineData("{\"type\":\"run\"}", 1002, "a run message needs a request")]
    public async Task ProtocolError_ClosedWithReason(string frame, int status, string reason)
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendTextAsync(frame);

        Assert.Empty(await ws.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(status, (int)ws.Socket.CloseStatus!);
        Assert.StartsWith(reason, ws.Socket.CloseStatusDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryFrame_ClosedWith1003()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendBinaryAsync([1, 2, 3]);

        Assert.Empty(await ws.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, ws.Socket.CloseStatus);
    }

    [Fact]
    public async Task Origin_OtherSiteRefusedSameSiteAndNoneAllowed()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/ws/v1/run", "https://evil.example"));

        await using var same = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run", app.BaseAddress.GetLeftPart(UriPartial.Authority));
        Assert.Equal(WebSocketState.Open, same.Socket.State);
        await using var none = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        Assert.Equal(WebSocketState.Open, none.Socket.State);

        using var plain = await app.Http.GetAsync(new Uri(app.BaseAddress, "/ws/v1/run"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("WebSocket endpoint", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdleTimeoutAndSessionLimit_ClosedWithTheirStatuses()
    {
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("ws-idle"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Terminals:IdleTimeout=00:00:01", "--Terminals:SessionLimit=00:00:04");

        // Idle: nothing sent, nothing running.
        await using (var idle = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run"))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Empty(await idle.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(4408, (int)idle.Socket.CloseStatus!);
            Assert.Equal("idle for 1 s", idle.Socket.CloseStatusDescription);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        }

        // /socket has the same limit. (/ws/v1/tty is never idle: it runs from the first moment
        // and closes when the program ends.)
        await using (var quiet = await WebSocketClient.ConnectAsync(web.BaseAddress, "/socket"))
        {
            Assert.Empty(await quiet.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(4408, (int)quiet.Socket.CloseStatus!);
        }

        // A running program is not idle; the session limit still ends the connection.
        await using var busy = await WebSocketClient.ConnectAsync(web.BaseAddress, "/ws/v1/run");
        await busy.SendJsonAsync(Run("package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(time.Minute) }\n"));
        var frames = await busy.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(4410, (int)busy.Socket.CloseStatus!);
        Assert.Equal("session limit of 4 s reached", busy.Socket.CloseStatusDescription);
        Assert.DoesNotContain(frames, f => f.Text.Contains("\"exit\"", StringComparison.Ordinal));
    }
}
