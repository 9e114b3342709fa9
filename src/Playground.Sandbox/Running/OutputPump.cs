using System.Text;
using System.Threading.Channels;
using Playground.Sandbox.Containers;

namespace Playground.Sandbox.Running;

/// <summary>
/// Streams a container's stdout and stderr to the run's events as they are produced, each
/// decoded as UTF-8 on its own (a character split across reads is kept whole), up to a byte
/// cap. Live events also carry the exact bytes behind their text (<see cref="RunEvent.Raw"/>). It always reads to the end of the stream: past the cap, or once delivery is cut off,
/// output is dropped rather than left unread, because the engine blocks a container's exit
/// and a kill on an attach stream nobody reads.
/// <para>
/// It also watches for the launcher's exit trailer (see Images/launcher/main.go): once both
/// streams carry it, everything the program wrote has been delivered and
/// <see cref="ExitReported"/> completes with the status, without waiting for the engine.
/// Bytes that could be the start of a trailer are held back until the next read tells; only
/// a NUL byte starts one, so ordinary output is never delayed.
/// </para>
/// <para>
/// With <c>playback</c>, the program was built with faketime: its framed output is decoded
/// (<see cref="PlaybackDecoder"/>) and delivered when the program ends, merged by fake time
/// into events with their delays.
/// </para>
/// </summary>
internal sealed class OutputPump(IContainerStream stream, ChannelWriter<RunEvent> events, long limit, string nonce, bool playback = false)
{
    /// <summary>"\0goplay-exit:" + nonce + ":"; three status digits, ":", ten digits of peak KiB and a newline follow.</summary>
    private readonly byte[] _marker = Encoding.ASCII.GetBytes("\0goplay-exit:" + nonce + ":");
    private readonly TaskCompletionSource _limitReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<LauncherReport> _exitReported = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _stderrHead = new byte[32];
    private int _stderrHeadLength;
    private long _total;

    /// <summary>
    /// Playback output, held until the program has ended: the engine copies stdout and stderr
    /// separately, so arrival order is not fake-time order, and delays are only right once
    /// both streams are merged by time (<see cref="PlaybackOrder"/>).
    /// </summary>
    private readonly List<(long TimeNs, bool IsStdout, string Text)> _held = [];

    private int TrailerLength => _marker.Length + 15;

    /// <summary>Completes when the output cap is reached.</summary>
    public Task LimitReached => _limitReached.Task;

    /// <summary>Completes with the launcher's report once both streams carried its trailer.</summary>
    public Task<LauncherReport> ExitReported => _exitReported.Task;

    /// <summary>Whether the first bytes the program wrote to stderr start with <paramref name="prefix"/>.</summary>
    public bool StderrStartsWith(ReadOnlySpan<byte> prefix) =>
        _stderrHeadLength >= prefix.Length && _stderrHead.AsSpan(0, prefix.Length).SequenceEqual(prefix);

    public async Task RunAsync(CancellationToken deliver, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var output = new StreamState(isStdout: true, buffer.Length + TrailerLength, playback);
        var errors = new StreamState(isStdout: false, buffer.Length + TrailerLength, playback);
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length + TrailerLength) + 4];
        var delivering = true;

        async Task Emit(StreamState state, ReadOnlyMemory<byte> bytes, bool flush)
        {
            if (state.Playback is { } decoder)
            {
                state.Segments.Clear();
                decoder.Feed(bytes.Span, state.Segments);
                if (flush)
                {
                    decoder.Finish(state.Segments);
                }

                for (var i = 0; i < state.Segments.Count; i++)
                {
                    var (timeNs, segment) = state.Segments[i];
                    await EmitText(state, segment, flush && i == state.Segments.Count - 1, timeNs).ConfigureAwait(false);
                }

                if (flush && state.Segments.Count == 0)
                {
                    await EmitText(state, ReadOnlyMemory<byte>.Empty, flush: true, PlaybackDecoder.EpochNs).ConfigureAwait(false);
                }

                return;
            }

            await EmitText(state, bytes, flush, null).ConfigureAwait(false);
        }

        async Task EmitText(StreamState state, ReadOnlyMemory<byte> bytes, bool flush, long? timeNs)
        {
            if (!state.IsStdout && _stderrHeadLength < _stderrHead.Length)
            {
                var take = Math.Min(bytes.Length, _stderrHead.Length - _stderrHeadLength);
                bytes.Span[..take].CopyTo(_stderrHead.AsSpan(_stderrHeadLength));
                _stderrHeadLength += take;
            }

            var count = (int)Math.Min(bytes.Length, limit - _total);
            _total += count;
            if (count < bytes.Length)
            {
                flush = true;
                _limitReached.TrySetResult();
            }

            var n = state.Decoder.GetChars(bytes.Span[..count], chars, flush);
            if (timeNs is null && delivering)
            {
                state.Unsent.Write(bytes.Span[..count]);
            }

            if (n == 0 || !delivering)
            {
                // Live: the start of a character split across reads goes with the next event.
                return;
            }

            var text = new string(chars, 0, n);
            if (timeNs is { } t)
            {
                _held.Add((t, state.IsStdout, text));
                return;
            }

            var raw = state.Unsent.ToArray();
            state.Unsent.SetLength(0);
            await Deliver((state.IsStdout ? RunEvent.Stdout(text) : RunEvent.Stderr(text)) with { Raw = raw }).ConfigureAwait(false);
        }

        async Task Deliver(RunEvent e)
        {
            try
            {
                await events.WriteAsync(e, deliver).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                delivering = false;
            }
        }

        async Task ReleaseHeld()
        {
            foreach (var e in PlaybackOrder.Merge(_held))
            {
                if (!delivering)
                {
                    break;
                }

                await Deliver(e).ConfigureAwait(false);
            }

            _held.Clear();
        }

        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.Eof)
            {
                foreach (var state in new[] { output, errors })
                {
                    if (!state.Ended && !LimitReached.IsCompleted && delivering)
                    {
                        await Emit(state, state.Pending.AsMemory(0, state.PendingLength), flush: true).ConfigureAwait(false);
                    }
                }

                await ReleaseHeld().ConfigureAwait(false);
                return;
            }

            var current = read.IsStdout ? output : errors;
            if (current.Ended)
            {
                continue;
            }

            Array.Copy(buffer, 0, current.Pending, current.PendingLength, read.Count);
            current.PendingLength += read.Count;
            while (current.PendingLength > 0)
            {
                var (deliverable, report) = Scan(current.Pending.AsSpan(0, current.PendingLength));
                if (!LimitReached.IsCompleted && delivering && deliverable > 0)
                {
                    await Emit(current, current.Pending.AsMemory(0, deliverable), flush: report is not null).ConfigureAwait(false);
                }

                if (report is { } ended)
                {
                    current.Ended = true;
                    current.PendingLength = 0;
                    if (output.Ended && errors.Ended)
                    {
                        await ReleaseHeld().ConfigureAwait(false);
                        _exitReported.TrySetResult(ended);
                    }

                    break;
                }

                if (deliverable == 0)
                {
                    // What is left may be the start of a trailer: wait for the next read.
                    break;
                }

                current.PendingLength -= deliverable;
                Array.Copy(current.Pending, deliverable, current.Pending, 0, current.PendingLength);
            }
        }
    }

    /// <summary>
    /// How many leading bytes are output for sure, and the launcher's report when a whole
    /// trailer follows them.
    /// </summary>
    internal (int Deliverable, LauncherReport? Report) Scan(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf(_marker);
        if (at >= 0)
        {
            if (data.Length - at < TrailerLength)
            {
                return (at, null);
            }

            var status = data.Slice(at + _marker.Length, 3);
            var peak = data.Slice(at + _marker.Length + 4, 10);
            var valid = data[at + _marker.Length + 3] == (byte)':' && data[at + TrailerLength - 1] == (byte)'\n' &&
                status.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 && peak.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
            // The nonce makes an invalid trailer impossible from the launcher; treat one as output.
            return valid ? (at, new LauncherReport((int)Digits(status), Digits(peak) * 1024)) : (at + 1, null);
        }

        // The longest tail that is a proper prefix of the marker waits for more bytes.
        for (var k = Math.Min(_marker.Length - 1, data.Length); k > 0; k--)
        {
            if (data[^k..].SequenceEqual(_marker.AsSpan(0, k)))
            {
                return (data.Length - k, null);
            }
        }

        return (data.Length, null);
    }

    private static long Digits(ReadOnlySpan<byte> digits)
    {
        long value = 0;
        foreach (var d in digits)
        {
            value = (value * 10) + (d - '0');
        }

        return value;
    }

    private sealed class StreamState(bool isStdout, int capacity, bool playback)
    {
        public bool IsStdout { get; } = isStdout;

        public PlaybackDecoder? Playback { get; } = playback ? new PlaybackDecoder() : null;

        public List<(long TimeNs, byte[] Bytes)> Segments { get; } = [];

        public Decoder Decoder { get; } = Encoding.UTF8.GetDecoder();

        /// <summary>Live output bytes not yet sent with an event (a split character's start).</summary>
        public MemoryStream Unsent { get; } = new();

        /// <summary>Bytes read but not yet delivered: the tail that may begin a trailer.</summary>
        public byte[] Pending { get; } = new byte[capacity];

        public int PendingLength { get; set; }

        public bool Ended { get; set; }
    }
}

/// <summary>How the program ended, as the launcher saw it: status (exit code or 128+signal) and peak resident memory.</summary>
internal readonly record struct LauncherReport(int Status, long PeakMemoryBytes);
