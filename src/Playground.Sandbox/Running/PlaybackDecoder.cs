using System.Buffers.Binary;

namespace Playground.Sandbox.Running;

/// <summary>
/// Decodes one output stream of a program built with <c>-tags=faketime</c>. That runtime
/// frames each write to stdout or stderr as <c>"\0\0PB" | u64 fake time (ns) | u32 length |
/// bytes</c>, big-endian. Bytes outside a frame (written before the runtime's clock started,
/// or by the launcher) belong to the time of the last frame, as in the upstream playground;
/// a frame's time never goes backwards. Input may be split anywhere between reads.
/// </summary>
internal sealed class PlaybackDecoder
{
    /// <summary>The fake clock's start, 2009-11-10 23:00:00 UTC, in Unix nanoseconds.</summary>
    public const long EpochNs = 1_257_894_000_000_000_000;

    private const int HeaderLength = 4 + 8 + 4;
    private static readonly byte[] Magic = [0, 0, (byte)'P', (byte)'B'];

    private readonly byte[] _pending = new byte[HeaderLength];
    private int _pendingLength;
    private long _payloadLeft;
    private long _time = EpochNs;

    /// <summary>Decodes <paramref name="data"/> and adds each piece of output with its fake time.</summary>
    public void Feed(ReadOnlySpan<byte> data, List<(long TimeNs, byte[] Bytes)> output)
    {
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var take = (int)Math.Min(_payloadLeft, data.Length);
                Add(output, data[..take]);
                _payloadLeft -= take;
                data = data[take..];
                continue;
            }

            if (_pendingLength > 0)
            {
                // A header begun in an earlier read: complete it or prove it was not one.
                var take = Math.Min(HeaderLength - _pendingLength, data.Length);
                data[..take].CopyTo(_pending.AsSpan(_pendingLength));
                var have = _pendingLength + take;
                var magicSeen = Math.Min(have, Magic.Length);
                if (!_pending.AsSpan(0, magicSeen).SequenceEqual(Magic.AsSpan(0, magicSeen)))
                {
                    // Not a header after all: the first held byte is output; rescan the rest.
                    Add(output, _pending.AsSpan(0, 1));
                    var rest = _pending.AsSpan(1, _pendingLength - 1).ToArray();
                    _pendingLength = 0;
                    Feed(rest, output);
                    continue;
                }

                _pendingLength = have;
                data = data[take..];
                if (have == HeaderLength)
                {
                    _pendingLength = 0;
                    StartFrame(_pending);
                }

                continue;
            }

            var at = data.IndexOf(Magic);
            if (at < 0)
            {
                // No header here; hold back a tail that may be the start of one.
                var keep = TailMatchingMagic(data);
                Add(output, data[..^keep]);
                data[^keep..].CopyTo(_pending);
                _pendingLength = keep;
                return;
            }

            Add(output, data[..at]);
            data = data[at..];
            if (data.Length < HeaderLength)
            {
                data.CopyTo(_pending);
                _pendingLength = data.Length;
                return;
            }

            StartFrame(data[..HeaderLength]);
            data = data[HeaderLength..];
        }
    }

    /// <summary>At the end of the stream: a held-back partial header is output after all.</summary>
    public void Finish(List<(long TimeNs, byte[] Bytes)> output)
    {
        if (_pendingLength > 0)
        {
            Add(output, _pending.AsSpan(0, _pendingLength));
            _pendingLength = 0;
        }
    }

    private void StartFrame(ReadOnlySpan<byte> header)
    {
        var time = (long)BinaryPrimitives.ReadUInt64BigEndian(header[4..]);
        _time = Math.Max(_time, time);
        _payloadLeft = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }

    private void Add(List<(long TimeNs, byte[] Bytes)> output, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (output.Count > 0 && output[^1].TimeNs == _time)
        {
            // One event per instant, as upstream: a big write split by reads stays one event.
            output[^1] = (_time, [.. output[^1].Bytes, .. bytes]);
            return;
        }

        output.Add((_time, bytes.ToArray()));
    }

    private static int TailMatchingMagic(ReadOnlySpan<byte> data)
    {
        for (var k = Math.Min(Magic.Length - 1, data.Length); k > 0; k--)
        {
            if (data[^k..].SequenceEqual(Magic.AsSpan(0, k)))
            {
                return k;
            }
        }

        return 0;
    }
}
