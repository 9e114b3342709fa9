using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Tests.Infrastructure;

/// <summary>The configured Go toolchains, for tests that run on every version.</summary>
public static class ConfiguredToolchains
{
    /// <summary>The default <c>Sandbox:Toolchains</c> entries (1.27 … 1.21 and the host's Go): one case each.</summary>
    public static TheoryData<string> Entries => [.. SandboxOptions.DefaultToolchains];

    /// <summary>
    /// The installed toolchain behind a configured entry, prepared. Fails loudly when it is
    /// missing: `bash scripts/test.sh` unpacks every release (scripts/toolchains.sh) and the
    /// host's Go comes from Debian's golang-go.
    /// </summary>
    internal static async Task<(Toolchain Toolchain, Images.SandboxImageSet Images)> PrepareAsync(SandboxInstance sandbox, string entry)
    {
        var list = await sandbox.Services.GetRequiredService<ToolchainCatalog>().GetAsync(CancellationToken.None);
        var toolchain = entry == ToolchainEntry.Host
            ? list.Installed.FirstOrDefault(t => t.Entry.Kind == ToolchainEntryKind.Host)
            : list.Installed.FirstOrDefault(t => t.Entry.Release == entry);
        if (toolchain is null)
        {
            Assert.Fail($"Go toolchain '{entry}' is not installed ({string.Join("; ", list.Missing.Select(m => m.Entry.Text + ": " + m.Reason))}). `bash scripts/test.sh` installs every configured toolchain first (scripts/toolchains.sh, and golang-go for the host's).");
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var images = await sandbox.Services.GetRequiredService<SandboxReadiness>().EnsureAsync(toolchain, cts.Token);
        return (toolchain, images);
    }
}
