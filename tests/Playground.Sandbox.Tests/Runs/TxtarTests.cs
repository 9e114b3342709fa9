using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class TxtarTests
{
    [Fact]
    public void Split_NoHeaders_WholeTextIsProgGo()
    {
        var files = Txtar.Split("package main\n");

        Assert.Equal([new("prog.go", "package main\n")], files);
    }

    [Fact]
    public void Split_PreambleAndFiles_PreambleIsProgGo()
    {
        var files = Txtar.Split("package main\n-- go.mod --\nmodule play\n-- util/u.go --\npackage util\n");

        Assert.Equal(
            [new("prog.go", "package main\n"), new("go.mod", "module play\n"), new("util/u.go", "package util\n")],
            files);
    }

    [Fact]
    public void Split_BlankPreamble_NoProgGo()
    {
        var files = Txtar.Split("\n-- main.go --\npackage main\n");

        Assert.Equal(["main.go"], files.Select(f => f.Key));
    }

    [Fact]
    public void Split_DuplicateName_BothKeptForTheCheckerToReport()
    {
        var files = Txtar.Split("-- a.go --\nx\n-- a.go --\ny\n");

        Assert.Equal([new("a.go", "x\n"), new("a.go", "y\n")], files);
    }

    [Fact]
    public void Split_LastFileWithoutNewline_GetsOneAsUpstream()
    {
        // x/tools/txtar's fixNL: upstream's "implicit prog.go" case wants "second\n".
        var files = Txtar.Split("package main\n-- two.go --\nsecond");

        Assert.Equal([new("prog.go", "package main\n"), new("two.go", "second\n")], files);
    }

    [Theory]
    [InlineData("package main\n", true)]
    [InlineData("package main\n-- two.go --\nx\n", true)]
    [InlineData("-- prog.go --\npackage main\n", false)]
    [InlineData("\n  \n-- prog.go --\npackage main\n", false)]
    public void HasImplicitProg_AsUpstreamsNoHeader(string text, bool expected)
    {
        Assert.Equal(expected, Txtar.HasImplicitProg(text));
    }
}
