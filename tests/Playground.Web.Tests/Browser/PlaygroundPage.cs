using Microsoft.Playwright;

namespace Playground.Web.Tests.Browser;

/// <summary>What the tests do on the editor page (and the embed, which shares its parts).</summary>
public sealed class PlaygroundPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Run => Page.Locator("#run");

    public ILocator Kill => Page.Locator("#kill");

    public ILocator Format => Page.Locator("#format");

    public ILocator Status => Page.Locator("#status");

    /// <summary>The toolbar's Go version picker (the editor page only; the embed takes <c>version=</c>).</summary>
    public ILocator GoVersion => Page.Locator("#go-version");

    /// <summary>Picks a Go version by its exact version (the option's value, e.g. go1.26.11), as a user does.</summary>
    public async Task PickGoVersionAsync(string version) => await GoVersion.SelectOptionAsync(version);

    public async Task ReadyAsync() =>
        await Page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true' && !!window.goplay");

    /// <summary>Replaces the active file's text the way a paste does (no auto-indent, no auto-closed brackets).</summary>
    public async Task ReplaceCodeAsync(string code)
    {
        await Page.Locator(".cm-content").ClickAsync();
        await Page.Keyboard.PressAsync("Control+A");
        await Page.Keyboard.PressAsync("Delete");
        await Page.Keyboard.InsertTextAsync(code);
    }

    public Task<string> CodeAsync() => Page.EvaluateAsync<string>("() => window.goplay.editor.view.state.doc.toString()");

    public Task<string> OutputAsync() => Page.EvaluateAsync<string>("() => window.goplay.terminal.text()");

    public async Task WaitForOutputAsync(string text, int timeoutMs = 30_000) =>
        await Page.WaitForFunctionAsync("s => window.goplay.terminal.text().includes(s)", text, new() { Timeout = timeoutMs, PollingInterval = 20 });

    public async Task WaitForStatusAsync(string text, int timeoutMs = 30_000) =>
        await Page.WaitForFunctionAsync("s => document.getElementById('status').textContent === s", text, new() { Timeout = timeoutMs, PollingInterval = 20 });

    /// <summary>Waits for the run to end and returns the page's status line.</summary>
    public async Task<string> WaitForEndAsync(int timeoutMs = 60_000)
    {
        await Page.WaitForFunctionAsync("() => window.goplay.lastResult !== null && !window.goplay.running", null, new() { Timeout = timeoutMs, PollingInterval = 20 });
        return await Status.TextContentAsync() ?? "";
    }

    public Task<string> ResultOutcomeAsync() => Page.EvaluateAsync<string>("() => window.goplay.lastResult?.outcome ?? ''");

    public async Task FocusTerminalAsync() => await Page.Locator("#terminal .xterm").ClickAsync();

    public Task<string> ThemeAsync() => Page.EvaluateAsync<string>("() => document.documentElement.dataset.theme");
}
