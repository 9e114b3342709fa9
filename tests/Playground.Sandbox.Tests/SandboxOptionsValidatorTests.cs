namespace Playground.Sandbox.Tests;

public sealed class SandboxOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new SandboxOptionsValidator().Validate(null, new SandboxOptions()).Succeeded);
    }

    [Fact]
    public void Validate_TmpfsNotWellUnderMemory_Fails()
    {
        var result = new SandboxOptionsValidator().Validate(null, new SandboxOptions { MemoryBytes = 64L << 20, TmpfsBytes = 48L << 20 });

        Assert.True(result.Failed);
        Assert.Contains("TmpfsBytes", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveLimit_Fails()
    {
        var result = new SandboxOptionsValidator().Validate(null, new SandboxOptions { PidsLimit = 0, RunWallTime = TimeSpan.Zero });

        Assert.Contains("PidsLimit", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("RunWallTime", result.FailureMessage, StringComparison.Ordinal);
    }
}
