using System.Text.Json;
using Microsoft.Playwright;
using Playground.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Playground.Web.Tests.Browser;

/// <summary>
/// A first visit with an empty cache, on loopback: what is transferred, how soon the editor can
/// be used, and how soon the first Run hears from the server.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class FirstVisitTests(WebAppFixture app, BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const long JavaScriptBudgetBytes = 350 * 1024;

    [Fact]
    public async Task FirstVisit_CompressedCachedJavaScript_ConnectionOpenBeforeTheFirstRun()
    {
        await using var session = await browser.OpenAsync(new Uri(app.BaseAddress, "/"));
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();

        // Bytes on the wire (compressed, with headers), as the browser counted them.
        var scripts = await session.Page.EvaluateAsync<JsonElement>("""
            () => performance.getEntriesByType('resource')
              .filter(e => e.name.endsWith('.js'))
              .map(e => ({ name: e.name, transfer: e.transferSize, decoded: e.decodedBodySize }))
            """);
        var transferred = scripts.EnumerateArray().Sum(s => s.GetProperty("transfer").GetInt64());
        var decoded = scripts.EnumerateArray().Sum(s => s.GetProperty("decoded").GetInt64());
        var readyMs = await session.Page.EvaluateAsync<double>("() => performance.getEntriesByName('goplay-ready')[0]?.startTime ?? -1");
        output.WriteLine($"JavaScript: {transferred} bytes transferred, {decoded} bytes decoded, {scripts.GetArrayLength()} files; ready at {readyMs:0} ms");

        // The hub connection is opened with the page, so the first Run does not wait for it.
        await Assertions.Expect(session.Page.Locator("#connection")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 10_000 });

        // The first Run: from the click to the server's first word about it.
        await session.Page.EvaluateAsync("""
            () => {
              window.firstRun = {};
              document.getElementById('run').addEventListener('click', () => window.firstRun.clicked = performance.now(), { capture: true });
              new MutationObserver(() => {
                const s = document.getElementById('status').textContent;
                if (window.firstRun.clicked && !window.firstRun.heard && /^(Queued|Building|Preparing|Running)/.test(s)) window.firstRun.heard = performance.now();
              }).observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true });
            }
            """);
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        var firstEventMs = await session.Page.EvaluateAsync<double>("() => window.firstRun.heard - window.firstRun.clicked");
        output.WriteLine($"First run: first server event {firstEventMs:0} ms after the click");

        var cache = await session.Page.EvaluateAsync<string?>("""
            async () => {
              const src = [...document.querySelectorAll('script[src]')].map(s => s.src).find(s => s.includes('/assets/'));
              return (await fetch(src)).headers.get('cache-control');
            }
            """);
        Assert.True(transferred <= JavaScriptBudgetBytes, $"{transferred} bytes of JavaScript transferred (budget {JavaScriptBudgetBytes})");
        Assert.Contains("immutable", cache ?? "", StringComparison.Ordinal);
        // The times (goals: ready within 1 s, first event within 100 ms) are written to the test
        // output, not asserted: on a shared test machine they measure its load, not the page.
        Assert.True(readyMs > 0, "the page set no goplay-ready mark");
        Assert.True(firstEventMs > 0, "no server event was seen after the click");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task VimMode_LoadedOnlyWhenTurnedOn_ShowsItsModeIndicator()
    {
        var (session, page) = await browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, "/"));
        await using var _ = session;
        var before = await session.Page.EvaluateAsync<int>("() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('.js')).length");

        await page.Page.Locator(".settings summary").ClickAsync();
        await page.Page.Locator("#vim").CheckAsync();
        await page.Page.Locator(".settings summary").ClickAsync();
        // The mode indicator shows once the mode has arrived.
        await Assertions.Expect(page.Page.Locator(".cm-vim-panel")).ToBeVisibleAsync();

        var after = await session.Page.EvaluateAsync<int>("() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('.js')).length");
        Assert.True(after > before, "turning Vim on loaded no code: it was in the first download");
        session.AssertNoErrors();
    }
}
