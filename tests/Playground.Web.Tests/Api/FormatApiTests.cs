using System.Net;
using System.Text.Json;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>/fmt over real HTTP; formatting runs in the real builder container.</summary>
[Collection(WebAppTests.Name)]
public sealed class FormatApiTests(WebAppFixture app)
{
    private async Task<(HttpStatusCode Status, string Raw, string Body, string Error)> FormatAsync(string body, string? imports = null)
    {
        var fields = new Dictionary<string, string> { ["body"] = body };
        if (imports is not null)
        {
            fields["imports"] = imports;
        }

        var response = await app.Http.PostAsync(new Uri(app.BaseAddress, "/fmt"), new FormUrlEncodedContent(fields));
        var raw = await response.Content.ReadAsStringAsync();
        var root = JsonDocument.Parse(raw).RootElement;
        return (response.StatusCode, raw, root.GetProperty("Body").GetString()!, root.GetProperty("Error").GetString()!);
    }

    [Fact]
    public async Task Fmt_Gofmt_ExactBody()
    {
        var (status, raw, _, _) = await FormatAsync("package main\nimport \"fmt\"\nfunc main(){fmt.Println(\"hi\")}\n");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("{\"Body\":\"package main\\n\\nimport \\\"fmt\\\"\\n\\nfunc main() { fmt.Println(\\\"hi\\\") }\\n\",\"Error\":\"\"}\n", raw);
    }

    [Fact]
    public async Task Fmt_WithImports_AddsAndRemovesImports()
    {
        var (_, _, body, error) = await FormatAsync("package main\n\nimport \"os\"\n\nfunc main() { fmt.Println(strings.ToUpper(\"x\")) }\n", imports: "true");

        Assert.Equal("", error);
        Assert.Equal("package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc main() { fmt.Println(strings.ToUpper(\"x\")) }\n", body);
    }

    [Fact]
    public async Task Fmt_WithoutImports_LeavesImportsAlone()
    {
        var (_, _, body, _) = await FormatAsync("package main\n\nfunc main() { fmt.Println() }\n");
        Assert.Equal("package main\n\nfunc main() { fmt.Println() }\n", body);
    }

    [Fact]
    public async Task Fmt_SyntaxError_ErrorWithPositionAndNoBody()
    {
        var (status, _, body, error) = await FormatAsync("package main\nfunc main( {}\n");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("", body);
        Assert.Equal("prog.go:2:12: expected ')', found '{'", error);

        // Several errors read as go/format's list does on go.dev: the first, and how many more.
        var (_, _, _, several) = await FormatAsync("package main\nfunc main( {}\nfunc x( {}\nvar = 3\n");
        Assert.Equal("prog.go:2:12: expected ')', found '{' (and 2 more errors)", several);
    }

    [Fact]
    public async Task Fmt_TxtarWithGoMod_EachFileFormattedOrderKept()
    {
        var (_, _, body, error) = await FormatAsync("package main\nfunc main(){}\n-- go.mod --\nmodule   example.com/x\ngo 1.19\n-- util/u.go --\npackage util\nfunc F(){}\n");

        Assert.Equal("", error);
        Assert.Equal("package main\n\nfunc main() {}\n-- go.mod --\nmodule example.com/x\n\ngo 1.19\n-- util/u.go --\npackage util\n\nfunc F() {}\n", body);
    }
}

[Collection(WebAppTests.Name)]
public sealed class VetApiTests(WebAppFixture app)
{
    [Fact]
    public async Task Vet_FindingInErrorsCleanProgramEmpty()
    {
        var finding = await app.Http.PostAsync(new Uri(app.BaseAddress, "/vet"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["body"] = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"hi %v\")\n}\n",
        }));
        // Go 1.27's vet points at the format string (1.19's pointed at the call).
        Assert.Equal(
            "./prog.go:6:17: fmt.Printf format %v reads arg #1, but call has 0 args\n",
            JsonDocument.Parse(await finding.Content.ReadAsStringAsync()).RootElement.GetProperty("Errors").GetString());

        var clean = await app.Http.PostAsync(new Uri(app.BaseAddress, "/vet"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["body"] = "package main\n\nfunc main() {}\n",
        }));
        Assert.Equal("", JsonDocument.Parse(await clean.Content.ReadAsStringAsync()).RootElement.GetProperty("Errors").GetString());
    }

    [Theory]
    [InlineData("module play\n\ngo 1.21\n\nreplace example.com/x => ../outside\n", "go.mod:5: replace to ../outside points outside the submitted files.")]
    [InlineData("module play\n\ngo 1.99\n", "go.mod:3: go.mod requires go 1.99, newer than every Go version on this server (go1.")]
    public async Task Vet_GoModARunWouldRefuse_RefusedTheSameWay(string goMod, string expected)
    {
        var response = await app.Http.PostAsync(new Uri(app.BaseAddress, "/vet"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["body"] = "-- go.mod --\n" + goMod + "-- prog.go --\npackage main\n\nfunc main() {}\n",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(expected, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("Errors").GetString(), StringComparison.Ordinal);
    }
}
