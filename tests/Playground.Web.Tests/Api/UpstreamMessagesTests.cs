using System.Text.Json;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>
/// The words existing clients read from golang/playground, over real HTTP against the real
/// sandbox: every case of upstream's txtar_test.go (through /compile and /fmt, which both split
/// with it), every case of its fmt_test.go, and a compile error in a program of tests.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class UpstreamMessagesTests(WebAppFixture app)
{
    private async Task<JsonElement> PostAsync(string path, params (string Key, string Value)[] fields)
    {
        var response = await app.Http.PostAsync(
            new Uri(app.BaseAddress, path),
            new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task<string> CompileErrorsAsync(string body, bool vet = false) =>
        (await PostAsync("/compile", ("version", "2"), ("body", body), ("withVet", vet ? "true" : "false"))).GetProperty("Errors").GetString()!;

    private async Task<(string Body, string Error)> FormatAsync(string body, bool imports = false)
    {
        var root = imports ? await PostAsync("/fmt", ("body", body), ("imports", "true")) : await PostAsync("/fmt", ("body", body));
        return (root.GetProperty("Body").GetString()!, root.GetProperty("Error").GetString()!);
    }

    /// <summary>upstream txtar_test.go, TestSplitFiles: every case that is refused, in its words.</summary>
    public static TheoryData<string, string, string> TxtarRejections => new()
    {
        { "reject dotdot 1", "-- ../foo --\n", "invalid file name \"../foo\"" },
        { "reject dotdot 2", "-- .. --\n", "invalid file name \"..\"" },
        { "reject dotdot 3", "-- bar/../foo --\n", "invalid file name \"bar/../foo\"" },
        { "reject long", "-- " + new string('x', 203) + " --\n", "file name too long" },
        { "reject deep", "-- x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x --\n", "file name \"x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x\" too deep" },
        { "reject abs", "-- /etc/passwd --\n", "invalid file name \"/etc/passwd\"" },
        { "reject backslash", "-- foo\\bar --\n", "invalid file name \"foo\\\\bar\"" },
        { "reject binary null", "-- foo\u0000bar --\n", "invalid file name \"foo\\x00bar\"" },
        { "reject binary low", "-- foo\u001fbar --\n", "invalid file name \"foo\\x1fbar\"" },
        { "reject dup", "-- foo.go --\n-- foo.go --\n", "duplicate file name \"foo.go\"" },
        { "reject implicit dup", "package main\n-- prog.go --\n", "duplicate file name \"prog.go\"" },
        // Counted before names: fifty copies of one name are too many, not a duplicate.
        { "reject many files", string.Concat(Enumerable.Repeat("-- x.go --\n", 50)), "too many files in txtar archive (50 exceeds limit of 20)" },
    };

    [Theory]
    [MemberData(nameof(TxtarRejections))]
    public async Task Compile_UpstreamTxtarRejection_UpstreamErrorsExactly(string name, string body, string expected)
    {
        Assert.NotEmpty(name);

        Assert.Equal(expected, await CompileErrorsAsync(body));
    }

    [Theory]
    [MemberData(nameof(TxtarRejections))]
    public async Task Fmt_UpstreamTxtarRejection_UpstreamErrorExactly(string name, string body, string expected)
    {
        Assert.NotEmpty(name);

        Assert.Equal(("", expected), await FormatAsync(body));
    }

    /// <summary>upstream txtar_test.go's accepted cases, as /compile runs them: the files are the ones upstream splits.</summary>
    [Fact]
    public async Task Compile_UpstreamTxtarAcceptedCases_RunAsSplit()
    {
        // "implicit prog.go" and "basic txtar", made into programs: the header-less text is prog.go.
        Assert.Equal("", await CompileErrorsAsync("package main\n\nfunc main() { println(two) }\n-- two.go --\npackage main\n\nconst two = 2"));
        Assert.Equal("", await CompileErrorsAsync("-- main.go --\npackage main\n\nfunc main() { foo() }\n-- foo.go --\npackage main\n\nfunc foo() {}\n"));

        // "skip leading whitespace comment": blank text before the first header is no file.
        Assert.Equal("", await CompileErrorsAsync("\n    \n\n   \n\n-- f.go --\npackage main\n\nfunc main() {}"));
    }

    /// <summary>upstream fmt_test.go, TestHandleFmt: every POST case, body and error exactly.</summary>
    public static TheoryData<string, string, bool, string, string> FmtCases => new()
    {
        { "classic", " package main\n    func main( ) {  }\n", false, "package main\n\nfunc main() {}\n", "" },
        { "classic_goimports", " package main\nvar _ = fmt.Printf", true, "package main\n\nimport \"fmt\"\n\nvar _ = fmt.Printf\n", "" },
        { "single_go_with_header", "-- prog.go --\n  package main", false, "-- prog.go --\npackage main\n", "" },
        { "multi_go_with_header", "-- prog.go --\n  package main\n\n\n-- two.go --\n   package main\n  var X = 5", false, "-- prog.go --\npackage main\n-- two.go --\npackage main\n\nvar X = 5\n", "" },
        { "multi_go_without_header", "    package main\n\n\n-- two.go --\n   package main\n  var X = 5", false, "package main\n-- two.go --\npackage main\n\nvar X = 5\n", "" },
        { "single_go.mod_with_header", "-- go.mod --\n   module   \"foo\"   ", false, "-- go.mod --\nmodule foo\n", "" },
        { "multi_go.mod_with_header", "-- a/go.mod --\n  module foo\n\n\n-- b/go.mod --\n   module  \"bar\"", false, "-- a/go.mod --\nmodule foo\n-- b/go.mod --\nmodule bar\n", "" },
        { "only_format_go_and_go.mod", "    package   main   \n\n\n-- go.mod --\n   module   foo   \n\n\n-- plain.txt --\n   plain   text   \n\n\n", false, "package main\n-- go.mod --\nmodule foo\n-- plain.txt --\n   plain   text   \n\n\n", "" },
        { "error_gofmt", "package 123\n", false, "", "prog.go:1:9: expected 'IDENT', found 123" },
        { "error_gofmt_with_header", "-- dir/one.go --\npackage 123\n", false, "", "dir/one.go:1:9: expected 'IDENT', found 123" },
        { "error_goimports", "package 123\n", true, "", "prog.go:1:9: expected 'IDENT', found 123" },
        { "error_goimports_with_header", "-- dir/one.go --\npackage 123\n", true, "", "dir/one.go:1:9: expected 'IDENT', found 123" },
        { "error_go.mod", "-- go.mod --\n123\n", false, "", "go.mod:1: unknown directive: 123" },
        { "error_go.mod_with_header", "-- dir/go.mod --\n123\n", false, "", "dir/go.mod:1: unknown directive: 123" },
    };

    [Theory]
    [MemberData(nameof(FmtCases))]
    public async Task Fmt_UpstreamCase_UpstreamBodyAndError(string name, string body, bool imports, string expectedBody, string expectedError)
    {
        Assert.NotEmpty(name);

        Assert.Equal((expectedBody, expectedError), await FormatAsync(body, imports));
    }

    [Fact]
    public async Task Fmt_GoModWithSeveralErrors_EachOnItsLineAsModfileSaysThem()
    {
        var (body, error) = await FormatAsync("-- go.mod --\n123\nmodule x\n456\n");

        Assert.Equal("", body);
        Assert.Equal("go.mod:1: unknown directive: 123\ngo.mod:3: unknown directive: 456", error);
    }

    /// <summary>
    /// upstream tests.go "test_without_import": a prog.go of tests without main is built as
    /// prog_test.go, and current upstream's compile error names that file.
    /// </summary>
    [Fact]
    public async Task Compile_TestProgramThatDoesNotCompile_ErrorNamesProgTestGo()
    {
        const string TestWithoutImport = "\npackage main\n\nfunc TestSanity(t *testing.T) {\n\tt.Error(\"uhh...\")\n}\n\nfunc ExampleNotExecuted() {\n\t// Output: it should not run\n}\n";

        Assert.Equal("./prog_test.go:4:20: undefined: testing\n", await CompileErrorsAsync(TestWithoutImport));
    }

    [Fact]
    public async Task Compile_TestProgramInTxtar_ErrorNamesProgTestGoAndOtherFilesByTheirNames()
    {
        const string Source = "package main\n\nimport \"testing\"\n\nfunc TestHelper(t *testing.T) {\n\tif helper() != 1 {\n\t\tt.Fatal(undefinedName)\n\t}\n}\n" +
            "-- helper.go --\npackage main\n\nfunc helper() int { return 1 }\n";

        Assert.Equal("./prog_test.go:7:11: undefined: undefinedName\n", await CompileErrorsAsync(Source));
    }

    [Fact]
    public async Task Compile_TestProgramWithVetFinding_VetNamesProgTestGo()
    {
        const string Source = "package main\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestPrint(t *testing.T) {\n\tfmt.Printf(\"%d\\n\", \"x\")\n}\n";

        var root = await PostAsync("/compile", ("version", "2"), ("body", Source), ("withVet", "true"));

        Assert.Equal("", root.GetProperty("Errors").GetString());
        Assert.True(root.GetProperty("IsTest").GetBoolean());
        Assert.StartsWith("./prog_test.go:9:14: fmt.Printf format %d has arg", root.GetProperty("VetErrors").GetString(), StringComparison.Ordinal);
    }
}
