using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Sandbox.Containers;
using Playground.Testing;

namespace Playground.Pipeline.Tests;

/// <summary>
/// Every transport over the fake engine: the hub, /ws/v1/run, /ws/v1/tty, /socket, the go.dev
/// API (/compile, /fmt, /vet, /share): each maps the pipeline's events and outcomes to its
/// wire form, and tools are admitted by their slots.
/// </summary>
[Collection(FakeAppTests.Name)]
public sealed class TransportTests(FakeApp app)
{
    private static string Source(params string[] steps) => PipelineTests.Program(steps).Source!;

    [Fact]
    public async Task Hub_RunWithStdin_ThenKillByMessage_EndsKilledFromTheServer()
    {
        await using var connection = await app.ConnectAsync();
        var stdin = Channel.CreateUnbounded<string>();
        var events = new List<RunEvent>();
        await foreach (var e in connection.StreamAsync<RunEvent>("Run", new RunRequest { Source = Source("echo", "hang") }, stdin.Reader))
        {
            events.Add(e);
            if (e.Kind == RunEventKind.Built)
            {
                await stdin.Writer.WriteAsync("ping\n");
            }
            else if (e.Kind == RunEventKind.Stdout && string.Concat(events.Where(x => x.Kind == RunEventKind.Stdout).Select(x => x.Data)) == "ping\n")
            {
                // End of input lets echo finish; hang then waits for the kill.
                stdin.Writer.TryComplete();
                await connection.InvokeAsync("Kill");
            }
        }

        Assert.Equal(RunOutcome.Killed, events[^1].Outcome);
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task RunSocket_JsonEventsAndExitCode()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/run");
        await ws.SendJsonAsync(RunSocketMessage.Start(new RunRequest { Source = Source("out hi\\n", "exit 4") }));
        var events = await ws.ReceiveRunAsync();

        Assert.Equal("hi\n", string.Concat(events.Where(e => e.GetProperty("kind").GetString() == "stdout").Select(e => e.GetProperty("data").GetString())));
        Assert.Equal("exited", events[^1].GetProperty("outcome").GetString());
        Assert.Equal(4, events[^1].GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Tty_ByteExactBothWays_CloseSaysTheOutcome()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/ws/v1/tty?code=" + Uri.EscapeDataString(Source("out \\xff\\xe2\\x82", "out \\xac\\n", "echo", "exit 2")));
        // Invalid UTF-8, and a euro sign split across two frames.
        await ws.SendBinaryAsync([0xfe, 0xe2]);
        await ws.SendBinaryAsync([0x82, 0xac]);
        await ws.SendTextAsync("");

        var received = new List<byte>();
        while (await ws.ReceiveBytesAsync() is { } frame)
        {
            received.AddRange(frame.Data);
        }

        Assert.Equal([0xff, 0xe2, 0x82, 0xac, (byte)'\n', 0xfe, 0xe2, 0x82, 0xac], received);
        Assert.Equal("exited 2", ws.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task PlaygroundSocket_OutputThenEndWithTheStatus()
    {
        await using var ws = await WebSocketClient.ConnectAsync(app.BaseAddress, "/socket");
        await ws.SendJsonAsync(new { Id = "1", Kind = "run", Body = Source("out hello\\n", "exit 3") });

        var messages = new List<JsonElement>();
        while (await ws.ReceiveAsync(TimeSpan.FromSeconds(10)) is { } frame)
        {
            var message = JsonDocument.Parse(frame.Text).RootElement.Clone();
            messages.Add(message);
            if (message.GetProperty("Kind").GetString() == "end")
            {
                break;
            }
        }

        Assert.Equal(["stdout", "end"], messages.Select(m => m.GetProperty("Kind").GetString()));
        Assert.Equal("hello\n", messages[0].GetProperty("Body").GetString());
        Assert.Equal("exit status 3", messages[1].GetProperty("Body").GetString());
    }

    [Fact]
    public async Task Compile_EventsStatusAndBuildErrors_AsGoDev()
    {
        var ok = await PostFormAsync("/compile", ("body", Source("out a\\n", "err b\\n", "exit 1")));
        Assert.Equal(1, ok.GetProperty("Status").GetInt32());
        // Written at the same fake instant: stderr first, as upstream orders ties.
        Assert.Equal(["stderr", "stdout"], ok.GetProperty("Events").EnumerateArray().Select(e => e.GetProperty("Kind").GetString()));
        Assert.Equal("", ok.GetProperty("Errors").GetString());

        var failed = await PostFormAsync("/compile", ("body", Source("build-error ./prog.go:4:2: undefined: y\\n")));
        Assert.Equal("./prog.go:4:2: undefined: y\n", failed.GetProperty("Errors").GetString());
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("Events").ValueKind);
    }

    [Fact]
    public async Task Compile_TestProgram_TestsFailedFromTheBinarysResult()
    {
        const string Failing = "package main\n\nimport \"testing\"\n\n//fake:out === RUN   TestA\\n--- FAIL: TestA (0.00s)\\n\n//fake:err --- FAIL: not a result line\\n\n//fake:exit 1\n\nfunc TestA(t *testing.T) { t.Fail() }\n";
        var failed = await PostFormAsync("/compile", ("body", Failing));
        Assert.True(failed.GetProperty("IsTest").GetBoolean());
        Assert.Equal(1, failed.GetProperty("TestsFailed").GetInt32());

        // Result-like lines from a passing test binary are not failures.
        var passed = await PostFormAsync("/compile", ("body", Failing.Replace("//fake:exit 1", "//fake:exit 0", StringComparison.Ordinal)));
        Assert.Equal(0, passed.GetProperty("TestsFailed").GetInt32());
    }

    [Fact]
    public async Task Fmt_TwentyAtOnce_NeverMoreBuildersThanToolSlots()
    {
        app.Engine.ResetCounters();
        var requests = Enumerable.Range(0, 20).Select(i => PostFormAsync("/fmt", ("body", "package main\n\nfunc main() {\n    println(" + i + ")   \n}\n"))).ToArray();
        var answers = await Task.WhenAll(requests);

        Assert.All(answers.Select((a, i) => (a, i)), x => Assert.Equal("package main\n\nfunc main() {\n\tprintln(" + x.i + ")\n}\n", x.a.GetProperty("Body").GetString()));
        Assert.InRange(app.Engine.MaxConcurrentBuilders, 1, 2);
        Assert.Equal(20, app.Engine.Created.Count(c => c.Spec!.Role == ContainerRole.Builder));
        await app.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Vet_FindingsAndABadGoModRefusedAsARunWould()
    {
        var finding = await PostFormAsync("/vet", ("body", Source("vet ./prog.go:3:1: suspicious\\n")));
        Assert.Equal("./prog.go:3:1: suspicious\n", finding.GetProperty("Errors").GetString());

        app.Engine.ResetCounters();
        var refused = await PostFormAsync("/vet", ("body", "-- go.mod --\nmodule play\n\ngo 1.21\n\nreplace example.com/x => ../outside\n-- prog.go --\n" + Source()));
        Assert.StartsWith("go.mod:5: replace to ../outside points outside the submitted files.", refused.GetProperty("Errors").GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Engine.Created);
    }

    [Fact]
    public async Task Share_StoredAndServedBack()
    {
        var source = Source("out shared " + Guid.NewGuid().ToString("N") + "\\n");
        using var shared = await app.Http.PostAsync(new Uri(app.BaseAddress, "/share"), new StringContent(source));
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        var id = await shared.Content.ReadAsStringAsync();

        Assert.Equal(source, await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/p/" + id + ".go")));
    }

    private async Task<JsonElement> PostFormAsync(string path, params (string Key, string Value)[] fields)
    {
        using var response = await app.Http.PostAsync(new Uri(app.BaseAddress, path), new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, path + " answered " + (int)response.StatusCode + ": " + text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
