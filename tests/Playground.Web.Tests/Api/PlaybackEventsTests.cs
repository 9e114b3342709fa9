using Playground.Sandbox.Running;
using Playground.Sandbox.Runs;
using Playground.Web.Api;

namespace Playground.Web.Tests.Api;

public sealed class PlaybackEventsTests
{
    private const long Epoch = PlaybackDecoder.EpochNs;

    private static RunEvent Out(string text, long time) => RunEvent.Stdout(text) with { PlaybackTimeNs = time };

    private static RunEvent Err(string text, long time) => RunEvent.Stderr(text) with { PlaybackTimeNs = time };

    [Fact]
    public void Merge_InterleavedByTimeStderrFirstOnTiesDelaysFromLastMove()
    {
        // Arrival order differs from fake-time order, as it can between two pipes.
        var merged = PlaybackEvents.Merge([Out("a", Epoch), Out("c", Epoch + 10), Err("b", Epoch + 5), Err("tie", Epoch + 10), Out("d", Epoch + 10)]);

        Assert.Equal(
            [new CompileEvent("a", "stdout", 0), new CompileEvent("b", "stderr", 5), new CompileEvent("tie", "stderr", 5), new CompileEvent("cd", "stdout", 0)],
            merged);
    }

    [Fact]
    public void Merge_NoOutput_Null() => Assert.Null(PlaybackEvents.Merge([RunEvent.Built(false, 1)]));
}
