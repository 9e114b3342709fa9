using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>
/// <c>/embed</c> inside a real host page served from another origin (docs/embed-demo.html),
/// talking through postMessage.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class EmbedTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task HostPage_OtherOrigin_AutorunResultArrivesAndNewCodeRuns()
    {
        await using var host = await HostPage.StartAsync(app.BaseAddress);
        Assert.NotEqual(new Uri(app.BaseAddress.GetLeftPart(UriPartial.Authority)), new Uri(host.Address.GetLeftPart(UriPartial.Authority)));
        await using var session = await browser.OpenAsync(host.Address);
        var page = session.Page;

        // autorun=1: the embed runs on load (in playback mode) and posts the result.
        var first = await WaitForResultAsync(page, 1);
        Assert.Equal("exited", first.GetProperty("outcome").GetString());
        Assert.Equal("Hello from the embed 1\nHello from the embed 2\nHello from the embed 3\n", first.GetProperty("stdout").GetString());
        Assert.True(await page.EvaluateAsync<bool>("() => window.received.some(m => m.type === 'goplay:ready')"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.received.some(m => m.type === 'goplay:resize' && m.height > 100)"));
        // The terminal paints on animation frames; wait until the output is on screen.
        await Assertions.Expect(page.FrameLocator("#goplay").Locator(".xterm-rows")).ToContainTextAsync("Hello from the embed 3");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "embed.png"), FullPage = true });

        // The host sets new code and runs it.
        await page.Locator("#next").ClickAsync();
        var second = await WaitForResultAsync(page, 2);
        Assert.Equal("first power of 3 over 100: 243\n", second.GetProperty("stdout").GetString());
        var frame = page.FrameLocator("#goplay");
        await Assertions.Expect(frame.Locator(".cm-content")).ToContainTextAsync("for n < 100");

        // get-result answers with the last result.
        var answered = await page.EvaluateAsync<JsonElement>("""
            () => new Promise(resolve => {
              const frame = document.getElementById("goplay");
              const origin = new URL(frame.src).origin;
              addEventListener("message", function on(e) {
                if (e.origin === origin && e.data.type === "goplay:result") { removeEventListener("message", on); resolve(e.data.result); }
              });
              frame.contentWindow.postMessage({ type: "goplay:get-result" }, origin);
            })
            """);
        Assert.Equal("first power of 3 over 100: 243\n", answered.GetProperty("stdout").GetString());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Embed_ReadonlyAndDarkTheme_NoChromeAndNotEditable()
    {
        var code = Uri.EscapeDataString("package main\n\nfunc main() { println(\"ro\") }\n");
        await using var session = await browser.OpenAsync(new Uri(app.BaseAddress, $"/embed?readonly=1&theme=dark&code={code}"));
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();

        Assert.Equal("dark", await page.ThemeAsync());
        Assert.Equal("false", await session.Page.Locator(".cm-content").GetAttributeAsync("contenteditable"));
        Assert.False(await session.Page.Locator("#format").IsVisibleAsync());
        Assert.Equal(0, await session.Page.Locator("#share, #examples, .settings").CountAsync());
        await session.Page.Locator(".cm-content").ClickAsync();
        await session.Page.Keyboard.TypeAsync("xyz");
        Assert.DoesNotContain("xyz", await page.CodeAsync(), StringComparison.Ordinal);

        // Live mode on request; output of a read-only program still runs.
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.Contains("ro", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Embed_StorageBlocked_StillLoadsAndRuns()
    {
        await using var session = await browser.OpenAsync(new Uri("about:blank"));
        await session.Context.AddInitScriptAsync("""
            Object.defineProperty(window, "localStorage", { get() { throw new DOMException("blocked", "SecurityError"); } });
            """);
        await session.Page.GotoAsync(new Uri(app.BaseAddress, "/embed?mode=live").ToString());
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.Contains("Hello, 世界", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task FramingPolicy_EmbedAnyOrigin_OtherPagesSameOriginOnly()
    {
        using var embed = await app.Http.GetAsync(new Uri(app.BaseAddress, "/embed"));
        Assert.Equal("frame-ancestors *", embed.Headers.GetValues("Content-Security-Policy").Single());
        using var index = await app.Http.GetAsync(app.BaseAddress);
        Assert.Equal("frame-ancestors 'self'", index.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task FramingPolicy_OriginNotAllowed_BrowserRefusesTheFrame()
    {
        await using var web = await WebProcess.StartAsync(
            "--Sandbox:InstanceName=" + TestOwner.Name("embed"), "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Embed:AllowedOrigins:0=https://docs.example.com");
        await using var host = await HostPage.StartAsync(web.BaseAddress);
        await using var session = await browser.OpenAsync(host.Address);

        // Chromium replaces a frame refused by frame-ancestors with its error page; the page
        // load waits for the frame, so by now it is one or the other.
        var frame = session.Page.Frames.Single(f => f != session.Page.MainFrame);
        await frame.WaitForLoadStateAsync(LoadState.Load);
        Assert.StartsWith("chrome-error://", frame.Url, StringComparison.Ordinal);
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => window.received.length"));
    }

    private static async Task<JsonElement> WaitForResultAsync(IPage page, int count)
    {
        await page.WaitForFunctionAsync(
            "n => window.received.filter(m => m.type === 'goplay:result' && m.result).length >= n", count, new() { Timeout = 60_000, PollingInterval = 50 });
        return await page.EvaluateAsync<JsonElement>($"() => window.received.filter(m => m.type === 'goplay:result' && m.result)[{count - 1}].result");
    }

    /// <summary>docs/embed-demo.html served from another origin (localhost vs 127.0.0.1), pointing at GoPlay.</summary>
    private sealed class HostPage : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HostPage(WebApplication app, Uri address)
        {
            _app = app;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<HostPage> StartAsync(Uri goplay)
        {
            var demo = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(BrowserFixture.ScreenshotDirectory)!, "..", "docs", "embed-demo.html"));
            var html = demo.Replace("http://localhost:8080", goplay.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
            await app.StartAsync();
            var port = new Uri(app.Urls.First()).Port;
            // GoPlay is addressed as 127.0.0.1, the host page as localhost: two origins.
            return new HostPage(app, new Uri($"http://localhost:{port}/"));
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
