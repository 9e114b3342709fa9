using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class SourceFilesTests
{
    private static readonly SandboxOptions Options = new();

    [Theory]
    [InlineData("../x.go")]
    [InlineData("/etc/x.go")]
    [InlineData("a/../../b.go")]
    [InlineData("a//b.go")]
    [InlineData("./a.go")]
    [InlineData("a\\b.go")]
    [InlineData("")]
    public void CheckName_UnsafeName_Rejected(string name)
    {
        Assert.NotNull(SourceFiles.CheckName(name));
    }

    [Theory]
    [InlineData("prog.go")]
    [InlineData("go.mod")]
    [InlineData("util/strings/s.go")]
    public void CheckName_RelativeName_Accepted(string name)
    {
        Assert.Null(SourceFiles.CheckName(name));
    }

    [Fact]
    public void CheckName_TooDeep_Rejected()
    {
        Assert.Contains("too deep", SourceFiles.CheckName(string.Join('/', Enumerable.Repeat("d", 11)) + ".go"), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_TooManyFiles_Rejected()
    {
        var files = Enumerable.Range(0, 21).ToDictionary(i => $"f{i}.go", _ => "package main");

        var result = SourceFiles.Resolve(new RunRequest { Files = files }, Options);

        Assert.Contains("Too many files", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_SourceTooLarge_Rejected()
    {
        var result = SourceFiles.Resolve(new RunRequest { Source = new string('x', (int)Options.MaxSourceBytes + 1) }, Options);

        Assert.Contains("Source too large", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoSource_Rejected()
    {
        Assert.NotNull(SourceFiles.Resolve(new RunRequest(), Options).Error);
    }

    [Fact]
    public void Resolve_TxtarSource_SplitIntoFiles()
    {
        var result = SourceFiles.Resolve(new RunRequest { Source = "package main\n-- go.mod --\nmodule play\n" }, Options);

        Assert.Null(result.Error);
        Assert.Equal(["go.mod", "prog.go"], result.Files!.Keys.Order(StringComparer.Ordinal));
    }
}
