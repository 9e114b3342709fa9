using System.Text.Json;
using Microsoft.Playwright;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>
/// The output pane as a reader sees it: end lines that say what happened, the elapsed time,
/// glyphs that render at every scale, copying, and a way out for the keyboard.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class OutputTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/", BrowserNewContextOptions? options = null) =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path), options);

    private static string Screenshot(string name) => Path.Combine(BrowserFixture.ScreenshotDirectory, name);

    [Fact]
    public async Task EndLine_OutOfMemory_NamesTheLimitAndNoExitCode()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import "fmt"

            func main() {
            	fmt.Print("allocating")
            	var keep [][]byte
            	for {
            		b := make([]byte, 1<<20)
            		for i := range b {
            			b[i] = 1
            		}
            		keep = append(keep, b)
            	}
            }
            """);
        await page.Run.ClickAsync();

        Assert.Equal("Out of memory", await page.WaitForEndAsync());
        var output = await page.OutputAsync();
        // The partial last line is ended before the playground's own line starts.
        Assert.Contains("allocating\n[out of memory (limit 256 MiB)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("exit code", output, StringComparison.Ordinal);
        await page.Page.ScreenshotAsync(new() { Path = Screenshot("end-line-oom.png") });
        session.AssertNoErrors();
    }

    [Fact]
    public async Task EndLine_OutputLimit_NamesTheLimit()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("""
            package main

            import (
            	"fmt"
            	"strings"
            )

            func main() {
            	line := strings.Repeat("x", 1023)
            	for {
            		fmt.Println(line)
            	}
            }
            """);
        await page.Run.ClickAsync();

        Assert.Equal("Output limit reached", await page.WaitForEndAsync());
        // xterm takes a while to parse a megabyte of writes; the end line comes after them.
        await page.WaitForOutputAsync("[output limit of");
        var output = await page.OutputAsync();
        var tail = output[^Math.Min(output.Length, 300)..];
        Assert.Contains("\n[output limit of 1 MiB reached", tail, StringComparison.Ordinal);
        Assert.DoesNotContain("exit code", output, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task EndLine_PlaybackTimeout_NamesTheLimitOnANewLine()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#mode").SelectOptionAsync("playback");
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Print(\"spinning\")\n\tfor {\n\t}\n}\n");
        await page.Run.ClickAsync();

        Assert.Equal("Timed out", await page.WaitForEndAsync());
        var output = await page.OutputAsync();
        Assert.Contains("spinning\n[timed out after 5 s", output, StringComparison.Ordinal);
        Assert.DoesNotContain("exit code", output, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task EndLine_PartialLastLineAndNarrowPane_StartsOnANewLineAndBreaksBetweenParts()
    {
        var (session, page) = await OpenAsync("/", new BrowserNewContextOptions { ViewportSize = new() { Width = 420, Height = 800 } });
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Print(\"no newline at the end\")\n}\n");
        await page.Run.ClickAsync();

        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.Contains("no newline at the end\n[exited · exit code 0", await page.OutputAsync(), StringComparison.Ordinal);
        // The terminal wraps a long line anywhere, numbers included; the end line is broken by
        // the page between its parts instead, so no row of it is a terminal-wrapped one.
        var rows = await page.Page.EvaluateAsync<JsonElement>("""
            () => {
              const b = window.goplay.terminal.term.buffer.active, rows = [];
              for (let i = 0; i < b.length; i++) { const l = b.getLine(i); rows.push({ text: l.translateToString(true), wrapped: l.isWrapped }); }
              return { rows, cols: window.goplay.terminal.term.cols };
            }
            """);
        var all = rows.GetProperty("rows").EnumerateArray().ToList();
        var start = all.FindIndex(r => r.GetProperty("text").GetString()!.StartsWith("[exited", StringComparison.Ordinal));
        Assert.True(start >= 0, "no end line");
        var endRows = all.Skip(start).TakeWhile(r => r.GetProperty("text").GetString() is { Length: > 0 }).ToList();
        Assert.True(endRows.Count > 1, $"the pane ({rows.GetProperty("cols")} columns) is wide enough for the whole end line; the test needs it narrower");
        Assert.All(endRows, r => Assert.False(r.GetProperty("wrapped").GetBoolean(), "the terminal wrapped the end line: " + r.GetProperty("text")));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Running_ElapsedTimeShows_AndStopsAtTheEnd()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"start\")\n\ttime.Sleep(2500 * time.Millisecond)\n}\n");
        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("start");

        var elapsed = page.Page.Locator("#elapsed");
        await Assertions.Expect(elapsed).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[12] s$"), new() { Timeout = 3000 });
        Assert.Equal("Exited", await page.WaitForEndAsync());
        await Assertions.Expect(elapsed).ToBeHiddenAsync();
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Underscores_RenderedAtScale(int scale)
    {
        var (session, page) = await OpenAsync("/", new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 }, DeviceScaleFactor = scale });
        await using var _ = session;
        // A row of underscores and nothing else: every pixel of ink in it is an underscore.
        await page.Page.EvaluateAsync("() => { const t = window.goplay.terminal; t.clear(); t.writeStdout('snake_case_name\\n________________________________\\nprog_test.go\\n'); }");
        var row = page.Page.Locator(".xterm-rows > div").Nth(1);
        await Assertions.Expect(row).ToContainTextAsync("_____");
        var box = (await row.BoundingBoxAsync())!;
        var png = await page.Page.ScreenshotAsync(new() { Clip = new() { X = box.X, Y = box.Y, Width = 200, Height = box.Height } });
        await page.Page.Locator("#terminal").ScreenshotAsync(new() { Path = Screenshot($"underscores-scale-{scale}.png") });

        var ink = await page.Page.EvaluateAsync<int>("""
            async data => {
              const img = new Image();
              img.src = 'data:image/png;base64,' + data;
              await img.decode();
              const c = document.createElement('canvas');
              c.width = img.width; c.height = img.height;
              const g = c.getContext('2d');
              g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data;
              let ink = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 3 * 160) ink++;
              return ink;
            }
            """, Convert.ToBase64String(png));
        // 200 CSS pixels of underscores at least one device pixel thick.
        Assert.True(ink >= 150 * scale, $"only {ink} dark pixels in the row of underscores at scale {scale}");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Copy_SelectionAndCtrlC_CopiesWithoutKilling_CopyOutputCopiesAll()
    {
        var (session, page) = await OpenAsync("/", new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"copy me please\")\n\ttime.Sleep(3 * time.Second)\n\tfmt.Println(\"done\")\n}\n");
        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("copy me please");

        // Select the first row with the mouse, as a user does, then Ctrl+C.
        var row = (await page.Page.Locator(".xterm-rows > div").First.BoundingBoxAsync())!;
        await page.Page.Mouse.MoveAsync(row.X + 1, row.Y + (row.Height / 2));
        await page.Page.Mouse.DownAsync();
        await page.Page.Mouse.MoveAsync(row.X + 400, row.Y + (row.Height / 2), new() { Steps = 5 });
        await page.Page.Mouse.UpAsync();
        Assert.Contains("copy me please", await page.Page.EvaluateAsync<string>("() => window.goplay.terminal.term.getSelection()"), StringComparison.Ordinal);
        await page.Page.Keyboard.PressAsync("Control+C");
        await page.Page.WaitForFunctionAsync("async () => (await navigator.clipboard.readText()).includes('copy me please')");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.goplay.running"), "Ctrl+C with a selection killed the program");

        // Without a selection Ctrl+C is the interrupt it always was.
        await page.Page.EvaluateAsync("() => window.goplay.terminal.term.clearSelection()");
        await page.Page.Keyboard.PressAsync("Control+C");
        Assert.Equal("Killed", await page.WaitForEndAsync(5000));

        await page.Page.EvaluateAsync("() => navigator.clipboard.writeText('')");
        await page.Page.Locator("#copy-output").ClickAsync();
        await page.Page.WaitForFunctionAsync("async () => (await navigator.clipboard.readText()).startsWith('copy me please\\n')");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Keyboard_TabLeavesTheOutput_EvenWhileAProgramRuns()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"waiting\")\n\ttime.Sleep(3 * time.Second)\n}\n");
        const string insideTerminal = "() => document.getElementById('terminal').contains(document.activeElement)";

        await page.FocusTerminalAsync();
        Assert.True(await page.Page.EvaluateAsync<bool>(insideTerminal));
        await page.Page.Keyboard.PressAsync("Tab");
        Assert.False(await page.Page.EvaluateAsync<bool>(insideTerminal), "Tab stayed in the output");

        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("waiting");
        await page.FocusTerminalAsync();
        await page.Page.Keyboard.PressAsync("Shift+Tab");
        Assert.False(await page.Page.EvaluateAsync<bool>(insideTerminal), "Shift+Tab stayed in the output");
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.goplay.running"));
        Assert.Equal("Exited", await page.WaitForEndAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task ScreenReader_OutputRegionHoldsTheProgramsOutput()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"read me aloud\")\n}\n");
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());

        var tree = await page.Page.Locator(".output-pane").AriaSnapshotAsync();
        Assert.Contains("read me aloud", tree, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Editor_FocusedByKeyboard_ShowsAFocusRing()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator("#run").FocusAsync();
        await page.Page.Locator(".cm-content").FocusAsync();
        // CodeMirror marks itself focused a moment after the focus event.
        await Assertions.Expect(page.Page.Locator(".cm-editor.cm-focused")).ToHaveCountAsync(1);

        var outline = await page.Page.EvaluateAsync<JsonElement>("""
            () => { const s = getComputedStyle(document.querySelector('.cm-editor')); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; }
            """);
        Assert.NotEqual("none", outline.GetProperty("style").GetString());
        Assert.True(outline.GetProperty("width").GetDouble() >= 2, $"outline {outline}");
        await page.Page.Locator(".editor-pane").ScreenshotAsync(new() { Path = Screenshot("editor-focus-ring.png") });
        session.AssertNoErrors();
    }

    [Fact]
    public async Task PanicLine_IsALink_ClickingItMovesTheCursorThere()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"about to panic\")\n\tvar m map[string]int\n\n\tm[\"x\"] = 1\n}\n");
        await page.Run.ClickAsync();
        await page.WaitForEndAsync();
        await page.Page.Locator(".cm-line").First.ClickAsync();

        // Where "prog.go:9" is on screen: its row and column, in cells.
        var cell = await page.Page.EvaluateAsync<System.Text.Json.JsonElement>("""
            () => {
              const t = window.goplay.terminal.term, b = t.buffer.active;
              for (let y = 0; y < t.rows; y++) {
                const text = b.getLine(b.viewportY + y)?.translateToString(true) ?? '';
                const x = text.indexOf('prog.go:9');
                if (x >= 0) {
                  const screen = document.querySelector('#terminal .xterm-screen').getBoundingClientRect();
                  const w = screen.width / t.cols, h = screen.height / t.rows;
                  return { x: screen.left + (x + 3) * w, y: screen.top + (y + 0.5) * h };
                }
              }
              return null;
            }
            """);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, cell.ValueKind);
        var (x, y) = (cell.GetProperty("x").GetSingle(), cell.GetProperty("y").GetSingle());
        await page.Page.Mouse.MoveAsync(x - 5, y);
        await page.Page.Mouse.MoveAsync(x, y, new() { Steps = 3 });
        await page.Page.Mouse.ClickAsync(x, y);

        await page.Page.WaitForFunctionAsync("() => window.goplay.editor.cursor().line === 9");
        session.AssertNoErrors();
    }
}
