using System.Net;
using System.Net.WebSockets;
using Playground.Web.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Web.Tests.Terminals;

/// <summary><c>/ws/v1/tty</c>: the program as raw bytes, for wscat-style tools.</summary>
[Collection(WebAppTests.Name)]
public sealed class TtySocketTests(WebAppFixture app)
{
    private static string Tty(string source, string extra = "") => "/ws/v1/tty?code=" + Uri.EscapeDataString(source) + extra;

    [Fact]
    public async Task Hello_BinaryOutputThenCloseReasonExited0()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"raw hello\") }\n"));
        var frames = await ws.ReceiveUntilCloseAsync();

        Assert.Equal("raw hello\n", string.Concat(frames.Select(f => f.Text)));
        Assert.All(frames, f => Assert.Equal(WebSocketMessageType.Binary, f.Type));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.Socket.CloseStatus);
        Assert.Equal("exited 0", ws.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task Interactive_TextFrameIsALine_EmptyFrameIsEof()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("""
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            )

            func main() {
            	fmt.Print("name? ")
            	in := bufio.NewScanner(os.Stdin)
            	for in.Scan() {
            		fmt.Printf("Hello, %s!\n", in.Text())
            	}
            	fmt.Println("bye")
            	os.Exit(3)
            }
            """));

        var output = "";
        while (await ws.ReceiveAsync() is { } frame)
        {
            output += frame.Text;
            if (output == "name? ")
            {
                await ws.SendTextAsync("Ada");
            }
            else if (output.EndsWith("Hello, Ada!\n", StringComparison.Ordinal))
            {
                await ws.SendTextAsync("");
            }
        }

        Assert.Equal("name? Hello, Ada!\nbye\n", output);
        Assert.Equal("exited 3", ws.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task Bytes_InvalidUtf8AndCharactersSplitAcrossFrames_PassExactlyBothWays()
    {
        // Out: two invalid bytes, then a euro sign whose last byte comes in a later write.
        // In: é split across two frames, then bytes that are not UTF-8; the program prints
        // what it read in hex, then echoes it.
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("""
            package main

            import (
            	"encoding/hex"
            	"fmt"
            	"io"
            	"os"
            	"time"
            )

            func main() {
            	os.Stdout.Write([]byte{0xff, 0xfe, 'a', 0xe2, 0x82})
            	time.Sleep(300 * time.Millisecond)
            	os.Stdout.Write([]byte{0xac, '\n'})
            	data, _ := io.ReadAll(os.Stdin)
            	fmt.Println(hex.EncodeToString(data))
            	os.Stdout.Write(data)
            }
            """));
        await ws.SendBinaryAsync([0xc3]);
        await ws.SendBinaryAsync([0xa9, 0xff, 0x80, (byte)'\n']);
        await ws.SendBinaryAsync([]);

        var received = new List<byte>();
        while (await ws.ReceiveBytesAsync() is { } frame)
        {
            Assert.Equal(WebSocketMessageType.Binary, frame.Type);
            received.AddRange(frame.Data);
        }

        byte[] expected = [0xff, 0xfe, (byte)'a', 0xe2, 0x82, 0xac, (byte)'\n', .. "c3a9ff800a\n"u8, 0xc3, 0xa9, 0xff, 0x80, (byte)'\n'];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(received.ToArray()));
        Assert.Equal("exited 0", ws.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task BuildError_ErrorTextThenReasonBuildError()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("package main\n\nfunc main() { undefinedThing() }\n"));
        var frames = await ws.ReceiveUntilCloseAsync();

        Assert.Contains("undefined: undefinedThing", string.Concat(frames.Select(f => f.Text)), StringComparison.Ordinal);
        Assert.Equal("build-error", ws.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task CtrlC_KillsTheProgram()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n"));
        Assert.Equal("spinning\n", (await ws.ReceiveAsync())!.Value.Text);
        await ws.SendTextAsync("\u0003");

        var rest = await ws.ReceiveUntilCloseAsync();
        Assert.Equal("killed", ws.Socket.CloseStatusDescription);
        Assert.Contains("killed", string.Concat(rest.Select(f => f.Text)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OversizedFrame_1009_AndForeignOrigin_403()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, Tty("package main\n\nimport \"os\"\n\nfunc main() { os.Stdin.Read(make([]byte, 1)) }\n"));
        await ws.SendBinaryAsync(new byte[(2 << 20) + 1]);
        await ws.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, ws.Socket.CloseStatus);

        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, Tty("package main"), "https://evil.example"));
    }

    [Fact]
    public async Task NoProgram_400AndUnknownSnippet_404()
    {
        Assert.Equal(HttpStatusCode.BadRequest, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/ws/v1/tty", null));
        Assert.Equal(HttpStatusCode.NotFound, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/ws/v1/tty?id=doesNotExist", null));
        Assert.Equal(HttpStatusCode.BadRequest, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, Tty("package main", "&mode=fast"), null));
    }
}
