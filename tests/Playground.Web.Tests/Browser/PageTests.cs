using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>The editor page's settings, examples, connection handling, layout and accessibility.</summary>
[Collection(WebAppTests.Name)]
public sealed class PageTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/", BrowserNewContextOptions? options = null) =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path), options);

    [Fact]
    public async Task Examples_EveryOne_RunsToExitZero()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var ids = await page.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#examples option')].map(o => o.value).filter(v => v)");
        Assert.Equal(["hello", "stdin", "goroutines", "time", "tests", "http", "multi"], ids);

        foreach (var id in ids)
        {
            await page.Page.Locator("#examples").SelectOptionAsync(id);
            await page.Run.ClickAsync();
            if (id == "stdin")
            {
                await page.WaitForOutputAsync("What is your name? ");
                await page.FocusTerminalAsync();
                await page.Page.Keyboard.TypeAsync("Ada\n");
                await page.WaitForOutputAsync("Hello, Ada!");
                await page.Page.Keyboard.PressAsync("Control+D");
            }

            Assert.True(await page.WaitForEndAsync() == "Exited", $"example {id}: {await page.OutputAsync()}");
        }

        // The last one has several files, in tabs.
        Assert.Equal(["prog.go", "util.go", "go.mod", "greet/greet.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        Assert.StartsWith("Hello, gopher\nFILES IN ONE PROGRAM!\n", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Screenshots_LightAndDark_ThemeIsRememberedAcrossReloads()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator("#examples").SelectOptionAsync("goroutines");
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#theme").SelectOptionAsync("light");
        await page.Page.Locator(".settings summary").ClickAsync();
        Assert.Equal("light", await page.ThemeAsync());
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "editor-light.png") });

        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#theme").SelectOptionAsync("dark");
        await page.Page.Locator(".settings summary").ClickAsync();
        Assert.Equal("dark", await page.ThemeAsync());
        Assert.Equal(1, await page.Page.Locator(".cm-editor").EvaluateAsync<int>("e => getComputedStyle(e).backgroundColor === 'rgb(40, 44, 52)' ? 1 : 0"));
        await page.Run.ClickAsync();
        await page.WaitForEndAsync();
        await Assertions.Expect(page.Page.Locator(".xterm-rows")).ToContainTextAsync("[exited");
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "editor-dark.png") });

        await page.Page.ReloadAsync();
        await page.ReadyAsync();
        Assert.Equal("dark", await page.ThemeAsync());
        Assert.Equal("dark", await page.Page.Locator("#theme").InputValueAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Reload_UnsavedEdits_AreStillThere()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var code = "package main\n\n// draft " + Guid.NewGuid().ToString("N") + "\nfunc main() {}\n";
        await page.ReplaceCodeAsync(code);
        await page.Page.Locator("#add-file").ClickAsync();
        await page.Page.Locator("#file-name").FillAsync("extra.go");
        await page.Page.Locator("#file-ok").ClickAsync();

        await page.Page.ReloadAsync();
        await page.ReadyAsync();
        Assert.Equal(code, await page.CodeAsync());
        Assert.Equal(["prog.go", "extra.go"], await page.Page.Locator(".tab-name").AllTextContentsAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task StorageBlocked_PageStillWorks()
    {
        await using var session = await browser.OpenAsync(new Uri("about:blank"));
        await session.Context.AddInitScriptAsync("""
            Object.defineProperty(window, "localStorage", { get() { throw new DOMException("blocked", "SecurityError"); } });
            """);
        await session.Page.GotoAsync(app.BaseAddress.ToString());
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#vim").CheckAsync();
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task WebSocketsBlocked_FallsBackAndRuns()
    {
        await using var session = await browser.OpenAsync(new Uri("about:blank"));
        // What a proxy that breaks WebSockets does: the upgrade never connects.
        await session.Page.RouteWebSocketAsync("**/hubs/run**", ws => ws.CloseAsync());
        await session.Page.GotoAsync(app.BaseAddress.ToString());
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.Contains("Hello, 世界", await page.OutputAsync(), StringComparison.Ordinal);
        var transport = await page.Page.Locator("#connection").GetAttributeAsync("data-transport");
        Assert.True(transport is "ServerSentEvents" or "LongPolling", $"transport {transport}");
        // The failed WebSocket attempt is logged by the client as a warning, not a page error.
        Assert.DoesNotContain(session.Errors, e => e.StartsWith("page error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectionDropped_PageSaysSoAndReconnects()
    {
        await using var session = await browser.OpenAsync(new Uri("about:blank"));
        var sockets = new List<IWebSocketRoute>();
        await session.Page.RouteWebSocketAsync("**/hubs/run**", ws =>
        {
            ws.ConnectToServer();
            lock (sockets)
            {
                sockets.Add(ws);
            }
        });
        await session.Page.GotoAsync(app.BaseAddress.ToString());
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        var connection = page.Page.Locator("#connection");
        await Assertions.Expect(connection).ToHaveTextAsync("Connected (WebSockets)");

        // The network drops the connection (as a proxy restart would).
        IWebSocketRoute first;
        lock (sockets)
        {
            first = sockets[0];
        }

        await first.CloseAsync(new() { Code = 1011, Reason = "proxy restarted" });
        await Assertions.Expect(connection).ToHaveTextAsync("Connection lost, reconnecting…");
        await Assertions.Expect(connection).ToHaveAttributeAsync("data-state", "reconnecting");
        await Assertions.Expect(connection).ToHaveTextAsync("Connected (WebSockets)", new() { Timeout = 15_000 });

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.True(sockets.Count >= 2, "the page did not open a new connection");
    }

    [Fact]
    public async Task BuildWithVet_FindingMarkedAsWarning_ProgramStillRuns()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#vet").CheckAsync();
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.ReplaceCodeAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"%d\\n\", \"not a number\")\n}\n");

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        var warning = page.Page.Locator("#problems .problem.warning");
        await Assertions.Expect(warning).ToHaveCountAsync(1);
        Assert.Contains("prog.go:6:", await warning.TextContentAsync(), StringComparison.Ordinal);
        Assert.Contains("%!d(string=not a number)", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task PlaybackMode_OutputReplayedWithItsDelays()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#mode").SelectOptionAsync("playback");
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.ReplaceCodeAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"a\")\n\ttime.Sleep(1500 * time.Millisecond)\n\tfmt.Println(\"b\")\n}\n");

        await page.Run.ClickAsync();
        await page.WaitForOutputAsync("a");
        var shownA = DateTime.UtcNow;
        await page.WaitForOutputAsync("b");
        var gap = DateTime.UtcNow - shownA;
        // The program's fake clock says 1.5 s between the lines; the page replays that pause.
        Assert.True(gap > TimeSpan.FromSeconds(1.2), $"gap {gap}");
        Assert.Equal("Exited", await page.WaitForEndAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Queue_SecondRunWaits_PageShowsItsPosition()
    {
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("queue"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Scheduler:Slots=1");
        await using var first = await browser.OpenAsync(web.BaseAddress);
        await using var second = await browser.OpenAsync(web.BaseAddress);
        var busy = new PlaygroundPage(first.Page);
        var waiting = new PlaygroundPage(second.Page);
        await busy.ReadyAsync();
        await waiting.ReadyAsync();
        await busy.ReplaceCodeAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"holding the slot\")\n\ttime.Sleep(3 * time.Second)\n}\n");
        await busy.Run.ClickAsync();
        await busy.WaitForOutputAsync("holding the slot");

        await waiting.Run.ClickAsync();
        await waiting.WaitForStatusAsync("Queued #1");
        Assert.Equal("Exited", await busy.WaitForEndAsync());
        Assert.Equal("Exited", await waiting.WaitForEndAsync());
        Assert.Contains("Hello, 世界", await waiting.OutputAsync(), StringComparison.Ordinal);
        first.AssertNoErrors();
        second.AssertNoErrors();
    }

    [Fact]
    public async Task Download_SingleFileAndTxtar()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var single = await page.Page.RunAndWaitForDownloadAsync(() => page.Page.Locator("#download").ClickAsync());
        Assert.Equal("prog.go", single.SuggestedFilename);
        Assert.Equal(await page.CodeAsync(), await File.ReadAllTextAsync((await single.PathAsync())!));

        await page.Page.Locator("#examples").SelectOptionAsync("multi");
        var archive = await page.Page.RunAndWaitForDownloadAsync(() => page.Page.Locator("#download").ClickAsync());
        Assert.Equal("goplay.txtar", archive.SuggestedFilename);
        var text = await File.ReadAllTextAsync((await archive.PathAsync())!);
        Assert.StartsWith("package main\n", text, StringComparison.Ordinal);
        Assert.Contains("\n-- util.go --\npackage main\n", text, StringComparison.Ordinal);
        Assert.Contains("\n-- greet/greet.go --\npackage greet\n", text, StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task VimKeys_NormalModeCommandsEdit()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync("package main\n\n// delete me\nfunc main() {}\n");
        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#vim").CheckAsync();
        await page.Page.Locator(".settings summary").ClickAsync();
        // Vim mode is fetched when first turned on; its mode indicator says it has arrived.
        await Assertions.Expect(page.Page.Locator(".cm-vim-panel")).ToBeVisibleAsync();

        await page.Page.Locator(".cm-content").ClickAsync();
        await page.Page.Keyboard.PressAsync("Escape");
        await page.Page.Keyboard.TypeAsync("gg2jdd");
        Assert.Equal("package main\n\nfunc main() {}\n", await page.CodeAsync());
        await page.Page.Keyboard.TypeAsync("u");
        Assert.Contains("// delete me", await page.CodeAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Phone_Layout_StacksAndFitsTheScreen()
    {
        var (session, page) = await OpenAsync("/", new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
            DeviceScaleFactor = 2,
        });
        await using var _ = session;
        Assert.True(await page.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"), "the page scrolls sideways");
        var editor = (await page.Page.Locator("#editor").BoundingBoxAsync())!;
        var terminal = (await page.Page.Locator("#terminal").BoundingBoxAsync())!;
        Assert.True(terminal.Y >= editor.Y + editor.Height - 1, "output is not below the editor");
        Assert.True(editor.Width > 350 && terminal.Width > 340);
        var run = (await page.Run.BoundingBoxAsync())!;
        Assert.True(run.Height >= 36, "Run is too small to tap");

        await page.Run.TapAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        await Assertions.Expect(page.Page.Locator(".xterm-rows")).ToContainTextAsync("[exited");
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "phone.png") });
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData("/", "light")]
    [InlineData("/", "dark")]
    [InlineData("/embed", "light")]
    public async Task Accessibility_Axe_NoSeriousViolations(string path, string theme)
    {
        var (session, page) = await OpenAsync(path + (path == "/embed" ? "?theme=" + theme : ""), new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            ColorScheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
        });
        await using var _ = session;
        await page.Run.ClickAsync();
        await page.WaitForEndAsync();

        // xterm's hidden helper elements are not content; everything else is checked.
        var results = await page.Page.RunAxe(new AxeRunContext { Exclude = [new AxeSelector(".xterm-helpers")] });
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Target.ToString()))})").ToList();
        Assert.True(serious.Count == 0, string.Join('\n', serious));
        session.AssertNoErrors();
    }
}
