using Microsoft.Playwright;

namespace Playground.Web.Tests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright. Each test opens its own context (fresh
/// storage); page errors and failed console messages are collected so tests can assert none.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string HowToProvide =
        "The browser tests need Chromium at /usr/bin/chromium (or GOPLAY_CHROMIUM). The README's test command " +
        "(scripts/test.sh) installs it with apt (package chromium).";

    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The repository's root (where GoPlay.slnx is). Declared first: the next one uses it.</summary>
    public static string RepositoryRootPath { get; } = RepositoryRoot();

    /// <summary>Where screenshots go: TestResults/screenshots at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRootPath, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("GOPLAY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"No Chromium at {chromium}. " + HowToProvide);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in a container: Chromium's own sandbox needs user namespaces it may not have.
            ChromiumSandbox = false,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task<BrowserSession> OpenAsync(Uri url, BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(30_000);
        var session = new BrowserSession(context, await context.NewPageAsync());
        await session.Page.GotoAsync(url.ToString());
        return session;
    }

    /// <summary>Opens a GoPlay page (editor or embed) and waits until it is ready to use.</summary>
    public async Task<(BrowserSession Session, PlaygroundPage Page)> OpenPlaygroundAsync(Uri url, BrowserNewContextOptions? options = null)
    {
        var session = await OpenAsync(url, options);
        var page = new PlaygroundPage(session.Page);
        await page.ReadyAsync();
        return (session, page);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GoPlay.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

/// <summary>A browser context with its first page, and every error the page reported.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public BrowserSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        Watch(page);
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public List<string> Errors { get; } = [];

    public void Watch(IPage page)
    {
        page.PageError += (_, e) => Errors.Add("page error: " + e);
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                Errors.Add("console: " + m.Text + (m.Location is { Length: > 0 } at ? " at " + at : ""));
            }
        };
    }

    /// <summary>Fails with every error the pages reported.</summary>
    public void AssertNoErrors() => Assert.True(Errors.Count == 0, "The page reported errors:\n" + string.Join('\n', Errors));

    public async Task<IPage> NewPageAsync(Uri url)
    {
        var page = await Context.NewPageAsync();
        Watch(page);
        await page.GotoAsync(url.ToString());
        return page;
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
