using System.Text;
using System.Threading.Channels;
using Playground.Sandbox.Running;

namespace Playground.Sandbox.Tests.Running;

public sealed class OutputPumpTests
{
    private const string Nonce = "00112233445566778899aabbccddeeff";
    private static readonly OutputPump Pump = new(null!, Channel.CreateUnbounded<RunEvent>().Writer, 1024, Nonce);

    private static (int, LauncherReport?) Scan(string data) => Pump.Scan(Encoding.ASCII.GetBytes(data));

    private static LauncherReport Report(int status, long peakKiB) => new(status, peakKiB * 1024);

    [Fact]
    public void Scan_PlainOutput_AllDeliverable() => Assert.Equal((11, null), Scan("hello\nworld"));

    [Fact]
    public void Scan_OutputThenTrailer_OutputAndStatus() =>
        Assert.Equal((6, Report(3, 1850)), Scan("hello\n\0goplay-exit:" + Nonce + ":003:0000001850\n"));

    [Fact]
    public void Scan_TrailerSplitAcrossReads_HeldBackUntilWhole()
    {
        Assert.Equal((2, null), Scan("ab\0goplay-ex"));
        Assert.Equal((2, null), Scan("ab\0goplay-exit:" + Nonce + ":25"));
        Assert.Equal((2, null), Scan("ab\0goplay-exit:" + Nonce + ":255:000000"));
        Assert.Equal((0, Report(255, 9_999_999_999)), Scan("\0goplay-exit:" + Nonce + ":255:9999999999\n"));
    }

    [Fact]
    public void Scan_ForgedTrailerWithAnotherNonce_IsOutput()
    {
        var forged = "\0goplay-exit:ffffffffffffffffffffffffffffffff:000:0000000001\n";
        Assert.Equal((forged.Length, null), Scan(forged));
    }

    [Fact]
    public void Scan_TrailerWithoutNewline_NotAStatus() =>
        Assert.Equal((1, null), Scan("\0goplay-exit:" + Nonce + ":003:0000000001x"));

    [Fact]
    public void Scan_TrailerWithNonDigitPeak_NotAStatus() =>
        Assert.Equal((1, null), Scan("\0goplay-exit:" + Nonce + ":003:00000000x1\n"));

    [Fact]
    public void Scan_NulThatStartsNoTrailer_DeliveredOnceDisproved()
    {
        Assert.Equal((2, null), Scan("a\0\0"[..2] + "\0"));
        Assert.Equal((4, null), Scan("a\0bc"));
    }
}
