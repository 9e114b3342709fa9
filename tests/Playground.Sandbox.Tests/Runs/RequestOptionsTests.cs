using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class RequestOptionsTests
{
    [Fact]
    public void Check_UnsupportedOptions_RejectedNotIgnored()
    {
        Assert.Null(RequestOptions.Check(new RunRequest { Mode = RunMode.Playback }));
        Assert.Null(RequestOptions.Check(new RunRequest { WithVet = true }));
        Assert.Null(RequestOptions.Check(new RunRequest { GoVersion = "1.26" }));
        Assert.Contains("Build flags", RequestOptions.Check(new RunRequest { BuildFlags = ["-race"] }), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_TooManyOrOversizedArgs_Rejected()
    {
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = Enumerable.Repeat("a", 65).ToArray() }));
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = [new string('a', 1025)] }));
        Assert.NotNull(RequestOptions.Check(new RunRequest { Args = ["a\0b"] }));
        Assert.Null(RequestOptions.Check(new RunRequest { Args = ["-n", "3"] }));
    }
}
