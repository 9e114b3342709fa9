using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Playground.Sandbox.Runs;

/// <summary>
/// Passes a test run's events on and counts the failures the test binary reports: the
/// <c>TestsFailed</c> of its final event.
/// </summary>
/// <remarks>
/// <para>
/// The count comes from the binary's own verdicts. Its exit status first: a test binary exits 0
/// only when every test, subtest, example and fuzz seed passed, so such a run counts 0 whatever
/// the program printed. Otherwise each result line the testing package writes for a failure
/// counts (go.dev's number, for a program that prints no lookalikes): under <c>-test.v</c> it writes
/// <c>--- FAIL: Name (0.00s)</c> at the start of a line of stdout, indented four spaces per
/// level for a subtest, for each test, subtest, example and fuzz seed that failed (a failed
/// subtest fails its parent too, so both count). Only whole stdout lines of exactly that form
/// count; text on stderr or within a line does not.
/// </para>
/// <para>
/// What this cannot tell: a program that fails and also prints such a line itself, on stdout at
/// the start of a line, is counted once more for it. The testing package's framed mode
/// (<c>-test.v=test2json</c>) marks its own lines, but it also points the program's
/// <c>os.Stderr</c> at stdout (go.dev/issue/33419), prints subtests' results in another order and
/// escapes log output, and Go 1.19 does not have it; its only other record, an unexported
/// counter, needs a link to the runtime's internals to read. Both would change what users see
/// or what compiles, so the output the user sees is what is read.
/// </para>
/// </remarks>
internal sealed partial class TestFailureCounter(ChannelWriter<RunEvent> inner) : ChannelWriter<RunEvent>
{
    /// <summary>Longer lines are no result line (test names are identifiers and short subtest names).</summary>
    private const int MaxLine = 4096;

    private readonly Lock _gate = new();
    private readonly StringBuilder _line = new();
    private bool _overlong;
    private int _failed;

    /// <summary>The final count for a run that ended with <paramref name="outcome"/> and <paramref name="exitCode"/>.</summary>
    public int Failed(RunOutcome outcome, int? exitCode)
    {
        if (outcome == RunOutcome.Exited && exitCode == 0)
        {
            return 0;
        }

        lock (_gate)
        {
            return _failed;
        }
    }

    public override bool TryWrite(RunEvent item)
    {
        if (!inner.TryWrite(item))
        {
            return false;
        }

        if (item.Kind == RunEventKind.Stdout && item.Data is { Length: > 0 } text)
        {
            lock (_gate)
            {
                Scan(text);
            }
        }

        return true;
    }

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);

    public override bool TryComplete(Exception? error = null) => inner.TryComplete(error);

    /// <summary>Adds a piece of stdout; lines may be split across pieces.</summary>
    internal void Scan(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            var end = text.IndexOf('\n');
            var piece = end < 0 ? text : text[..end];
            if (!_overlong && _line.Length + piece.Length <= MaxLine)
            {
                _line.Append(piece);
            }
            else
            {
                _overlong = true;
            }

            if (end < 0)
            {
                return;
            }

            if (!_overlong && FailureLine().IsMatch(_line.ToString()))
            {
                _failed++;
            }

            _line.Clear();
            _overlong = false;
            text = text[(end + 1)..];
        }
    }

    // testing's report: "--- FAIL: %s (%s)\n" with fmtDuration's "%.2fs", through an indenter of
    // four spaces per level; a name holds no white space (subtest names have it replaced).
    [GeneratedRegex(@"^(?: {4})*--- FAIL: \S+ \(\d+\.\d\ds\)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex FailureLine();
}
