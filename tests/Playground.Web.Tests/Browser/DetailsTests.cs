using System.Net;
using Microsoft.Playwright;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>Playback input, vet by default, the dead-link page and the Settings panel.</summary>
[Collection(WebAppTests.Name)]
public sealed class DetailsTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/") =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path));

    [Fact]
    public async Task Playback_TypingIsNotSent_ProgramReadsEndOfInputAtOnce()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#mode").SelectOptionAsync("playback");
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.ReplaceCodeAsync("""
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            	"time"
            )

            func main() {
            	fmt.Println("your name?")
            	in := bufio.NewScanner(os.Stdin)
            	if in.Scan() {
            		fmt.Println("read:", in.Text())
            	} else {
            		fmt.Println("no input")
            	}
            	time.Sleep(2 * time.Second)
            	fmt.Println("done")
            }
            """);
        await page.Run.ClickAsync();
        await page.FocusTerminalAsync();
        await page.Page.Keyboard.TypeAsync("Ada\n");

        Assert.Equal("Exited", await page.WaitForEndAsync());
        var output = await page.OutputAsync();
        Assert.Contains("no input", output, StringComparison.Ordinal);
        Assert.Contains("typed input is not sent", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", output, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Vet_OnByDefault_FindingShownWithoutTouchingSettings()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        Assert.True(await page.Page.Locator("#vet").IsCheckedAsync());
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"%d\\n\", \"not a number\")\n}\n");

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        await Assertions.Expect(page.Page.Locator("#problems .problem.warning")).ToHaveCountAsync(1);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task SnippetNotFound_StyledPageLeadsBackToTheEditor()
    {
        await using var session = await browser.OpenAsync(new Uri(app.BaseAddress, "/p/NoSuchSnippet1"));
        var response = await session.Page.ReloadAsync();
        Assert.Equal((int)HttpStatusCode.NotFound, response!.Status);
        await Assertions.Expect(session.Page.Locator("h1")).ToHaveTextAsync("Snippet not found");
        await session.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "snippet-not-found.png") });

        await session.Page.Locator("#back").ClickAsync();
        await new PlaygroundPage(session.Page).ReadyAsync();
        Assert.Equal(new Uri(app.BaseAddress, "/").ToString(), session.Page.Url);

        // Other clients still get upstream's plain answer.
        using var http = new HttpClient();
        var plain = await http.GetAsync(new Uri(app.BaseAddress, "/p/NoSuchSnippet1"));
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        Assert.Equal("Snippet not found\n", await plain.Content.ReadAsStringAsync());
        // The browser logs the 404 itself; the page must have raised nothing of its own.
        Assert.DoesNotContain(session.Errors, e => e.StartsWith("page error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Settings_CheckboxesSitNextToTheirLabels()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator(".settings summary").ClickAsync();
        var gaps = await page.Page.EvaluateAsync<double[]>("""
            () => [...document.querySelectorAll('.settings-panel input[type=checkbox]')].map(box => {
              const text = [...box.parentElement.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
              const range = document.createRange();
              range.selectNodeContents(text);
              const words = [...range.getClientRects()].find(r => r.width > 0);
              return words.left - box.getBoundingClientRect().right;
            })
            """);
        Assert.Equal(3, gaps.Length);
        Assert.All(gaps, gap => Assert.InRange(gap, 0, 16));
        await page.Page.Locator(".settings-panel").ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "settings.png") });
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Splitter_DraggedAndKeyed_SharesTheWidth()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var editorBefore = (await page.Page.Locator(".editor-pane").BoundingBoxAsync())!.Width;
        var splitter = (await page.Page.Locator("#splitter").BoundingBoxAsync())!;
        var (x, y) = (splitter.X + (splitter.Width / 2), splitter.Y + (splitter.Height / 2));

        await page.Page.Mouse.MoveAsync(x, y);
        await page.Page.Mouse.DownAsync();
        await page.Page.Mouse.MoveAsync(x + 200, y, new() { Steps = 5 });
        await page.Page.Mouse.UpAsync();
        var editorAfter = (await page.Page.Locator(".editor-pane").BoundingBoxAsync())!.Width;
        Assert.InRange(editorAfter - editorBefore, 180, 220);

        await page.Page.Locator("#splitter").FocusAsync();
        await page.Page.Keyboard.PressAsync("ArrowLeft");
        var keyed = (await page.Page.Locator(".editor-pane").BoundingBoxAsync())!.Width;
        Assert.True(keyed < editorAfter - 30, $"ArrowLeft moved the split from {editorAfter} to {keyed}");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Embed_SeveralFiles_ShownAsTabs_ReadOnlyWhenAsked()
    {
        var code = "package main\n\nfunc main() { println(twice(21)) }\n-- util.go --\npackage main\n\nfunc twice(n int) int { return 2 * n }\n";
        var (session, page) = await OpenAsync("/embed?readonly=1&code=" + Uri.EscapeDataString(code));
        await using var _ = session;

        var tabs = page.Page.Locator(".tab-name");
        Assert.Equal(["prog.go", "util.go"], await tabs.AllTextContentsAsync());
        await tabs.Nth(1).ClickAsync();
        Assert.Contains("func twice", await page.CodeAsync(), StringComparison.Ordinal);
        Assert.Equal("false", await page.Page.Locator(".cm-content").GetAttributeAsync("contenteditable"));
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "embed-tabs.png") });

        // One file: no tab bar.
        var (single, singlePage) = await OpenAsync("/embed?code=" + Uri.EscapeDataString("package main\n\nfunc main() {}\n"));
        await using var __ = single;
        await Assertions.Expect(singlePage.Page.Locator(".tabs")).ToBeHiddenAsync();
        session.AssertNoErrors();
    }
}
