using System.Buffers.Binary;
using System.Text;
using Playground.Sandbox.Running;

namespace Playground.Sandbox.Tests.Running;

public sealed class PlaybackDecoderTests
{
    private const long Epoch = PlaybackDecoder.EpochNs;

    private static byte[] Frame(long time, string text)
    {
        var body = Encoding.UTF8.GetBytes(text);
        var frame = new byte[16 + body.Length];
        "\0\0PB"u8.CopyTo(frame);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(4), (ulong)time);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(12), (uint)body.Length);
        body.CopyTo(frame, 16);
        return frame;
    }

    private static List<(long, string)> Decode(params byte[][] reads)
    {
        var decoder = new PlaybackDecoder();
        var output = new List<(long TimeNs, byte[] Bytes)>();
        foreach (var read in reads)
        {
            decoder.Feed(read, output);
        }

        decoder.Finish(output);
        return output.Select(o => (o.TimeNs, Encoding.UTF8.GetString(o.Bytes))).ToList();
    }

    [Fact]
    public void Feed_TwoFrames_EachWithItsTime() =>
        Assert.Equal(
            [(Epoch, "a\n"), (Epoch + 3_600_000_000_000, "b\n")],
            Decode([.. Frame(Epoch, "a\n"), .. Frame(Epoch + 3_600_000_000_000, "b\n")]));

    [Fact]
    public void Feed_SplitAtEveryByte_SameResult()
    {
        byte[] all = [.. Frame(Epoch + 5, "hello "), .. Frame(Epoch + 5, "world\n"), .. Frame(Epoch + 9, "x")];
        Assert.Equal(
            [(Epoch + 5, "hello world\n"), (Epoch + 9, "x")],
            Decode(all.Select(b => new[] { b }).ToArray()));
    }

    [Fact]
    public void Feed_HeaderSplitAcrossReads_Decoded()
    {
        var frame = Frame(Epoch + 7, "split");
        Assert.Equal([(Epoch + 7, "split")], Decode(frame[..2], frame[2..9], frame[9..]));
    }

    [Fact]
    public void Feed_BytesOutsideFrames_KeepTheLastTime() =>
        Assert.Equal(
            [(Epoch, "before"), (Epoch + 2, "in after")],
            Decode([.. "before"u8.ToArray(), .. Frame(Epoch + 2, "in"), .. " after"u8.ToArray()]));

    [Fact]
    public void Feed_TimeGoingBackwards_ClampedToLast() =>
        Assert.Equal(
            [(Epoch + 10, "ab")],
            Decode([.. Frame(Epoch + 10, "a"), .. Frame(Epoch + 4, "b")]));

    [Fact]
    public void Feed_NulBytesThatStartNoHeader_AreOutput() =>
        Assert.Equal([(Epoch, "a\0\0Px\0")], Decode("a\0"u8.ToArray(), "\0Px"u8.ToArray(), "\0"u8.ToArray()));
}
