using System.Buffers.Binary;
using System.Text;
using Playground.Sandbox.Building;
using Playground.Sandbox.Running;

namespace Playground.Sandbox.Tests.Running;

public sealed class HandOffTests
{
    [Fact]
    public void HandOff_ArgsEnvAndBinary_EncodedAsLauncherReadsThem()
    {
        byte[] nonce = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        var frame = GoRunner.HandOff(nonce, [1, 2, 3], ["-v"], ["HOME=/tmp", "TZ=UTC"]);

        Assert.Equal("GPL2", Encoding.ASCII.GetString(frame.AsSpan(0, 4)));
        Assert.Equal(nonce, frame[4..20]);
        var span = frame.AsSpan(16);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(span[4..]));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(span[8..]));
        Assert.Equal("-v", Encoding.UTF8.GetString(span.Slice(12, 2)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(span[14..]));
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64BigEndian(span[^11..]));
        Assert.Equal(new byte[] { 1, 2, 3 }, span[^3..].ToArray());
    }

    [Fact]
    public void ProgramEnvironment_ExactAllowList()
    {
        var env = GoRunner.ProgramEnvironment(new SandboxOptions { Cpus = 0.5 });

        Assert.Equal(["HOME=/tmp", "TMPDIR=/tmp", "PATH=/", "TZ=UTC", "GOMAXPROCS=1"], env);
    }

    [Fact]
    public void Parse_BinaryOverCap_BuildError()
    {
        var head = Encoding.UTF8.GetBytes("{\"status\":\"ok\",\"output\":\"\"}");
        var frame = new byte[4 + head.Length + 8];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)head.Length);
        head.CopyTo(frame, 4);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(4 + head.Length), 100ul << 20);

        var result = GoBuilder.Parse(frame, 64L << 20, TimeSpan.Zero);

        Assert.Equal(BuildStatus.BuildError, result.Status);
        Assert.Contains("over the 64 MiB limit", result.Output, StringComparison.Ordinal);
    }
}
