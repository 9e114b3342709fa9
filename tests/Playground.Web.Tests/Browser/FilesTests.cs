using Microsoft.Playwright;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>Work that must not be lost, and txtar archives pasted into the editor.</summary>
[Collection(WebAppTests.Name)]
public sealed class FilesTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    // A program with its own module and local package: it builds only as the files it holds.
    private const string Archive = """
        package main

        import (
        "fmt"
        "play.ground/greet"
        )

        func main() {
        fmt.Println(greet.Hello("archive"))
        }
        -- go.mod --
        module play.ground

        go 1.22
        -- greet/greet.go --
        package greet

        func Hello(name string) string {
              return "hello from the " + name
        }

        """;

    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/") =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path));

    [Fact]
    public async Task Example_ReplacingEditedFiles_CanBeUndone()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var mine = "package main\n\n// my work " + Guid.NewGuid().ToString("N") + "\nfunc main() {}\n";
        await page.ReplaceCodeAsync(mine);

        await page.Page.Locator("#examples").SelectOptionAsync("multi");
        Assert.Equal(["prog.go", "util.go", "go.mod", "greet/greet.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        var undo = page.Page.Locator("#notice button", new() { HasText = "Undo" });
        await Assertions.Expect(undo).ToBeVisibleAsync();
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "example-undo.png") });
        await undo.ClickAsync();

        Assert.Equal(mine, await page.CodeAsync());
        Assert.Equal(["prog.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task PastedArchive_RunsAsItsFiles()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync(Archive);

        await page.Run.ClickAsync();
        Assert.True(await page.WaitForEndAsync() == "Exited", await page.OutputAsync());
        Assert.StartsWith("hello from the archive\n", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task PastedArchive_FormatKeepsEveryFile()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync(Archive);

        await page.Format.ClickAsync();
        await page.WaitForStatusAsync("Formatted");

        var code = await page.CodeAsync();
        Assert.Contains("\tfmt.Println(greet.Hello(\"archive\"))\n", code, StringComparison.Ordinal);
        Assert.Contains("-- go.mod --\nmodule play.ground\n", code, StringComparison.Ordinal);
        Assert.Contains("-- greet/greet.go --\npackage greet\n\nfunc Hello(name string) string {\n\treturn \"hello from the \" + name\n}\n", code, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task PastedArchive_SplitIntoTabs_WhenOffered()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync(Archive);

        var split = page.Page.Locator("#notice button", new() { HasText = "Split into tabs" });
        await Assertions.Expect(split).ToBeVisibleAsync();
        await split.ClickAsync();

        Assert.Equal(["prog.go", "go.mod", "greet/greet.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        Assert.DoesNotContain("-- go.mod --", await page.CodeAsync(), StringComparison.Ordinal);
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.StartsWith("hello from the archive\n", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task FileDialog_EnterConfirms()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator("#add-file").ClickAsync();
        await page.Page.Locator("#file-name").FillAsync("util.go");
        await page.Page.Locator("#file-name").PressAsync("Enter");

        await Assertions.Expect(page.Page.Locator("#file-dialog")).ToBeHiddenAsync();
        Assert.Equal(["prog.go", "util.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Problems_InAnotherFile_SelectsItsTab_AndClearWhenTheCodeChanges()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nfunc main() {\n\tprintln(twice(2))\n}\n");
        await page.Page.Locator("#add-file").ClickAsync();
        await page.Page.Locator("#file-name").FillAsync("util.go");
        await page.Page.Locator("#file-ok").ClickAsync();
        await page.ReplaceCodeAsync("package main\n\nfunc twice(n int) int { return 2 * m }\n");
        await page.Page.Locator(".tab-name", new() { HasText = "prog.go" }).ClickAsync();

        await page.Run.ClickAsync();
        Assert.Equal("Build failed", await page.WaitForEndAsync());
        var problem = page.Page.Locator("#problems .problem.error");
        await Assertions.Expect(problem).ToHaveCountAsync(1);
        await problem.ClickAsync();

        await Assertions.Expect(page.Page.Locator(".tab-name[aria-current=true]")).ToHaveTextAsync("util.go");
        await Assertions.Expect(page.Page.Locator(".tab-tool[aria-label='Delete util.go']")).ToBeVisibleAsync();

        await page.Page.Keyboard.TypeAsync("x");
        await Assertions.Expect(problem).ToHaveCountAsync(0);
        session.AssertNoErrors();
    }
}
