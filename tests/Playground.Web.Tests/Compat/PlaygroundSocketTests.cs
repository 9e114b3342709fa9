using System.Net;
using System.Text.Json;
using Playground.Web.Tests.Infrastructure;
using Playground.Web.Tests.Terminals;

namespace Playground.Web.Tests.Compat;

/// <summary>
/// <c>/socket</c> with the frame sequences <c>golang.org/x/tools/playground/socket</c> produces:
/// JSON objects ending in a newline, output, then one <c>end</c>.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class PlaygroundSocketTests(WebAppFixture app)
{
    private static async Task<List<string>> RunAsync(WebSocketClient ws, string id)
    {
        var frames = new List<string>();
        while (await ws.ReceiveAsync() is { } frame)
        {
            frames.Add(frame.Text);
            using var message = JsonDocument.Parse(frame.Text);
            if (message.RootElement.GetProperty("Id").GetString() == id && message.RootElement.GetProperty("Kind").GetString() == "end")
            {
                return frames;
            }
        }

        throw new InvalidOperationException("closed before end");
    }

    [Fact]
    public async Task Run_Hello_StdoutThenEndWithEmptyBody()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"0","Kind":"run","Body":"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"Hello, present\") }\n","Options":{"Race":false,"Future":[1,2]}}""");

        Assert.Equal(
            ["{\"Id\":\"0\",\"Kind\":\"stdout\",\"Body\":\"Hello, present\\n\"}\n", "{\"Id\":\"0\",\"Kind\":\"end\",\"Body\":\"\"}\n"],
            await RunAsync(ws, "0"));
    }

    [Fact]
    public async Task Run_ExitAndStderr_EndSaysExitStatus3()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"7","Kind":"run","Body":"package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Fprintln(os.Stderr, \"bad\")\n\tos.Exit(3)\n}\n"}""" + "\n");

        Assert.Equal(
            ["{\"Id\":\"7\",\"Kind\":\"stderr\",\"Body\":\"bad\\n\"}\n", "{\"Id\":\"7\",\"Kind\":\"end\",\"Body\":\"exit status 3\"}\n"],
            await RunAsync(ws, "7"));
    }

    [Fact]
    public async Task Kill_RunningProgram_EndSaysSignalKilled()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"1","Kind":"run","Body":"package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n"}""");
        Assert.Equal("{\"Id\":\"1\",\"Kind\":\"stdout\",\"Body\":\"spinning\\n\"}\n", (await ws.ReceiveAsync())!.Value.Text);

        await ws.SendTextAsync("""{"Id":"1","Kind":"kill"}""");
        var frames = await RunAsync(ws, "1");
        Assert.Equal("{\"Id\":\"1\",\"Kind\":\"end\",\"Body\":\"signal: killed\"}\n", frames[^1]);
    }

    [Fact]
    public async Task BuildError_OnStderrThenExitStatus1()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"2","Kind":"run","Body":"package main\n\nfunc main() { nope() }\n"}""");
        var frames = await RunAsync(ws, "2");

        Assert.Contains("undefined: nope", frames[0], StringComparison.Ordinal);
        Assert.StartsWith("{\"Id\":\"2\",\"Kind\":\"stderr\",", frames[0], StringComparison.Ordinal);
        Assert.Equal("{\"Id\":\"2\",\"Kind\":\"end\",\"Body\":\"exit status 1\"}\n", frames[^1]);
    }

    [Fact]
    public async Task Origin_Disallowed_403()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/socket", "http://elsewhere.example:3999"));
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(3, "exit status 3")]
    [InlineData(137, "signal: killed")]
    [InlineData(139, "signal: segmentation fault")]
    [InlineData(134, "signal: aborted")]
    public void ExitStatus_AsGoReportsIt(int code, string expected) =>
        Assert.Equal(expected, Playground.Web.Compat.PlaygroundSocketEndpoint.ExitStatus(code));
}
