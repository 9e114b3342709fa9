using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Images;

namespace Playground.Sandbox.Toolchains;

/// <summary>An installed Go toolchain: where it is and the version it reports.</summary>
internal sealed record Toolchain(ToolchainEntry Entry, string GoRoot, string Version, GoVersion Parsed)
{
    /// <summary><c>go1.27</c>: the release, as go.dev's <c>/version</c> names it.</summary>
    public string Release => "go" + Parsed.Language;

    public string Name => "Go " + Parsed.Language;
}

/// <summary>The configured toolchains as found on this host: installed ones newest first, and the missing ones with the reason.</summary>
internal sealed record ToolchainList(IReadOnlyList<Toolchain> Installed, IReadOnlyList<MissingToolchain> Missing)
{
    /// <summary>The newest installed version: what a run without a version (or with <c>latest</c>) uses.</summary>
    public Toolchain? Default => Installed.Count > 0 ? Installed[0] : null;

    /// <summary>The newest installed version of an older release than the default (go.dev's <c>goprev</c>).</summary>
    public Toolchain? Previous => Default is { } d ? Installed.FirstOrDefault(t => t.Release != d.Release) : null;

    /// <summary>
    /// The toolchain a request names: null or empty, <c>latest</c>; <c>previous</c> (or go.dev's
    /// <c>goprev</c>); a release (<c>1.26</c>, <c>go1.26</c>: its newest installed version) or an
    /// exact version (<c>1.26.10</c>). Never a fallback to another version: an unknown one is an
    /// error that lists what there is.
    /// </summary>
    public ToolchainChoice Resolve(string? requested)
    {
        var want = requested?.Trim() ?? "";
        if (Default is null)
        {
            return new ToolchainChoice(null, "No Go toolchain is installed on this server" + MissingSuffix() + ".");
        }

        switch (want.ToLowerInvariant())
        {
            case "" or "latest" or "go":
                return new ToolchainChoice(Default, null);
            case "previous" or "goprev":
                return Previous is { } previous
                    ? new ToolchainChoice(previous, null)
                    : new ToolchainChoice(null, $"There is no previous Go release on this server; it has {Describe()}.");
            case "tip" or "gotip" or "devel":
                return new ToolchainChoice(null, $"There is no development build of Go on this server; it has {Describe()}.");
        }

        if (GoVersion.TryParse(want, out var version))
        {
            var exact = want.Count(c => c == '.') >= 2;
            var match = Installed.FirstOrDefault(t => exact ? t.Parsed == version : t.Parsed.Language == version.Language);
            if (match is not null)
            {
                return new ToolchainChoice(match, null);
            }

            var missing = Missing.FirstOrDefault(m => m.Entry.Release == version.Language);
            if (missing is not null)
            {
                return new ToolchainChoice(null, $"Go {version.Language} is configured but {missing.Reason}; this server has {Describe()}.");
            }
        }

        return new ToolchainChoice(null, $"Go version \"{Truncate(want)}\" is not available; this server has {Describe()}.");
    }

    /// <summary>"go1.27.4 (latest), go1.26.11 (previous), go1.25.12": the versions a refusal lists.</summary>
    public string Describe() => string.Join(", ", Installed.Select(t =>
        t == Default ? t.Version + " (latest)" : t == Previous ? t.Version + " (previous)" : t.Version));

    private string MissingSuffix() => Missing.Count == 0 ? "" : " (" + string.Join("; ", Missing.Select(m => m.Entry.Text + ": " + m.Reason)) + ")";

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>The outcome of resolving a requested version: a toolchain, or why there is none.</summary>
internal sealed record ToolchainChoice(Toolchain? Toolchain, string? Error);

/// <summary>A configured toolchain that is not on this host.</summary>
internal sealed record MissingToolchain(ToolchainEntry Entry, string Reason);

/// <summary>
/// Finds the configured toolchains on the host once per process: each entry's GOROOT, and the
/// version its <c>go</c> reports. The set-up script fetches Debian releases into
/// <see cref="SandboxOptions.ToolchainDirectory"/>; a toolchain added later needs a restart.
/// </summary>
internal sealed partial class ToolchainCatalog(IOptions<SandboxOptions> options, ILogger<ToolchainCatalog> logger)
{
    private readonly Lock _gate = new();
    private Task<ToolchainList>? _list;

    public Task<ToolchainList> GetAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_list is null || _list.IsFaulted || _list.IsCanceled)
            {
                // Shared by every caller, so no caller's token may cancel it.
                _list = DiscoverAsync();
            }

            return _list.WaitAsync(cancellationToken);
        }
    }

    private async Task<ToolchainList> DiscoverAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var o = options.Value;
        var entries = o.EffectiveToolchains.Select(e => ToolchainEntry.TryParse(e, out var entry) ? entry : null).OfType<ToolchainEntry>().ToArray();
        var found = await Task.WhenAll(entries.Select(e => FindAsync(e, o, timeout.Token))).ConfigureAwait(false);
        var installed = new List<Toolchain>();
        var missing = new List<MissingToolchain>();
        foreach (var (entry, toolchain, reason) in found)
        {
            if (toolchain is not null)
            {
                // The host's Go may be one of the Debian releases too: one toolchain per version.
                if (installed.All(t => t.Version != toolchain.Version))
                {
                    installed.Add(toolchain);
                }
            }
            else if (reason is not null)
            {
                missing.Add(new MissingToolchain(entry, reason));
                LogMissing(logger, entry.Text, reason);
            }
        }

        installed.Sort((a, b) => b.Parsed.CompareTo(a.Parsed));
        return new ToolchainList(installed, missing);
    }

    /// <summary>One entry's toolchain, or the reason it is missing (null reason: left out quietly).</summary>
    private static async Task<(ToolchainEntry Entry, Toolchain? Toolchain, string? Reason)> FindAsync(ToolchainEntry entry, SandboxOptions o, CancellationToken cancellationToken)
    {
        string go;
        switch (entry.Kind)
        {
            case ToolchainEntryKind.Debian:
                go = Path.Combine(ToolchainEntry.DebianGoRoot(o.ToolchainDirectory, entry.Release!), "bin", "go");
                if (!File.Exists(go))
                {
                    return (entry, null, $"not installed (scripts/setup.sh unpacks golang-{entry.Release}-go into {o.ToolchainDirectory})");
                }

                break;
            case ToolchainEntryKind.GoRoot:
                go = Path.Combine(entry.Text, "bin", "go");
                if (!File.Exists(go))
                {
                    return (entry, null, $"no Go toolchain at {entry.Text}");
                }

                break;
            default:
                go = o.GoRoot is null ? "go" : Path.Combine(o.GoRoot, "bin", "go");
                break;
        }

        try
        {
            var toolchain = await ProbeAsync(entry, go, cancellationToken).ConfigureAwait(false);
            return (entry, toolchain, null);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or SandboxSetupException)
        {
            // "host" means the host's Go if it has one; a GOROOT named outright must work.
            return entry.Kind == ToolchainEntryKind.Host && o.GoRoot is null
                ? (entry, null, null)
                : (entry, null, $"{go} does not work: {e.Message}");
        }
    }

    /// <summary>Asks the toolchain's own go command where it lives and what it is.</summary>
    internal static async Task<Toolchain> ProbeAsync(ToolchainEntry entry, string go, CancellationToken cancellationToken)
    {
        // GOTOOLCHAIN=local: Go 1.21+ would otherwise switch toolchains as a go.mod nearby asks.
        var output = await HostProcess.RunAsync(go, ["env", "GOROOT", "GOVERSION"], Path.GetTempPath(),
            new Dictionary<string, string> { ["GOTOOLCHAIN"] = "local", ["GOFLAGS"] = "" }, cancellationToken).ConfigureAwait(false);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2 || !GoVersion.TryParse(lines[1], out var parsed))
        {
            throw new SandboxSetupException($"Unexpected output from '{go} env': {output}");
        }

        return new Toolchain(entry, lines[0], lines[1], parsed);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Go toolchain {Entry} is configured but {Reason}")]
    private static partial void LogMissing(ILogger logger, string entry, string reason);
}
