namespace Playground.Sandbox;

/// <summary>The Go toolchain the sandbox builds with.</summary>
public interface IToolchainInfo
{
    /// <summary>The toolchain's version, e.g. <c>go1.19.8</c>; waits for the sandbox images.</summary>
    Task<string> GetVersionAsync(CancellationToken cancellationToken);
}

internal sealed class ToolchainInfo(SandboxReadiness readiness) : IToolchainInfo
{
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken) =>
        (await readiness.EnsureAsync(cancellationToken).ConfigureAwait(false)).GoVersion;
}
