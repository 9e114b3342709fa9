using System.Text;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Infrastructure;

/// <summary>Collects a run's events and gives the views tests assert on.</summary>
public sealed class RunRecording(IReadOnlyList<RunEvent> events)
{
    public IReadOnlyList<RunEvent> Events { get; } = events;

    public RunEvent Final => Assert.Single(Events, e => e.IsFinal);

    public string Stdout => Concat(RunEventKind.Stdout);

    public string Stderr => Concat(RunEventKind.Stderr);

    private string Concat(RunEventKind kind) =>
        Events.Where(e => e.Kind == kind).Aggregate(new StringBuilder(), (sb, e) => sb.Append(e.Data)).ToString();

    public static Task<RunRecording> RunAsync(IRunService runs, string source, RunInput? input = null, TimeSpan? limit = null) =>
        RunAsync(runs, new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = source } }, input, limit);

    public static async Task<RunRecording> RunAsync(IRunService runs, RunRequest request, RunInput? input = null, TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(2));
        var events = new List<RunEvent>();
        await foreach (var e in runs.RunAsync(request, input ?? RunInput.None, cts.Token))
        {
            events.Add(e);
        }

        var recording = new RunRecording(events);
        Assert.True(events[^1].IsFinal, "the last event ends the run");
        return recording;
    }
}
