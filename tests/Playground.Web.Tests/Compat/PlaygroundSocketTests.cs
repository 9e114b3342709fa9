using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Playground.Web.Tests.Infrastructure;
using Playground.Testing;

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
    public async Task Kill_RunningProgram_OnlyEndSaysSignalKilled()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"1","Kind":"run","Body":"package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"spinning\")\n\tfor {\n\t}\n}\n"}""");
        Assert.Equal("{\"Id\":\"1\",\"Kind\":\"stdout\",\"Body\":\"spinning\\n\"}\n", (await ws.ReceiveAsync())!.Value.Text);

        await ws.SendTextAsync("""{"Id":"1","Kind":"kill"}""");
        await ws.SendTextAsync("""{"Id":"1","Kind":"kill"}""");

        // As os/exec reports a kill: no "Program was killed." on stderr before it.
        Assert.Equal(["{\"Id\":\"1\",\"Kind\":\"end\",\"Body\":\"signal: killed\"}\n"], await RunAsync(ws, "1"));
    }

    [Fact]
    public async Task NotPackageMain_OnlyEndSaysExecutableProgramsMustUsePackageMain()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"n","Kind":"run","Body":"package lib\n\nfunc F() int { return 1 }\n"}""");

        Assert.Equal(["{\"Id\":\"n\",\"Kind\":\"end\",\"Body\":\"executable programs must use \\\"package main\\\"\"}\n"], await RunAsync(ws, "n"));
    }

    [Theory]
    [InlineData("", "exit status 1")]
    [InlineData("?go=1.19", "exit status 2")]
    public async Task BuildError_CompilerOutputWithBannerThenTheGoCommandsExitStatus(string query, string end)
    {
        // go build exits 2 on a compile error up to Go 1.19 and 1 since; the reference reports
        // whatever its go command did.
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket" + query);
        await ws.SendTextAsync("""{"Id":"2","Kind":"run","Body":"package main\n\nfunc main() { nope() }\n"}""");

        Assert.Equal(
            ["{\"Id\":\"2\",\"Kind\":\"stderr\",\"Body\":\"# play\\n./prog.go:3:15: undefined: nope\\n\"}\n", $"{{\"Id\":\"2\",\"Kind\":\"end\",\"Body\":\"{end}\"}}\n"],
            await RunAsync(ws, "2"));
    }

    [Fact]
    public async Task BuildError_InASubPackage_BannerNamesThatPackage()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        var body = "package main\n\nimport \"example.com/demo/util\"\n\nfunc main() { util.F() }\n-- go.mod --\nmodule example.com/demo\n\ngo 1.21\n-- util/util.go --\npackage util\n\nfunc F() { missing() }\n";
        await ws.SendJsonAsync(new { Id = "3", Kind = "run", Body = body });

        var frames = await RunAsync(ws, "3");
        Assert.Equal(2, frames.Count);
        using var stderr = JsonDocument.Parse(frames[0]);
        Assert.Equal("stderr", stderr.RootElement.GetProperty("Kind").GetString());
        Assert.Equal("# example.com/demo/util\nutil/util.go:3:12: undefined: missing\n", stderr.RootElement.GetProperty("Body").GetString());
        Assert.Equal("{\"Id\":\"3\",\"Kind\":\"end\",\"Body\":\"exit status 1\"}\n", frames[1]);
    }

    [Fact]
    public async Task Output_OfOneKindCoalescedOver10ms_AKindChangeSendsWhatIsGathered()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        // Ten lines a millisecond apart: gathered into one message, or a few should a 10 ms
        // window close between them on a busy machine (the engine merges some writes of its own,
        // so SocketOutputTests shows the window on a clock it moves). Then stderr, then stdout
        // again, each long after: kinds are never mixed, and stdout and stderr are separate
        // pipes that only time orders.
        const string program = "package main\n\nimport (\n\t\"os\"\n\t\"time\"\n)\n\nfunc main() {\n\ttime.Sleep(300 * time.Millisecond)\n\tfor i := 0; i < 10; i++ {\n\t\tos.Stdout.WriteString(\"x\\n\")\n\t\ttime.Sleep(time.Millisecond)\n\t}\n\ttime.Sleep(300 * time.Millisecond)\n\tos.Stderr.WriteString(\"e\")\n\ttime.Sleep(300 * time.Millisecond)\n\tos.Stdout.WriteString(\"y\")\n}\n";
        await ws.SendJsonAsync(new { Id = "c", Kind = "run", Body = program });

        var messages = (await RunAsync(ws, "c")).Select(f => JsonDocument.Parse(f).RootElement).Select(m => (Kind: m.GetProperty("Kind").GetString(), Body: m.GetProperty("Body").GetString())).ToList();
        var xs = messages.TakeWhile(m => m.Kind == "stdout").ToList();
        Assert.Equal(string.Concat(Enumerable.Repeat("x\n", 10)), string.Concat(xs.Select(m => m.Body)));
        Assert.InRange(xs.Count, 1, 3);
        Assert.Equal([("stderr", "e"), ("stdout", "y"), ("end", "")], messages.Skip(xs.Count).ToList());
    }

    [Fact]
    public async Task Output_Past1000Messages_ProcessKilledAndOnlyTheEndFollows()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        // Would print forever (the live time limit would end it with a message of its own).
        const string program = "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfor i := 0; ; i++ {\n\t\tfmt.Println(i)\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}\n";
        var started = Stopwatch.StartNew();
        await ws.SendJsonAsync(new { Id = "f", Kind = "run", Body = program });

        var messages = (await RunAsync(ws, "f")).Select(f => JsonDocument.Parse(f).RootElement).Select(m => (Kind: m.GetProperty("Kind").GetString(), Body: m.GetProperty("Body").GetString()!)).ToList();
        Assert.Equal(("end", "signal: killed"), messages[^1]);
        Assert.All(messages[..^1], m => Assert.Equal("stdout", m.Kind));
        var lines = string.Concat(messages[..^1].Select(m => m.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The output is the program's, from its first line, cut at about a thousand writes.
        Assert.Equal(Enumerable.Range(0, lines.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)), lines);
        Assert.InRange(lines.Length, 900, 3000);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"ended after {started.Elapsed}: by a time limit, not the message limit");
    }

    [Fact]
    public async Task RaceOption_SaysRunningWithRaceDetectorAndThatTheSandboxHasNone()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"r","Kind":"run","Body":"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"raced\") }\n","Options":{"Race":true}}""");

        Assert.Equal(
            [
                "{\"Id\":\"r\",\"Kind\":\"stderr\",\"Body\":\"Running with race detector.\\nThe race detector is not available in this sandbox (it needs cgo); the program runs without it.\\n\"}\n",
                "{\"Id\":\"r\",\"Kind\":\"stdout\",\"Body\":\"raced\\n\"}\n",
                "{\"Id\":\"r\",\"Kind\":\"end\",\"Body\":\"\"}\n",
            ],
            await RunAsync(ws, "r"));
    }

    [Fact]
    public async Task Script_NotRun_OnlyEndSaysScriptExecutionIsNotAllowed()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendTextAsync("""{"Id":"s","Kind":"run","Body":"  #!/bin/sh\necho hello from the host\n"}""");

        Assert.Equal(["{\"Id\":\"s\",\"Kind\":\"end\",\"Body\":\"script execution is not allowed\"}\n"], await RunAsync(ws, "s"));
    }

    [Fact]
    public async Task Origin_Disallowed_403()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/socket", "http://elsewhere.example:3999"));
    }

    [Fact]
    public async Task Origin_ConfiguredHostWithOrWithoutPort_AsTheReferenceAccepts()
    {
        // Configured: http://tour.example:3999 (WebAppFixture.TourOrigin); this server: 127.0.0.1:port.
        foreach (var origin in new[] { WebAppFixture.TourOrigin, "http://tour.example", $"http://127.0.0.1:{app.BaseAddress.Port}", "http://127.0.0.1" })
        {
            await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket", origin);
            await ws.SendTextAsync("""{"Id":"o","Kind":"run","Body":"package main\n\nfunc main() {}\n"}""");
            Assert.Equal(["{\"Id\":\"o\",\"Kind\":\"end\",\"Body\":\"\"}\n"], await RunAsync(ws, "o"));
        }

        // Another port, another scheme, another host: refused.
        foreach (var origin in new[] { "http://tour.example:4000", "https://tour.example", "http://tour.example.evil" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/socket", origin));
        }

        // Only /socket is lenient: GoPlay's own sockets compare origins exactly.
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketClient.RefusedStatusAsync(app.BaseAddress, "/ws/v1/run", "http://tour.example"));
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
