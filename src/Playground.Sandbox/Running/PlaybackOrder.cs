
namespace Playground.Sandbox.Running;

/// <summary>
/// Orders a playback run's output as the official playground does: each stream's output
/// grouped per instant, the two streams merged by fake time (stderr first on ties), and each
/// event's delay the nanoseconds since the last event that moved the clock, at most
/// <see cref="MaxDelayNs"/>.
/// </summary>
internal static class PlaybackOrder
{
    /// <summary>
    /// One hour. A program controls its fake clock (a long sleep, or frames it writes itself),
    /// and clients wait out each delay: a delay of centuries (or one past what a browser timer
    /// holds, about 24.8 days) would hang or overflow them.
    /// </summary>
    public const long MaxDelayNs = 3_600_000_000_000;

    public static List<RunEvent> Merge(IEnumerable<(long TimeNs, bool IsStdout, string Text)> output)
    {
        var stdout = Group(output, isStdout: true);
        var stderr = Group(output, isStdout: false);
        var merged = new List<RunEvent>(stdout.Count + stderr.Count);
        var now = PlaybackDecoder.EpochNs;
        int i = 0, j = 0;
        while (i < stdout.Count || j < stderr.Count)
        {
            // Upstream takes stdout only when it is strictly earlier.
            var takeStdout = j >= stderr.Count || (i < stdout.Count && stdout[i].TimeNs < stderr[j].TimeNs);
            var (time, text) = takeStdout ? stdout[i++] : stderr[j++];
            var delay = Math.Clamp(time - now, 0, MaxDelayNs);
            now = Math.Max(now, time);
            merged.Add((takeStdout ? RunEvent.Stdout(text) : RunEvent.Stderr(text)) with { DelayNs = delay });
        }

        return merged;
    }

    private static List<(long TimeNs, string Text)> Group(IEnumerable<(long TimeNs, bool IsStdout, string Text)> output, bool isStdout)
    {
        var list = new List<(long TimeNs, string Text)>();
        foreach (var (time, _, text) in output.Where(o => o.IsStdout == isStdout && o.Text.Length > 0))
        {
            if (list.Count > 0 && list[^1].TimeNs == time)
            {
                list[^1] = (time, list[^1].Text + text);
            }
            else
            {
                list.Add((time, text));
            }
        }

        return list;
    }
}
