using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class RequestOptionsTests
{
    private const string Toolchain = "go1.19.8";

    [Theory]
    [InlineData(null)]
    [InlineData("go1.19.8")]
    [InlineData("1.19.8")]
    [InlineData("go1.19")]
    [InlineData("1.19")]
    public void Check_ToolchainVersion_Accepted(string? version)
    {
        Assert.Null(RequestOptions.Check(new RunRequest { GoVersion = version }, Toolchain));
    }

    [Theory]
    [InlineData("go1.21")]
    [InlineData("1.1")]
    [InlineData("go1.19.80")]
    public void Check_OtherGoVersion_RejectedNamingTheToolchain(string version)
    {
        Assert.Contains("this server has go1.19.8", RequestOptions.Check(new RunRequest { GoVersion = version }, Toolchain), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnsupportedOptions_RejectedNotIgnored()
    {
        Assert.Null(RequestOptions.Check(new RunRequest { Mode = RunMode.Playback }, Toolchain));
        Assert.Null(RequestOptions.Check(new RunRequest { WithVet = true }, Toolchain));
        Assert.Contains("Build flags", RequestOptions.Check(new RunRequest { BuildFlags = ["-race"] }, Toolchain), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_TooManyOrOversizedArgs_Rejected()
    {
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = Enumerable.Repeat("a", 65).ToArray() }, Toolchain));
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = [new string('a', 1025)] }, Toolchain));
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = ["a\0b"] }, Toolchain));
        Assert.Null(RequestOptions.Check(new RunRequest { Args = ["-n", "3"] }, Toolchain));
    }
}
