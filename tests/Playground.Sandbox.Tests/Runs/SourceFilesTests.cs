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
        Assert.Equal("file name \"d/d/d/d/d/d/d/d/d/d/d.go\" too deep", SourceFiles.CheckName(string.Join('/', Enumerable.Repeat("d", 10)) + "/d.go"));
    }

    [Fact]
    public void Resolve_TooManyFiles_Rejected()
    {
        var files = Enumerable.Range(0, 21).ToDictionary(i => $"f{i}.go", _ => "package main");

        var result = SourceFiles.Resolve(new RunRequest { Files = files }, Options);

        Assert.Equal("too many files (21 exceeds limit of 20)", result.Error);
    }

    [Fact]
    public void Resolve_SourceTooLarge_Rejected()
    {
        var result = SourceFiles.Resolve(new RunRequest { Source = new string('x', (int)Options.MaxSourceBytes + 1) }, Options);

        Assert.Equal($"source too large ({Options.MaxSourceBytes + 2} bytes exceeds limit of {Options.MaxSourceBytes})", result.Error);
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

    /// <summary>Every case of upstream's txtar_test.go (TestSplitFiles) that is an error, with its exact words (its long name is 203 x's).</summary>
    [Theory]
    [InlineData("-- ../foo --\n", "invalid file name \"../foo\"")]
    [InlineData("-- .. --\n", "invalid file name \"..\"")]
    [InlineData("-- bar/../foo --\n", "invalid file name \"bar/../foo\"")]
    [InlineData("-- xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx --\n", "file name too long")]
    [InlineData("-- x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x --\n", "file name \"x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x\" too deep")]
    [InlineData("-- /etc/passwd --\n", "invalid file name \"/etc/passwd\"")]
    [InlineData("-- foo\\bar --\n", "invalid file name \"foo\\\\bar\"")]
    [InlineData("-- foo\u0000bar --\n", "invalid file name \"foo\\x00bar\"")]
    [InlineData("-- foo\u001fbar --\n", "invalid file name \"foo\\x1fbar\"")]
    [InlineData("-- foo.go --\n-- foo.go --\n", "duplicate file name \"foo.go\"")]
    [InlineData("package main\n-- prog.go --\n", "duplicate file name \"prog.go\"")]
    public void Split_UpstreamRejection_UpstreamWords(string text, string expected)
    {
        var result = SourceFiles.Split(text, maxFiles: 20);

        Assert.Null(result.Files);
        Assert.Equal(expected, result.Error);
    }

    [Fact]
    public void Split_FiftyCopiesOfOneName_TooManyBeforeDuplicate()
    {
        var result = SourceFiles.Split(string.Concat(Enumerable.Repeat("-- x.go --\n", 50)), maxFiles: 20);

        Assert.Equal("too many files in txtar archive (50 exceeds limit of 20)", result.Error);
    }

    /// <summary>Upstream's accepted cases: the same files, contents and order.</summary>
    [Theory]
    [InlineData("package main", "prog.go", "package main\n")]
    [InlineData("package main\n-- two.go --\nsecond", "prog.go", "package main\n", "two.go", "second\n")]
    [InlineData("-- main.go --\npackage main\n-- foo.go --\npackage main\n", "main.go", "package main\n", "foo.go", "package main\n")]
    [InlineData("\n    \n\n   \n\n-- f.go --\ncontents", "f.go", "contents\n")]
    public void Split_UpstreamAccepted_SameFiles(string text, params string[] expected)
    {
        var result = SourceFiles.Split(text, maxFiles: 20);

        Assert.Null(result.Error);
        Assert.Equal(expected.Chunk(2).Select(kv => new KeyValuePair<string, string>(kv[0], kv[1])), result.Files!);
    }

    [Theory]
    [InlineData("a//b.go")]
    [InlineData("./a.go")]
    [InlineData("a/")]
    [InlineData("a:b.go")]
    [InlineData("a\u0085b.go")]
    [InlineData("  ")]
    public void CheckName_UncleanOrGoPlayRefused_InvalidFileName(string name)
    {
        Assert.Equal("invalid file name " + GoString.Quote(name), SourceFiles.CheckName(name));
    }

    [Fact]
    public void Split_FileAlsoAFolder_UpstreamConflictWords()
    {
        var result = SourceFiles.Split("-- a --\nx\n-- a/b.go --\npackage a\n", maxFiles: 20);

        Assert.Equal("conflict file/dir name \"a\" and \"a/b.go\"", result.Error);
    }

    [Theory]
    [InlineData("a\u00a0b", "\"a\\u00a0b\"")]
    [InlineData("\t\"é", "\"\\t\\\"é\"")]
    [InlineData("\u007f", "\"\\x7f\"")]
    public void GoQuote_AsStrconvQuote(string s, string expected)
    {
        Assert.Equal(expected, GoString.Quote(s));
    }
}
