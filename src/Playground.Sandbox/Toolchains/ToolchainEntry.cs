using System.Globalization;
using System.Text.RegularExpressions;

namespace Playground.Sandbox.Toolchains;

/// <summary>One configured <c>Sandbox:Toolchains</c> entry: a Debian release, the host's Go, or a GOROOT path.</summary>
internal sealed partial record ToolchainEntry(string Text, ToolchainEntryKind Kind, string? Release)
{
    public const string Host = "host";

    public static bool TryParse(string? text, out ToolchainEntry entry)
    {
        entry = null!;
        var t = text?.Trim() ?? "";
        if (t == Host)
        {
            entry = new ToolchainEntry(t, ToolchainEntryKind.Host, null);
            return true;
        }

        if (Path.IsPathFullyQualified(t))
        {
            entry = new ToolchainEntry(t, ToolchainEntryKind.GoRoot, null);
            return true;
        }

        if (ReleasePattern().IsMatch(t))
        {
            entry = new ToolchainEntry(t, ToolchainEntryKind.Debian, t);
            return true;
        }

        return false;
    }

    /// <summary>Where a Debian release's GOROOT lies once the set-up unpacked <c>golang-1.NN-go</c> and <c>-src</c>.</summary>
    public static string DebianGoRoot(string toolchainDirectory, string release) =>
        Path.Combine(toolchainDirectory, release, "usr", "lib", "go-" + release);

    [GeneratedRegex(@"^1\.\d{1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex ReleasePattern();
}

internal enum ToolchainEntryKind
{
    Debian,
    Host,
    GoRoot,
}

/// <summary>A Go version as the toolchain reports it (<c>go1.27.4</c>), compared numerically.</summary>
public readonly partial record struct GoVersion(int Major, int Minor, int Patch) : IComparable<GoVersion>
{
    /// <summary>Parses <c>go1.27.4</c>, <c>1.27.4</c>, <c>go1.27</c>, <c>1.27</c> and <c>1.21rc1</c> (as 1.21.0).</summary>
    public static bool TryParse(string? text, out GoVersion version)
    {
        version = default;
        var m = Pattern().Match(text?.Trim() ?? "");
        if (!m.Success)
        {
            return false;
        }

        version = new GoVersion(
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        return true;
    }

    /// <summary>The language version, <c>1.27</c>: what a go.mod's go line and <c>-lang</c> say.</summary>
    public string Language => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    public int CompareTo(GoVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    public static bool operator <(GoVersion a, GoVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(GoVersion a, GoVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(GoVersion a, GoVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(GoVersion a, GoVersion b) => a.CompareTo(b) >= 0;

    [GeneratedRegex(@"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(?:rc|beta)\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
