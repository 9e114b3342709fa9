using System.Diagnostics;
using Microsoft.Playwright;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>The editor page in headless Chromium against the real server, engine and toolchain.</summary>
[Collection(WebAppTests.Name)]
public sealed class EditorTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly string[] ColourProbes = ["green text", "to stderr", "plain text"];

    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/", BrowserNewContextOptions? options = null) =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path), options);

    [Fact]
    public async Task Run_ProgramThatSleeps_OutputAppearsWhileItRuns()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import (
            	"fmt"
            	"time"
            )

            func main() {
            	fmt.Println("first line")
            	time.Sleep(2 * time.Second)
            	fmt.Println("second line")
            }
            """);

        await page.Page.Keyboard.PressAsync("Control+Enter");
        await page.WaitForOutputAsync("first line");

        // The first line is on screen while the program is still sleeping.
        Assert.DoesNotContain("second line", await page.OutputAsync());
        Assert.Equal("Running…", await page.Status.TextContentAsync());
        Assert.True(await page.Kill.IsEnabledAsync());

        Assert.Equal("Exited", await page.WaitForEndAsync());
        var output = await page.OutputAsync();
        Assert.Contains("first line\nsecond line\n[exited · exit code 0 · build ", output, StringComparison.Ordinal);
        // The end line may be broken between its parts (never inside one) to fit the pane.
        Assert.Matches(@"run \d+ ms ·\s+peak memory \d+\.\d MiB\]", output);
        await Assertions.Expect(page.Page.Locator(".xterm-rows")).ToContainTextAsync("[exited");
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "run-output.png") });
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Output_StderrAndAnsiColours_ShownInTheirColours()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	fmt.Println("\x1b[32mgreen text\x1b[0m plain text")
            	fmt.Fprintln(os.Stderr, "to stderr")
            }
            """);
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        await Assertions.Expect(page.Page.Locator(".xterm-rows")).ToContainTextAsync("to stderr");

        // xterm's DOM renderer gives each coloured run a class for its palette entry.
        var colours = await page.Page.EvaluateAsync<string[]>("""
            texts => texts.map(t => [...document.querySelectorAll('.xterm-rows span')].find(s => s.textContent.includes(t))?.className ?? 'missing')
            """, ColourProbes);
        Assert.Contains("xterm-fg-2", colours[0], StringComparison.Ordinal);
        Assert.Contains("xterm-fg-1", colours[1], StringComparison.Ordinal);
        Assert.DoesNotContain("xterm-fg-", colours[2], StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Stdin_NameTypedIntoTerminal_GreetedAndCtrlDIsEof()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            )

            func main() {
            	fmt.Print("What is your name? ")
            	in := bufio.NewScanner(os.Stdin)
            	for in.Scan() {
            		fmt.Printf("Hello, %s!\n", in.Text())
            	}
            	fmt.Println("input closed")
            }
            """);
        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("What is your name? ");

        await page.FocusTerminalAsync();
        await page.Page.Keyboard.TypeAsync("Gophxr");
        await page.Page.Keyboard.PressAsync("Backspace");
        await page.Page.Keyboard.PressAsync("Backspace");
        await page.Page.Keyboard.TypeAsync("er");
        await page.Page.Keyboard.PressAsync("Enter");
        await page.WaitForOutputAsync("Hello, Gopher!");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.goplay.running"));

        await page.Page.Keyboard.PressAsync("Control+D");
        await page.WaitForOutputAsync("input closed");
        Assert.Equal("Exited", await page.WaitForEndAsync());
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData("button")]
    [InlineData("ctrl-c")]
    public async Task Kill_InfiniteLoop_StopsWithinASecond(string how)
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import "fmt"

            func main() {
            	fmt.Println("spinning")
            	for {
            	}
            }
            """);
        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("spinning");

        var clock = Stopwatch.StartNew();
        if (how == "button")
        {
            await page.Kill.ClickAsync();
        }
        else
        {
            await page.FocusTerminalAsync();
            await page.Page.Keyboard.PressAsync("Control+C");
        }

        await page.WaitForStatusAsync("Killed", 1000);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"killed shown after {clock.Elapsed}");
        // The end line is the server's (a killed run has no exit code), not one the page made up.
        Assert.Contains("[killed · build ", await page.OutputAsync(), StringComparison.Ordinal);
        // The program itself is gone too: its container is removed.
        var gone = await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(10), app.Owner);
        Assert.True(gone < TimeSpan.FromSeconds(10), "the runner container outlived the kill");
        Assert.True(await page.Run.IsEnabledAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task BuildError_MarksTheLine_ClickingTheMessageMovesTheCursor()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import "fmt"

            func main() {
            	fmt.Println("ok")
            	fmt.Println(undefinedName)
            }
            """);
        await page.Run.ClickAsync();
        Assert.Equal("Build failed", await page.WaitForEndAsync());

        var problem = page.Page.Locator("#problems .problem.error");
        await Assertions.Expect(problem).ToHaveCountAsync(1);
        Assert.StartsWith("prog.go:7:14: undefined: undefinedName", await problem.TextContentAsync(), StringComparison.Ordinal);
        var markedLine = await page.Page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('.cm-line')].findIndex(l => l.querySelector('.cm-lintRange-error')) + 1");
        Assert.Equal(7, markedLine);

        await page.Page.Locator(".cm-line").First.ClickAsync();
        await problem.ClickAsync();
        var cursor = await page.Page.EvaluateAsync<System.Text.Json.JsonElement>("() => window.goplay.editor.cursor()");
        Assert.Equal(7, cursor.GetProperty("line").GetInt32());
        Assert.Equal(14, cursor.GetProperty("column").GetInt32());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task BuildErrorInATestProgram_ServerNamesProgTestGo_EditorMarksProgGo()
    {
        // A prog.go of tests is built as prog_test.go and, as upstream's, the compiler's
        // message names that file; the mark still belongs to the editor's prog.go.
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import "testing"

            func TestHelper(t *testing.T) {
            	if 1+1 != 2 {
            		t.Fatal(undefinedName)
            	}
            }
            """);
        await page.Run.ClickAsync();
        Assert.Equal("Build failed", await page.WaitForEndAsync());

        Assert.Contains("./prog_test.go:7:11: undefined: undefinedName", await page.OutputAsync(), StringComparison.Ordinal);
        var problem = page.Page.Locator("#problems .problem.error");
        await Assertions.Expect(problem).ToHaveCountAsync(1);
        Assert.StartsWith("prog.go:7:11: undefined: undefinedName", await problem.TextContentAsync(), StringComparison.Ordinal);
        var markedLine = await page.Page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('.cm-line')].findIndex(l => l.querySelector('.cm-lintRange-error')) + 1");
        Assert.Equal(7, markedLine);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Share_LinkOpenedInANewPage_ShowsTheSameCode()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var code = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"shared " + Guid.NewGuid().ToString("N") + "\")\n}\n";
        await page.ReplaceCodeAsync(code);

        await page.Page.Keyboard.PressAsync("Control+S");
        var link = page.Page.Locator("#share-url");
        await Assertions.Expect(link).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/p/[A-Za-z0-9_-]+$"));
        var url = await link.InputValueAsync();
        Assert.EndsWith(new Uri(url).AbsolutePath, page.Page.Url, StringComparison.Ordinal);

        // A different browser (fresh storage), as the person the link was sent to.
        var (other, opened) = await OpenAsync(new Uri(url).AbsolutePath);
        await using var __ = other;
        Assert.Equal(code, await opened.CodeAsync());
        session.AssertNoErrors();
        other.AssertNoErrors();
    }

    [Fact]
    public async Task Format_FixesIndentationAndAddsTheMissingImport()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\nimport \"fmt\"\nfunc main() {\nfmt.Println(strings.ToUpper(\"x\"))\n      }\n");

        await page.Page.Keyboard.PressAsync("Shift+Alt+F");
        await page.WaitForStatusAsync("Formatted");

        Assert.Equal("package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc main() {\n\tfmt.Println(strings.ToUpper(\"x\"))\n}\n", await page.CodeAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task MultiFile_AddUtilGo_MainCallsIt()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(twice(21))\n}\n");

        await page.Page.Locator("#add-file").ClickAsync();
        await page.Page.Locator("#file-name").FillAsync("util.go");
        await page.Page.Locator("#file-ok").ClickAsync();
        await Assertions.Expect(page.Page.Locator(".tab-name[aria-current=true]")).ToHaveTextAsync("util.go");
        await page.ReplaceCodeAsync("package main\n\nfunc twice(n int) int { return 2 * n }\n");

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.StartsWith("42\n", await page.OutputAsync(), StringComparison.Ordinal);
        Assert.Equal(["prog.go", "util.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task AddFile_InvalidOrDuplicateName_IsExplained()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator("#add-file").ClickAsync();
        await page.Page.Locator("#file-name").FillAsync("prog.go");
        await page.Page.Locator("#file-ok").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#file-error")).ToHaveTextAsync("prog.go already exists.");
        await page.Page.Locator("#file-name").FillAsync("../etc/passwd");
        await page.Page.Locator("#file-ok").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#file-error")).Not.ToBeEmptyAsync();
        Assert.True(await page.Page.Locator("#file-dialog").IsVisibleAsync());
        session.AssertNoErrors();
    }
}
