using System.Threading.Channels;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class TestFailureCounterTests
{
    private static (TestFailureCounter Counter, Channel<RunEvent> Channel) Counter()
    {
        var channel = Channel.CreateUnbounded<RunEvent>();
        return (new TestFailureCounter(channel.Writer), channel);
    }

    [Fact]
    public async Task Failed_ResultLinesOfTestsAndSubtests_EachCountedAndEveryEventPassedOn()
    {
        var (counter, channel) = Counter();
        string[] stdout =
        [
            "=== RUN   TestA\n    prog_test.go:5: no\n--- FAIL: TestA (0.00s)\n=== RUN   TestB\n",
            "=== RUN   TestB/sub\n    prog_test.go:9: no\n--- FAIL: TestB (0.01s)\n    --- FA",
            "IL: TestB/sub (0.00s)\n        --- FAIL: TestB/sub/deeper#01 (12.34s)\nFAIL\n",
        ];

        foreach (var piece in stdout)
        {
            await counter.WriteAsync(RunEvent.Stdout(piece));
        }

        Assert.Equal(4, counter.Failed(RunOutcome.Exited, 1));
        Assert.Equal(3, channel.Reader.Count);
    }

    [Fact]
    public async Task Failed_LookalikesOnStderrWithinALineOrMisshapen_NotCounted()
    {
        var (counter, _) = Counter();

        await counter.WriteAsync(RunEvent.Stderr("--- FAIL: TestA (0.00s)\n"));
        await counter.WriteAsync(RunEvent.Stdout("say --- FAIL: TestA (0.00s)\n"));
        await counter.WriteAsync(RunEvent.Stdout("--- FAIL: TestA (0.00s) and more\n"));
        await counter.WriteAsync(RunEvent.Stdout("--- FAIL: TestA\n  --- FAIL: TestA (0.00s)\n--- FAIL: two words (0.00s)\n"));
        // A line with no end yet is no result line.
        await counter.WriteAsync(RunEvent.Stdout("--- FAIL: TestA (0.00s)"));

        Assert.Equal(0, counter.Failed(RunOutcome.Exited, 1));
    }

    [Fact]
    public async Task Failed_BinaryExitedZero_NoneWhateverItPrinted()
    {
        var (counter, _) = Counter();

        await counter.WriteAsync(RunEvent.Stdout("--- FAIL: TestA (0.00s)\n"));

        Assert.Equal(0, counter.Failed(RunOutcome.Exited, 0));
        Assert.Equal(1, counter.Failed(RunOutcome.Timeout, null));
    }

    [Fact]
    public async Task Failed_OverlongLine_NotCountedAndNextLineStillIs()
    {
        var (counter, _) = Counter();

        await counter.WriteAsync(RunEvent.Stdout(new string('x', 5000)));
        await counter.WriteAsync(RunEvent.Stdout("--- FAIL: TestA (0.00s)\n--- FAIL: TestB (0.00s)\n"));

        Assert.Equal(1, counter.Failed(RunOutcome.Exited, 1));
    }
}
