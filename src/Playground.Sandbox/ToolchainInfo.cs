using System.Text.Json.Serialization;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox;

/// <summary>The Go toolchains the sandbox builds with, for the API's version routes.</summary>
public interface IToolchainInfo
{
    /// <summary>Every configured version, newest first, with its state; missing ones last.</summary>
    Task<IReadOnlyList<GoVersionInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The version a request names (see <see cref="RunRequest.GoVersion"/>), or why there is none.</summary>
    Task<(GoVersionInfo? Version, string? Error)> ResolveAsync(string? requested, CancellationToken cancellationToken);

    /// <summary>
    /// True while the server's background preparation still runs (the versions, then vet's
    /// facts for each): ready versions run meanwhile, but builds share the CPU with it.
    /// </summary>
    bool Warming { get; }
}

/// <summary>One Go version as <c>GET /versions</c> reports it.</summary>
public sealed record GoVersionInfo(
    string Version,
    string Release,
    string Name,
    GoVersionState State,
    [property: JsonPropertyName("default")] bool IsDefault,
    [property: JsonPropertyName("previous")] bool IsPrevious,
    string? Message);

/// <summary>Where a version stands: runs wait for <c>preparing</c> and are refused for the others but <c>ready</c>.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<GoVersionState>))]
public enum GoVersionState
{
    Ready,
    Preparing,
    Failed,
    Unavailable,
}

internal sealed class ToolchainInfo(ToolchainCatalog catalog, SandboxReadiness readiness) : IToolchainInfo
{
    public bool Warming => !readiness.Settled;

    public async Task<IReadOnlyList<GoVersionInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var list = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
        return
        [
            .. list.Installed.Select(t => Describe(list, t)),
            .. list.Missing.Select(Unavailable),
        ];
    }

    public async Task<(GoVersionInfo? Version, string? Error)> ResolveAsync(string? requested, CancellationToken cancellationToken)
    {
        var list = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
        var choice = list.Resolve(requested);
        return choice.Toolchain is { } t ? (Describe(list, t), null) : (null, choice.Error);
    }

    /// <summary>A configured toolchain that is not installed: named by its release, or by its entry when it has none.</summary>
    private static GoVersionInfo Unavailable(MissingToolchain m)
    {
        var release = m.Entry.Release is { } r ? "go" + r : m.Entry.Text;
        var name = m.Entry.Release is { } n ? "Go " + n : m.Entry.Text;
        return new GoVersionInfo(release, release, name, GoVersionState.Unavailable, IsDefault: false, IsPrevious: false, m.Reason);
    }

    private GoVersionInfo Describe(ToolchainList list, Toolchain t)
    {
        var (state, message) = readiness.StateOf(t);
        return new GoVersionInfo(t.Version, t.Release, t.Name, state, t == list.Default, t == list.Previous, message);
    }
}
