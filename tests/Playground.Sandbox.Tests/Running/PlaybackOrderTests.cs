using Playground.Sandbox.Running;

namespace Playground.Sandbox.Tests.Running;

public sealed class PlaybackOrderTests
{
    private const long Epoch = PlaybackDecoder.EpochNs;

    [Fact]
    public void Merge_InterleavedByTimeStderrFirstOnTiesDelaysFromLastMove()
    {
        // Arrival order differs from fake-time order, as it can between two pipes.
        var merged = PlaybackOrder.Merge([(Epoch, true, "a"), (Epoch + 10, true, "c"), (Epoch + 5, false, "b"), (Epoch + 10, false, "tie"), (Epoch + 10, true, "d")]);

        Assert.Equal(
            [(RunEventKind.Stdout, "a", 0L), (RunEventKind.Stderr, "b", 5L), (RunEventKind.Stderr, "tie", 5L), (RunEventKind.Stdout, "cd", 0L)],
            merged.Select(e => (e.Kind, e.Data, e.DelayNs ?? -1)).ToList());
    }

    [Fact]
    public void Merge_StderrArrivingFirst_StillInTimeOrder()
    {
        // What the engine did in one run: the later stderr write reached the server first.
        var merged = PlaybackOrder.Merge([(Epoch + 3_600_000_000_001, false, "to stderr\n"), (Epoch, true, "start\n"), (Epoch + 3_600_000_000_000, true, "later\n")]);

        Assert.Equal(
            [(RunEventKind.Stdout, "start\n", 0L), (RunEventKind.Stdout, "later\n", 3_600_000_000_000L), (RunEventKind.Stderr, "to stderr\n", 1L)],
            merged.Select(e => (e.Kind, e.Data, e.DelayNs ?? -1)).ToList());
    }

    [Fact]
    public void Merge_DelayOfCenturies_ClampedToAnHourAndLaterDelaysStayTrue()
    {
        // A program can write playback frames itself, with any time: 252 years was seen.
        var forged = Epoch + (252L * 365 * 24 * 3_600_000_000_000);
        var merged = PlaybackOrder.Merge([(Epoch, true, "a"), (forged, true, "b"), (forged + 7, true, "c")]);

        Assert.Equal(
            [("a", 0L), ("b", PlaybackOrder.MaxDelayNs), ("c", 7L)],
            merged.Select(e => (e.Data, e.DelayNs ?? -1)).ToList());
    }

    [Fact]
    public void Merge_NoOutput_Empty() => Assert.Empty(PlaybackOrder.Merge([]));
}
