using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

public sealed class TxtarTests
{
    [Fact]
    public void Parse_NoHeaders_WholeTextIsProgGo()
    {
        var (files, error) = Txtar.Parse("package main\n");

        Assert.Null(error);
        Assert.Equal("package main\n", Assert.Single(files!).Value);
        Assert.Equal("prog.go", files!.Keys.Single());
    }

    [Fact]
    public void Parse_PreambleAndFiles_PreambleIsProgGo()
    {
        var (files, error) = Txtar.Parse("package main\n-- go.mod --\nmodule play\n-- util/u.go --\npackage util\n");

        Assert.Null(error);
        Assert.Equal(3, files!.Count);
        Assert.Equal("package main\n", files["prog.go"]);
        Assert.Equal("module play\n", files["go.mod"]);
        Assert.Equal("package util\n", files["util/u.go"]);
    }

    [Fact]
    public void Parse_BlankPreamble_NoProgGo()
    {
        var (files, _) = Txtar.Parse("\n-- main.go --\npackage main\n");

        Assert.Equal(["main.go"], files!.Keys);
    }

    [Fact]
    public void Parse_DuplicateName_Error()
    {
        var (files, error) = Txtar.Parse("-- a.go --\nx\n-- a.go --\ny\n");

        Assert.Null(files);
        Assert.Contains("Duplicate file name", error, StringComparison.Ordinal);
    }
}
