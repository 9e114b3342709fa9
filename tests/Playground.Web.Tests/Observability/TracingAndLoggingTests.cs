using System.Text.Json;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Observability;

/// <summary>Traces pushed over OTLP to a receiver, and the structured logs, of a real Web process.</summary>
[Collection(WebAppTests.Name)]
public sealed class TracingAndLoggingTests
{
    [Fact]
    public async Task Run_OtlpTraceHasQueueBuildExecuteUnderTheRunUnderTheRequest()
    {
        using var receiver = new OtlpReceiver();
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("otlp"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Telemetry:OtlpEndpoint=" + receiver.Endpoint, "--Telemetry:OtlpProtocol=http/protobuf",
            // The batch exporter's default is every 5 s; one second keeps the test short.
            "--OTEL_BSP_SCHEDULE_DELAY=1000");
        var marker = "secret" + Guid.NewGuid().ToString("N")[..8];

        await web.CompileAsync($"package main\n\nimport \"fmt\"\n\n// {marker}\nfunc main() {{ fmt.Println(\"{marker}\") }}\n");

        // The request's span ends after the response, so it may come in a later export batch
        // than the run's: wait for both.
        OtlpReceiver.Span? run = null;
        await Poll.UntilAsync(
            () => (run = receiver.Spans.FirstOrDefault(s => s.Name == "playground.run")) is not null && receiver.Spans.Any(s => s.SpanId == run.ParentSpanId),
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200));

        Assert.True(run is not null, "no playground.run span arrived over OTLP; received: " + string.Join(", ", receiver.Spans.Select(s => s.Name)) + "\n" + web.Log);
        var spans = receiver.Spans.Where(s => s.TraceId == run.TraceId).ToList();
        var request = Assert.Single(spans, s => s.Name == "POST /compile");
        Assert.Equal(request.SpanId, run.ParentSpanId);
        foreach (var stage in new[] { "playground.run.queue", "playground.run.build", "playground.run.execute" })
        {
            Assert.Equal(run.SpanId, Assert.Single(spans, s => s.Name == stage).ParentSpanId);
        }

        Assert.Equal("exited", run.Attributes["playground.run.outcome"]);
        Assert.Equal("http", run.Attributes["playground.transport"]);
        Assert.Equal(16, run.Attributes["playground.run.id"].Length);
        // Ids and outcomes only: neither the source nor the output is in any span.
        Assert.DoesNotContain(spans.SelectMany(s => s.Attributes.Values), v => v.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runs_JsonLogsCarryRunIdsAndNoSourceOrOutputAboveDebug()
    {
        var marker = "secret" + Guid.NewGuid().ToString("N")[..8];
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("logs"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Logging:Console:FormatterName=json", "--Logging:Console:FormatterOptions:IncludeScopes=true",
            // Everything is logged, Debug included, so the test sees every line a run produces.
            "--Logging:LogLevel:Default=Debug");

        // Output on stdout and stderr, a build error that quotes the source, and a panic.
        await web.CompileAsync($"package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n// {marker}\nfunc main() {{ fmt.Println(\"{marker}\"); fmt.Fprintln(os.Stderr, \"{marker}\") }}\n");
        await web.CompileAsync($"package main\n\nfunc main() {{ {marker}() }}\n");
        await web.CompileAsync($"package main\n\nfunc main() {{ panic(\"{marker}\") }}\n");

        var entries = web.Log.Split('\n')
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToList();
        var finished = entries.Where(e => e.GetProperty("Message").GetString()!.Contains("finished", StringComparison.Ordinal)
            && e.GetProperty("Category").GetString() == "Playground.Sandbox.Runs.SandboxRunService").ToList();
        Assert.Equal(2, finished.Count);
        foreach (var entry in finished)
        {
            Assert.Equal("Information", entry.GetProperty("LogLevel").GetString());
            var runId = entry.GetProperty("State").GetProperty("RunId").GetString()!;
            Assert.Matches("^[0-9a-f]{16}$", runId);
            // The scope carries the same id (and the transport) to every line of the run.
            Assert.Contains(entry.GetProperty("Scopes").EnumerateArray(), s => s.TryGetProperty("RunId", out var id) && id.GetString() == runId
                && s.GetProperty("Transport").GetString() == "http");
        }

        var leaks = entries.Where(e => e.GetProperty("LogLevel").GetString() is not ("Debug" or "Trace")
            && e.GetRawText().Contains(marker, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "user source or output logged above Debug:\n" + string.Join("\n", leaks.Select(l => l.GetRawText())));
    }
}
