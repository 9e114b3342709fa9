using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Tests.Runs;

/// <summary>go.mod read as the go command reads it (golang.org/x/mod's lexer).</summary>
public sealed class GoModCheckTests
{
    [Fact]
    public void Statements_BlocksCommentsAndQuotedStrings()
    {
        var statements = GoModCheck.Statements("""
            module "play" // the module
            go 1.22
            replace(
            	a.example/x => "./x" // not a comment: "//"
            	b.example/y v1.0.0 => `../y`
            )
            replace c.example/z=>d.example/z v1.2.3
            require ( e.example/w v1.0.0 )
            """);

        Assert.NotNull(statements);
        Assert.Equal(
            [
                ("module", "play", 1),
                ("go", "1.22", 2),
                ("replace", "a.example/x => ./x", 4),
                ("replace", "b.example/y v1.0.0 => ../y", 5),
                ("replace", "c.example/z=>d.example/z v1.2.3", 7),
                ("require", "( e.example/w v1.0.0 )", 8),
            ],
            statements.Select(s => (s.Verb, string.Join(' ', s.Args), s.Line)));
    }

    [Theory]
    [InlineData(@"\x2fetc", "/etc")]
    [InlineData(@"\u002e\u002e/x", "../x")]
    [InlineData(@"\057etc", "/etc")]
    [InlineData(@"a\tb\\c\""d", "a\tb\\c\"d")]
    [InlineData(@"\q", null)]
    [InlineData(@"\x2", null)]
    [InlineData(@"\uD800", null)]
    public void Unquote_GoEscapes(string body, string? expected) =>
        Assert.Equal(expected, GoModCheck.Unquote(body));

    [Theory]
    [InlineData("module play\nreplace x => \"unterminated\n")]
    [InlineData("module play\nreplace x => \"\\q\"\n")]
    public void Statements_InvalidQuotedString_Null(string goMod) =>
        Assert.Null(GoModCheck.Statements(goMod));
}
