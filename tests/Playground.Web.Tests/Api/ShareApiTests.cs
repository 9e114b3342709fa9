using System.Net;
using System.Text;
using Playground.Web.Snippets;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

[Collection(WebAppTests.Name)]
public sealed class ShareApiTests(WebAppFixture app)
{
    private Uri At(string path) => new(app.BaseAddress, path);

    [Theory]
    [InlineData("Snippy McSnipface", "N_M_YelfGeR")]
    public void SnippetId_UpstreamVector(string body, string id) => Assert.Equal(id, SnippetId.For(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void SnippetId_TrailingUnderscoreExtended()
    {
        // Find a body whose 11th character is '_' and check the ID grows past it.
        for (var i = 0; ; i++)
        {
            var body = Encoding.UTF8.GetBytes("body " + i);
            var id = SnippetId.For(body);
            var full = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData([.. "Go playground salt\n"u8.ToArray(), .. body])).Replace('+', '-').Replace('/', '_');
            if (full[10] == '_')
            {
                Assert.True(id.Length > 11);
                Assert.NotEqual('_', id[^1]);
                Assert.StartsWith(id, full, StringComparison.Ordinal);
                return;
            }

            Assert.Equal(full[..11], id);
        }
    }

    [Fact]
    public async Task Share_RoundTripRawDownloadPageAndGoDevLayout()
    {
        var source = "package main\n\nfunc main() { println(\"" + Guid.NewGuid().ToString("N") + "\") }\n";
        var response = await app.Http.PostAsync(At("/share"), new StringContent(source));
        var id = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SnippetId.For(Encoding.UTF8.GetBytes(source)), id);
        Assert.DoesNotContain('\n', id);

        var raw = await app.Http.GetAsync(At($"/p/{id}.go"));
        Assert.Equal("text/plain; charset=utf-8", raw.Content.Headers.ContentType!.ToString());
        Assert.Equal(source, await raw.Content.ReadAsStringAsync());
        Assert.False(raw.Content.Headers.Contains("Content-Disposition"));

        var download = await app.Http.GetAsync(At($"/p/{id}.go?download=true"));
        Assert.Equal($"attachment; filename=\"{id}.go\"", download.Content.Headers.GetValues("Content-Disposition").Single());

        Assert.Equal(source, await app.Http.GetStringAsync(At($"/_/share?id={id}")));

        var page = await app.Http.GetAsync(At($"/p/{id}"));
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        // The editor page (its bundle loads the snippet; the browser tests show that).
        Assert.Contains("<title>GoPlay — the Go playground</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // go.dev's layout stores the same way.
        var again = await app.Http.PostAsync(At("/_/share"), new ByteArrayContent(Encoding.UTF8.GetBytes(source)));
        Assert.Equal(id, await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Share_LimitsMethodsAndUnknownIds()
    {
        var tooLarge = await app.Http.PostAsync(At("/share"), new ByteArrayContent(new byte[(64 * 1024) + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("Snippet is too large\n", await tooLarge.Content.ReadAsStringAsync());

        var exactly = await app.Http.PostAsync(At("/share"), new ByteArrayContent(new byte[64 * 1024]));
        Assert.Equal(HttpStatusCode.OK, exactly.StatusCode);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await app.Http.GetAsync(At("/share"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(At("/p/AAAAAAAAAAA.go"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(At("/p/AAAAAAAAAAA"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(At("/_/share?id=AAAAAAAAAAA"))).StatusCode);
    }

    [Fact]
    public async Task Share_ConcurrentIdenticalShares_OneId()
    {
        var source = "package main // " + Guid.NewGuid();
        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            await (await app.Http.PostAsync(At("/share"), new StringContent(source))).Content.ReadAsStringAsync()));

        Assert.Single(ids.Distinct());
        Assert.Equal(source, await app.Http.GetStringAsync(At($"/p/{ids[0]}.go")));
    }

    [Fact]
    public async Task Share_SurvivesARestart()
    {
        var data = Directory.CreateTempSubdirectory("goplay-share-restart-").FullName;
        var source = "package main // survives " + Guid.NewGuid();
        using var http = new HttpClient();
        string id;
        await using (var first = await WebProcess.StartAsync("--Snippets:DataDirectory=" + data, "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0"))
        {
            id = await (await http.PostAsync(new Uri(first.BaseAddress, "/share"), new StringContent(source))).Content.ReadAsStringAsync();
        }

        await using var second = await WebProcess.StartAsync("--Snippets:DataDirectory=" + data, "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0");
        Assert.Equal(source, await http.GetStringAsync(new Uri(second.BaseAddress, $"/p/{id}.go")));
    }
}
