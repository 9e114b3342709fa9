namespace Playground.Sandbox.Toolchains;

/// <summary>A run's toolchain was still being prepared when the run stopped waiting for it.</summary>
internal sealed class ToolchainPreparingException(Toolchain toolchain, int retryAfterSeconds)
    : Exception($"{toolchain.Name} ({toolchain.Version}) is still being prepared on this server. Try again in {retryAfterSeconds} s, or choose another version.")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
