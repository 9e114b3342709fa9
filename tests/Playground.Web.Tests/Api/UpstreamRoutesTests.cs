using System.Net;
using System.Text;
using Playground.Web.Tests.Browser;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>
/// The bytes, headers and statuses existing clients get from play.golang.org and go.dev
/// (golang/playground server.go, edit.go, examples.go; golang/website internal/play), over
/// real HTTP against the real sandbox.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class UpstreamRoutesTests(WebAppFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Hello = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, 世界\")\n}\n";

    /// <summary>Sees redirects instead of following them.</summary>
    private static readonly HttpClient NoRedirects = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private Uri At(string path) => new(app.BaseAddress, path);

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string path, params (string Key, string Value)[] fields)
    {
        var response = await app.Http.PostAsync(At(path), Form(fields));
        return (response, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> ShareAsync(string source)
    {
        using var response = await app.Http.PostAsync(At("/share"), new StringContent(source));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static string Unique(string source) => source.Replace("世界", "routes " + Guid.NewGuid().ToString("N"), StringComparison.Ordinal);

    [Fact]
    public async Task GoDevCompile_Version1_JsonMarshalBytesWithoutNewline()
    {
        var (response, body) = await PostAsync("/_/compile", ("body", Hello));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"compile_errors\":\"\",\"output\":\"Hello, 世界\\n\"}", body);
        // go.dev sets no Content-Type: Go's sniffing names JSON text/plain.
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task GoDevCompile_Get_405InGoDevsWords()
    {
        using var response = await app.Http.GetAsync(At("/_/compile?body=package%20main"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("I only answer to POST requests.\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task GoDevCompile_Version2_ErrorsEventsVetErrorsOnly_HtmlEscaped()
    {
        var source = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"<a & b>\")\n}\n";

        var (response, body) = await PostAsync("/_/compile", ("version", "2"), ("body", source));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"Errors\":\"\",\"Events\":[{\"Message\":\"\\u003ca \\u0026 b\\u003e\\n\",\"Kind\":\"stdout\",\"Delay\":0}],\"VetErrors\":\"\"}", body);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task GoDevCompile_Version2_CompileErrorAndVetFindings()
    {
        var (_, broken) = await PostAsync("/_/compile", ("version", "2"), ("body", "package main\n\nfunc main() {\n\tx := 1\n}\n"));
        Assert.Equal("{\"Errors\":\"./prog.go:4:2: declared and not used: x\\n\",\"Events\":null,\"VetErrors\":\"\"}", broken);

        var (_, vetted) = await PostAsync("/_/compile", ("version", "2"), ("withVet", "true"), ("body", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"hi %v\")\n}\n"));
        Assert.Equal(
            "{\"Errors\":\"\",\"Events\":[{\"Message\":\"hi %!v(MISSING)\",\"Kind\":\"stdout\",\"Delay\":0}],\"VetErrors\":\"./prog.go:6:17: fmt.Printf format %v reads arg #1, but call has 0 args\\n\"}",
            vetted);
    }

    [Fact]
    public async Task Compile_SameProgram_KeepsPlayGolangOrgsFullShapeAndNewline()
    {
        var source = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"<full>\")\n}\n";

        var (response, body) = await PostAsync("/compile", ("version", "2"), ("withVet", "true"), ("body", source));

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("{\"Errors\":\"\",\"Events\":[{\"Message\":\"\\u003cfull\\u003e\\n\",\"Kind\":\"stdout\",\"Delay\":0}],\"Status\":0,\"IsTest\":false,\"TestsFailed\":0,\"VetOK\":true}\n", body);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/version")]
    [InlineData("/_ah/health")]
    [InlineData("/play/")]
    [InlineData("/doc/play/hello.txt")]
    public async Task Cors_PagesAndRoutes_AnyOrigin(string path)
    {
        using var response = await app.Http.GetAsync(At(path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData("/no/such/page")]
    [InlineData("/assets/no-such-file.js")]
    [InlineData("/p/AAAAAAAAAAA")]
    [InlineData("/p/AAAAAAAAAAA.go")]
    [InlineData("/play/p/AAAAAAAAAAA")]
    [InlineData("/play/p/AAAAAAAAAAA.go")]
    [InlineData("/_/share?id=AAAAAAAAAAA")]
    [InlineData("/doc/play/min.gotip.txt")]
    public async Task Cors_Every404_AnyOrigin(string path)
    {
        using var response = await app.Http.GetAsync(At(path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Options_OnSnippetPagesAndText_Empty200AnyOrigin()
    {
        var id = await ShareAsync(Unique(Hello));
        foreach (var path in (string[])[$"/p/{id}", $"/p/{id}.go", $"/play/p/{id}", $"/play/p/{id}.go"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, At(path));
            using var response = await app.Http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task DocPlay_EveryBuiltInExample_ItsFileWithoutTheTitleLine()
    {
        var files = Directory.GetFiles(Path.Combine(BrowserFixture.RepositoryRootPath, "wwwroot", "src", "examples"), "*.txt");
        Assert.Contains(files, f => Path.GetFileName(f) == "hello.txt");
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file);
            using var response = await app.Http.GetAsync(At("/doc/play/" + Path.GetFileName(file)));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            Assert.Equal(text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..], await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(Hello, await app.Http.GetStringAsync(At("/doc/play/hello.txt")));
        var multi = await app.Http.GetStringAsync(At("/doc/play/multi.txt"));
        Assert.StartsWith("package main\n", multi, StringComparison.Ordinal);
        Assert.Contains("\n-- go.mod --\nmodule play.ground\n", multi, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/doc/play/min.gotip.txt")]
    [InlineData("/doc/play/hello")]
    [InlineData("/doc/play/")]
    [InlineData("/doc/play/sub/hello.txt")]
    public async Task DocPlay_UnknownName_GoNotFound(string path)
    {
        using var response = await app.Http.GetAsync(At(path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PlayP_GoDevLinks_TextPageAnd404()
    {
        var source = Unique(Hello);
        var id = await ShareAsync(source);

        using var raw = await app.Http.GetAsync(At($"/play/p/{id}.go"));
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", raw.Content.Headers.ContentType!.ToString());
        Assert.Equal(source, await raw.Content.ReadAsStringAsync());

        using var page = await app.Http.GetAsync(At($"/play/p/{id}"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await app.Http.GetStringAsync(At("/")), await page.Content.ReadAsStringAsync());

        foreach (var unknown in (string[])["/play/p/AAAAAAAAAAA", "/play/p/AAAAAAAAAAA.go", "/play/p/bad!id"])
        {
            using var missing = await app.Http.GetAsync(At(unknown));
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("Snippet not found\n", await missing.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("/play", HttpStatusCode.MovedPermanently)]
    [InlineData("/play/p/", HttpStatusCode.Found)]
    [InlineData("/play/elsewhere", HttpStatusCode.Found)]
    public async Task Play_OtherPaths_RedirectToThePlayPage(string path, HttpStatusCode status)
    {
        using var response = await NoRedirects.GetAsync(At(path));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("/play/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task PlayP_InTheBrowser_OpensTheSnippet()
    {
        var source = Unique(Hello);
        var id = await ShareAsync(source);

        var (session, page) = await browser.OpenPlaygroundAsync(At($"/play/p/{id}"));
        await using var _ = session;

        Assert.Equal(source, await page.CodeAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public void Examples_EmbeddedForTheServer_SameNamesAsTheFrontEndsFiles()
    {
        var files = Directory.GetFiles(Path.Combine(BrowserFixture.RepositoryRootPath, "wwwroot", "src", "examples"), "*.txt").Select(Path.GetFileName);

        Assert.Equal(files.Order(StringComparer.Ordinal), Examples.ExampleEndpoints.Load().Keys.Order(StringComparer.Ordinal));
        Assert.All(Examples.ExampleEndpoints.Load().Values, v => Assert.DoesNotContain("// Title:", Encoding.UTF8.GetString(v), StringComparison.Ordinal));
    }
}
