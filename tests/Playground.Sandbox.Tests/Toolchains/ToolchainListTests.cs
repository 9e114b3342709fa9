using Playground.Sandbox.Runs;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Tests.Toolchains;

/// <summary>How a requested Go version resolves against the installed toolchains (pure logic; the real toolchains are in ToolchainRunTests).</summary>
public sealed class ToolchainListTests
{
    private static readonly ToolchainList List = new(
        [Make("go1.27.4"), Make("go1.26.11"), Make("go1.26.3"), Make("go1.21.13"), Make("go1.19.8")],
        [new MissingToolchain(new ToolchainEntry("1.23", ToolchainEntryKind.Debian, "1.23"), "not installed")]);

    private static Toolchain Make(string version)
    {
        Assert.True(GoVersion.TryParse(version, out var parsed));
        return new Toolchain(new ToolchainEntry(parsed.Language, ToolchainEntryKind.Debian, parsed.Language), "/goroot/" + version, version, parsed);
    }

    [Theory]
    [InlineData(null, "go1.27.4")]
    [InlineData("", "go1.27.4")]
    [InlineData("latest", "go1.27.4")]
    [InlineData("previous", "go1.26.11")]
    [InlineData("goprev", "go1.26.11")]
    [InlineData("1.26", "go1.26.11")]
    [InlineData("go1.26", "go1.26.11")]
    [InlineData("1.26.3", "go1.26.3")]
    [InlineData("go1.26.3", "go1.26.3")]
    [InlineData(" 1.21 ", "go1.21.13")]
    [InlineData("1.19", "go1.19.8")]
    public void Resolve_KnownForms_ChooseThatToolchain(string? requested, string expected)
    {
        var choice = List.Resolve(requested);

        Assert.Null(choice.Error);
        Assert.Equal(expected, choice.Toolchain!.Version);
    }

    [Theory]
    [InlineData("1.30")]
    [InlineData("1.26.99")]
    [InlineData("go2")]
    [InlineData("banana")]
    public void Resolve_UnknownVersion_RefusedWithTheList(string requested)
    {
        var choice = List.Resolve(requested);

        Assert.Null(choice.Toolchain);
        Assert.Contains("is not available", choice.Error, StringComparison.Ordinal);
        Assert.Contains("go1.27.4 (latest), go1.26.11 (previous), go1.26.3, go1.21.13, go1.19.8", choice.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_Tip_RefusedAsNoDevelopmentBuild()
    {
        var choice = List.Resolve("gotip");

        Assert.Null(choice.Toolchain);
        Assert.StartsWith("There is no development build of Go on this server; it has go1.27.4 (latest)", choice.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ConfiguredButMissing_SaysWhy()
    {
        var choice = List.Resolve("1.23");

        Assert.Null(choice.Toolchain);
        Assert.StartsWith("Go 1.23 is configured but not installed;", choice.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NothingInstalled_SaysSo()
    {
        var choice = new ToolchainList([], []).Resolve(null);

        Assert.Null(choice.Toolchain);
        Assert.StartsWith("No Go toolchain is installed", choice.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Previous_OnlyOneRelease_IsNull()
    {
        var single = new ToolchainList([Make("go1.27.4"), Make("go1.27.1")], []);

        Assert.Null(single.Previous);
        Assert.Contains("no previous Go release", single.Resolve("previous").Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("module m\n\ngo 1.28\n", "newer than every Go version on this server")]
    [InlineData("module m\n\ngo 1.27.9\n", "newer than every Go version on this server")]
    [InlineData("module m\n\ngo 1.26.12\n", "but this run uses go1.26.11. Choose Go 1.26 or later")]
    public void CheckModules_GoLineNewerThanSelectedOrEverything_RefusedWithTheList(string goMod, string expected)
    {
        var files = new Dictionary<string, string> { ["go.mod"] = goMod, ["prog.go"] = "package main\n" };

        var problem = RequestOptions.CheckModules(files, List.Resolve("1.26").Toolchain!, List);

        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("go1.27.4 (latest)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckModules_ToolchainLine_AcceptedFrom121Only()
    {
        var files = new Dictionary<string, string> { ["go.mod"] = "module m\n\ngo 1.19\n\ntoolchain go1.27.4\n", ["prog.go"] = "package main\n" };

        Assert.Null(RequestOptions.CheckModules(files, List.Resolve("1.21").Toolchain!, List));
        Assert.Contains("toolchain lines need Go 1.21 or later; this run uses go1.19.8", RequestOptions.CheckModules(files, List.Resolve("1.19").Toolchain!, List), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.27", true)]
    [InlineData("host", true)]
    [InlineData("/usr/local/go", true)]
    [InlineData("go1.27", false)]
    [InlineData("latest", false)]
    [InlineData("relative/path", false)]
    public void ToolchainEntry_Forms_ParsedOrRefused(string text, bool valid)
    {
        Assert.Equal(valid, ToolchainEntry.TryParse(text, out _));
    }
}
