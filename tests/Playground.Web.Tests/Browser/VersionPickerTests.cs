using System.Text.Json;
using Microsoft.Playwright;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Browser;

/// <summary>
/// The editor's Go version picker, a share link's <c>?v=</c> and the embed's <c>version=</c>
/// against the real server and its installed toolchains. The program prints
/// <c>runtime.Version()</c>, so the output says which toolchain really built it.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class VersionPickerTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string PrintVersion = """
        package main

        import (
        	"fmt"
        	"runtime"
        )

        func main() {
        	fmt.Println(runtime.Version())
        }

        """;

    private Task<(BrowserSession Session, PlaygroundPage Page)> OpenAsync(string path = "/", BrowserNewContextOptions? options = null) =>
        browser.OpenPlaygroundAsync(new Uri(app.BaseAddress, path), options);

    [Fact]
    public async Task Picker_PageLoaded_ListsExactlyTheServersVersions()
    {
        var (session, page) = await OpenAsync();
        await using var _ = session;
        var versions = await VersionsAsync();
        var options = await page.Page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll('#go-version option')].map(o => ({
              value: o.value, version: o.dataset.version ?? null, text: o.textContent, disabled: o.disabled, title: o.title }))
            """);
        var all = options.EnumerateArray().ToList();

        // First "Latest": no version sent, the server's default runs; then one option per version, in the server's order.
        Assert.Equal("", all[0].GetProperty("value").GetString());
        Assert.StartsWith("Latest", all[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        var listed = all.Skip(1).ToList();
        Assert.Equal(versions.Select(v => v.GetProperty("version").GetString()), listed.Select(o => o.GetProperty("version").GetString()));

        foreach (var (v, o) in versions.Zip(listed))
        {
            var version = v.GetProperty("version").GetString()!;
            var text = o.GetProperty("text").GetString()!;
            Assert.StartsWith($"{v.GetProperty("name").GetString()} ({version})", text, StringComparison.Ordinal);
            Assert.Equal(v.GetProperty("default").GetBoolean(), text.Contains("(default)", StringComparison.Ordinal));
            // Preparing and failed versions may change state between the page's request and this
            // one; ready and unavailable ones do not.
            switch (v.GetProperty("state").GetString())
            {
                case "ready":
                    Assert.False(o.GetProperty("disabled").GetBoolean(), $"{version} is ready but cannot be picked");
                    break;
                case "unavailable":
                    Assert.True(o.GetProperty("disabled").GetBoolean(), $"{version} is unavailable but can be picked");
                    Assert.Equal(v.GetProperty("message").GetString(), o.GetProperty("title").GetString());
                    break;
            }
        }

        session.AssertNoErrors();
    }

    [Fact]
    public async Task Run_OldestReadyVersionPicked_PrintsItsVersionAndTheChoiceSurvivesReload()
    {
        var oldest = await OldestReadyVersionAsync();
        var version = oldest.GetProperty("version").GetString()!;
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync(PrintVersion);

        await page.PickGoVersionAsync(version);
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.StartsWith(version + "\n", await page.OutputAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Page.Locator(".xterm-rows")).ToContainTextAsync("[exited");
        await page.GoVersion.FocusAsync();
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "go-version-picked.png") });

        // The choice is kept with the settings: after a reload the picker shows it and runs use it.
        await page.Page.ReloadAsync();
        await page.ReadyAsync();
        Assert.Equal(version, await page.GoVersion.InputValueAsync());
        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.StartsWith(version + "\n", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Share_NonDefaultVersionPicked_LinkCarriesVAndOpensWithThatVersion()
    {
        var oldest = await OldestReadyVersionAsync();
        var version = oldest.GetProperty("version").GetString()!;
        var release = oldest.GetProperty("release").GetString()!;
        var (session, page) = await OpenAsync();
        await using var _ = session;
        await page.ReplaceCodeAsync(PrintVersion);
        await page.PickGoVersionAsync(version);

        await page.Page.Keyboard.PressAsync("Control+S");
        var link = page.Page.Locator("#share-url");
        await Assertions.Expect(link).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"/p/[A-Za-z0-9_-]+\?v="));
        var url = new Uri(await link.InputValueAsync());
        // go.dev's form: the release without its "go" (?v=1.26).
        Assert.Equal("?v=" + release.Replace("go", "", StringComparison.Ordinal), url.Query);
        Assert.EndsWith(url.PathAndQuery, page.Page.Url, StringComparison.Ordinal);

        // Someone else (fresh storage) opens the link: that version is picked and runs.
        var (other, opened) = await OpenAsync(url.PathAndQuery);
        await using var __ = other;
        Assert.Equal(version, await opened.GoVersion.InputValueAsync());
        await opened.Run.ClickAsync();
        Assert.Equal("Exited", await opened.WaitForEndAsync());
        Assert.StartsWith(version + "\n", await opened.OutputAsync(), StringComparison.Ordinal);

        // The link picked the version for its page only: their next new program gets the default.
        var fresh = new PlaygroundPage(await other.NewPageAsync(app.BaseAddress));
        await fresh.ReadyAsync();
        Assert.Equal("", await fresh.GoVersion.InputValueAsync());
        session.AssertNoErrors();
        other.AssertNoErrors();
    }

    [Fact]
    public async Task OpenLink_VersionTheServerLacks_NoticeShownAndDefaultKept()
    {
        var (session, page) = await OpenAsync("/?v=go1.2");
        await using var _ = session;

        Assert.Equal("Go 1.2 is not available here; using " + await DefaultNameAsync() + ".", await page.Status.TextContentAsync());
        Assert.Equal("", await page.GoVersion.InputValueAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Embed_VersionParameter_RunsThatVersion()
    {
        var oldest = await OldestReadyVersionAsync();
        var version = oldest.GetProperty("version").GetString()!;
        var release = oldest.GetProperty("release").GetString()!;
        var code = Uri.EscapeDataString(PrintVersion);
        var (session, page) = await OpenAsync($"/embed?version={release}&code={code}");
        await using var _ = session;

        await page.Run.ClickAsync();
        Assert.Equal("Exited", await page.WaitForEndAsync());
        Assert.StartsWith(version + "\n", await page.OutputAsync(), StringComparison.Ordinal);
        session.AssertNoErrors();
    }

    /// <summary>GET /versions' list, newest first.</summary>
    private async Task<List<JsonElement>> VersionsAsync()
    {
        using var response = await app.Http.GetAsync(new Uri(app.BaseAddress, "/versions"));
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.Clone()).ToList();
    }

    private async Task<string> DefaultNameAsync() =>
        (await VersionsAsync()).Single(v => v.GetProperty("default").GetBoolean()).GetProperty("name").GetString()!;

    /// <summary>
    /// The oldest ready version other than the default. The server is ready when its default is;
    /// the other versions are prepared in the background one at a time, so this waits for one.
    /// </summary>
    private async Task<JsonElement> OldestReadyVersionAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            var versions = await VersionsAsync();
            var ready = versions.Where(v => v.GetProperty("state").GetString() == "ready" && !v.GetProperty("default").GetBoolean()).ToList();
            if (ready.Count > 0)
            {
                return ready[^1];
            }

            if (!versions.Any(v => v.GetProperty("state").GetString() == "preparing") || DateTime.UtcNow > deadline)
            {
                Assert.Fail(
                    "These tests need a second ready Go version besides the default (scripts/setup.sh installs them); GET /versions says: " +
                    string.Join(", ", versions.Select(v => $"{v.GetProperty("version").GetString()} {v.GetProperty("state").GetString()}")));
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }
}
