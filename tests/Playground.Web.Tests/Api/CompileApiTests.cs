using System.Net;
using System.Text;
using System.Text.Json;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>The go.dev-compatible /compile API over real HTTP against the real sandbox (CONTRACTS.md).</summary>
[Collection(WebAppTests.Name)]
public sealed class CompileApiTests(WebAppFixture app)
{
    private const string Hello = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, 世界\")\n}\n";

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string path, HttpContent content)
    {
        var response = await app.Http.PostAsync(new Uri(app.BaseAddress, path), content);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private Task<(HttpResponseMessage Response, string Body)> CompileAsync(string body, bool vet = false) =>
        PostAsync("/compile", Form(("version", "2"), ("body", body), ("withVet", vet ? "true" : "false")));

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    [Fact]
    public async Task Compile_HelloWorld_ExactUpstreamBody()
    {
        var (response, body) = await CompileAsync(Hello);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(
            "{\"Errors\":\"\",\"Events\":[{\"Message\":\"Hello, 世界\\n\",\"Kind\":\"stdout\",\"Delay\":0}],\"Status\":0,\"IsTest\":false,\"TestsFailed\":0}\n",
            body);
    }

    /// <summary>Upstream's timezone_info_exists case: the runner has the zone database.</summary>
    internal const string Berlin = """
        package main

        import (
        	"fmt"
        	"time"
        )

        func main() {
        	loc, err := time.LoadLocation("Europe/Berlin")
        	if err != nil {
        		panic(err)
        	}

        	// This looks for the name CEST in the Europe/Berlin zone.
        	const longForm = "Jan 2, 2006 at 3:04pm (MST)"
        	t, _ := time.ParseInLocation(longForm, "Jul 9, 2012 at 5:02am (CEST)", loc)
        	fmt.Println(t)

        	// Without an explicit zone: the time in the given location.
        	const shortForm = "2006-Jan-02"
        	t, _ = time.ParseInLocation(shortForm, "2012-Jul-09", loc)
        	fmt.Println(t)
        }
        """;

    [Fact]
    public async Task Compile_TimeZoneDatabase_BerlinInCestInPlayback()
    {
        var (response, body) = await CompileAsync(Berlin);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Json(body).GetProperty("Events").EnumerateArray().Select(e => e.GetProperty("Message").GetString()).ToList();
        Assert.Equal("2012-07-09 05:02:00 +0200 CEST\n2012-07-09 00:00:00 +0200 CEST\n", string.Concat(events));
        Assert.Equal("", Json(body).GetProperty("Errors").GetString());
    }

    [Fact]
    public async Task Compile_SameRequestTwice_IdenticalAndSecondFromCache()
    {
        var source = Hello.Replace("世界", "cache " + Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        var (first, firstBody) = await CompileAsync(source);
        var (second, secondBody) = await CompileAsync(source);

        Assert.Equal("miss", first.Headers.GetValues("X-GoPlay-Cache").Single());
        Assert.Equal("hit", second.Headers.GetValues("X-GoPlay-Cache").Single());
        Assert.Equal(firstBody, secondBody);
    }

    [Fact]
    public async Task Compile_JsonAnyContentTypeCaseInsensitiveUnknownFieldsIgnored()
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["BODY"] = Hello, ["Version"] = 2, ["withvet"] = false, ["extra"] = "x" });
        var (response, body) = await PostAsync("/compile", new StringContent(json, Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hello, 世界\n", Json(body).GetProperty("Events")[0].GetProperty("Message").GetString());
    }

    [Fact]
    public async Task Compile_Undecodable_400()
    {
        var (response, _) = await PostAsync("/compile", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Compile_GetAndEmptyBody_AsUpstream()
    {
        // Upstream reads form values from the query too, and decodes JSON when body is empty.
        using var get = await app.Http.GetAsync(new Uri(app.BaseAddress, "/compile"));
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Equal("Bad Request\n", await get.Content.ReadAsStringAsync());

        var (empty, emptyBody) = await PostAsync("/compile", Form(("version", "2"), ("body", "")));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("Bad Request\n", emptyBody);

        using var query = await app.Http.GetAsync(new Uri(app.BaseAddress, "/compile?version=2&body=" + Uri.EscapeDataString(Hello)));
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal("Hello, 世界\n", Json(await query.Content.ReadAsStringAsync()).GetProperty("Events")[0].GetProperty("Message").GetString());
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("t", true)]
    [InlineData("TRUE", true)]
    [InlineData("True", true)]
    [InlineData("TrUe", false)]
    [InlineData("yes", false)]
    [InlineData("0", false)]
    public async Task Compile_WithVet_ReadAsGoParseBool(string withVet, bool vetted)
    {
        var source = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Printf(\"%d\\n\", \"" + Guid.NewGuid().ToString("N") + "\") }\n";
        var (response, body) = await PostAsync("/compile", Form(("version", "2"), ("body", source), ("withVet", withVet)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(vetted, Json(body).TryGetProperty("VetErrors", out var errors) && errors.GetString()!.Contains("Printf format %d has arg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compile_FakeTimeAndSleepAnHour_DelayInNanosecondsAndFast()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (_, body) = await CompileAsync("""
            package main

            import (
            	"fmt"
            	"time"
            )

            func main() {
            	fmt.Println(time.Now())
            	time.Sleep(time.Hour)
            	fmt.Println("later")
            }
            """);

        var events = Json(body).GetProperty("Events");
        Assert.Equal("2009-11-10 23:00:00 +0000 UTC m=+0.000000001\n", events[0].GetProperty("Message").GetString());
        Assert.Equal(0, events[0].GetProperty("Delay").GetInt64());
        Assert.Equal("later\n", events[1].GetProperty("Message").GetString());
        Assert.Equal(3_600_000_000_000, events[1].GetProperty("Delay").GetInt64());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Compile_StdoutStderrKindsOrderAndExitStatus()
    {
        var (_, body) = await CompileAsync("""
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	fmt.Println("out 1")
            	fmt.Fprintln(os.Stderr, "err 1")
            	fmt.Println("out 2")
            	os.Exit(3)
            }
            """);

        var root = Json(body);
        Assert.Equal(
            [("out 1\n", "stdout"), ("err 1\n", "stderr"), ("out 2\n", "stdout")],
            root.GetProperty("Events").EnumerateArray().Select(e => (e.GetProperty("Message").GetString(), e.GetProperty("Kind").GetString())).ToList());
        Assert.Equal(3, root.GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Compile_CompileError_ErrorsWithRelativePathNoBannerNullEvents()
    {
        var (_, body) = await CompileAsync("package main\n\nfunc main() {\n\tx := 1\n}\n");

        // The default toolchain's own wording (Go 1.27).
        Assert.Equal("{\"Errors\":\"./prog.go:4:2: declared and not used: x\\n\",\"Events\":null,\"Status\":0,\"IsTest\":false,\"TestsFailed\":0}\n", body);
    }

    [Fact]
    public async Task Compile_PackageNotMain_Refused()
    {
        var (_, body) = await CompileAsync("package test\n\nfunc F() {}\n");
        Assert.Equal("package name must be main", Json(body).GetProperty("Errors").GetString());
    }

    [Fact]
    public async Task Compile_RunsTooLong_OutputSoFarThenTimeoutEventStatus1()
    {
        var (response, body) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"started\")\n\tfor {\n\t}\n}\n");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = Json(body);
        var events = root.GetProperty("Events").EnumerateArray().Select(e => e.GetProperty("Message").GetString()).ToList();
        Assert.Equal(["started\n", "timeout running program"], events);
        Assert.Equal(1, root.GetProperty("Status").GetInt32());

        // Timeouts are never cached: the same request runs again.
        var (again, _) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"started\")\n\tfor {\n\t}\n}\n");
        Assert.Equal("miss", again.Headers.GetValues("X-GoPlay-Cache").Single());
    }

    [Fact]
    public async Task Compile_CompilerOutOfMemory_ErrorsSayWhyAndNeverCached()
    {
        // The compiler killed for memory printed nothing: this answered as a clean run with no
        // output, and was cached. (Small builders: this bomb grows about 65 MB a second, and
        // the default 1 GiB would take longer than the default build time.)
        await using var web = await WebProcess.StartDefaultReadyAsync(
            "--Sandbox:InstanceName=" + Playground.Testing.TestOwner.Name("compile-oom"),
            "--Sandbox:RunnerPoolSize=0", "--Sandbox:BuilderPoolSize=0",
            "--Sandbox:BuilderMemoryBytes=402653184", "--Sandbox:BuilderTmpfsBytes=134217728", "--Sandbox:BuildTimeout=00:01:00");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var bomb = "package main\n\n" + StringBomb(26) + "\nfunc main() { println(len(s26)) }\n";
        foreach (var expected in new[] { "miss", "miss" })
        {
            using var response = await http.PostAsync(new Uri(web.BaseAddress, "/compile"), Form(("version", "2"), ("body", bomb)));
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("go build ran out of memory: this program needs more than the build limit of 384 MiB to build.\n", Json(body).GetProperty("Errors").GetString());
            Assert.Equal(expected, response.Headers.GetValues("X-GoPlay-Cache").Single());
        }
    }

    [Fact]
    public async Task Compile_VetDidNotFinish_VetErrorsSayWhyNotVetOKAndNeverCached()
    {
        // go build leaves _test.go files out; go vet type-checks them and runs out of memory
        // (or of time). Such a vet was reported as VetOK and cached.
        var source = "-- prog.go --\npackage main\n\nfunc main() { println(\"built\") }\n-- bomb_test.go --\npackage main\n\n" + StringBomb(26) + "\nconst less = s26 < s25\n";
        foreach (var expected in new[] { "miss", "miss" })
        {
            var (response, body) = await CompileAsync(source, vet: true);

            var root = Json(body);
            Assert.Equal("", root.GetProperty("Errors").GetString());
            Assert.Matches("^(go vet ran out of memory|timeout running go vet).*[Ii]ts findings are unknown", root.GetProperty("VetErrors").GetString());
            Assert.False(root.TryGetProperty("VetOK", out var ok) && ok.GetBoolean());
            Assert.Equal("built\n", root.GetProperty("Events")[0].GetProperty("Message").GetString());
            Assert.Equal(expected, response.Headers.GetValues("X-GoPlay-Cache").Single());
        }
    }

    /// <summary>Constants s0 … s<paramref name="doublings"/>, each twice the one before, from 16 bytes.</summary>
    private static string StringBomb(int doublings) =>
        "const s0 = \"0123456789abcdef\"\n" + string.Concat(Enumerable.Range(1, doublings).Select(i => $"const s{i} = s{i - 1} + s{i - 1}\n"));

    [Fact]
    public async Task Compile_TooMuchOutput_OutputTooLarge()
    {
        var (_, body) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor {\n\t\tfmt.Println(\"spam spam spam spam spam spam spam spam\")\n\t}\n}\n");
        Assert.Equal("Output too large", Json(body).GetProperty("Errors").GetString());
    }

    [Fact]
    public async Task Compile_TestsWithoutMain_RunVerboselyAndCountFailures()
    {
        var (_, pass) = await CompileAsync("package main\n\nimport \"testing\"\n\nfunc TestOne(t *testing.T) {}\n");
        var passing = Json(pass);
        Assert.True(passing.GetProperty("IsTest").GetBoolean());
        Assert.Equal(0, passing.GetProperty("TestsFailed").GetInt32());
        Assert.Contains("--- PASS: TestOne", passing.GetProperty("Events")[0].GetProperty("Message").GetString(), StringComparison.Ordinal);

        var (_, fail) = await CompileAsync("package main\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) { t.Fatal(\"no\") }\n\nfunc TestB(t *testing.T) { t.Error(\"no\") }\n");
        var failing = Json(fail);
        Assert.True(failing.GetProperty("IsTest").GetBoolean());
        Assert.Equal(2, failing.GetProperty("TestsFailed").GetInt32());
        Assert.Equal(1, failing.GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Compile_PassingTestPrintsFailureLookalikes_NoneCounted()
    {
        // Counted in the program's output, these were 4 failures of a test that passed.
        var (_, body) = await CompileAsync(TestSources.PrintsLookalikes);

        var root = Json(body);
        Assert.True(root.GetProperty("IsTest").GetBoolean());
        Assert.Equal(0, root.GetProperty("Status").GetInt32());
        Assert.Equal(0, root.GetProperty("TestsFailed").GetInt32());
        Assert.Contains("--- PASS: TestPrintsLookalikes", string.Concat(root.GetProperty("Events").EnumerateArray().Select(e => e.GetProperty("Message").GetString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compile_FailingTestAndSubtest_EachReportedFailureCountedLookalikesNot()
    {
        var (_, body) = await CompileAsync(TestSources.FailsTwice);

        var root = Json(body);
        Assert.Equal(1, root.GetProperty("Status").GetInt32());
        // TestA, TestB/sub and TestB (failed by its subtest), as go.dev counts them.
        Assert.Equal(3, root.GetProperty("TestsFailed").GetInt32());
    }

    [Fact]
    public async Task Compile_Examples_OutputCheckedPassAndFail()
    {
        var (_, pass) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc ExampleHello() {\n\tfmt.Println(\"hello\")\n\t// Output: hello\n}\n");
        Assert.True(Json(pass).GetProperty("IsTest").GetBoolean());
        Assert.Equal(0, Json(pass).GetProperty("Status").GetInt32());

        var (_, fail) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc ExampleHello() {\n\tfmt.Println(\"hello\")\n\t// Output: goodbye\n}\n");
        Assert.Equal(1, Json(fail).GetProperty("TestsFailed").GetInt32());
        Assert.Equal(1, Json(fail).GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Compile_WithVet_FindingReportedProgramStillRuns()
    {
        var (_, body) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"hi %v\")\n}\n", vet: true);
        var root = Json(body);
        Assert.Equal("./prog.go:6:17: fmt.Printf format %v reads arg #1, but call has 0 args\n", root.GetProperty("VetErrors").GetString());
        Assert.False(root.TryGetProperty("VetOK", out _));
        Assert.Equal("hi %!v(MISSING)", root.GetProperty("Events")[0].GetProperty("Message").GetString());

        var (_, clean) = await CompileAsync(Hello, vet: true);
        Assert.True(Json(clean).GetProperty("VetOK").GetBoolean());
        Assert.False(Json(clean).TryGetProperty("VetErrors", out _));
    }

    [Fact]
    public async Task Compile_WithVet_HeavyImportsFirstTime_VetFinishesInsideTheBuildLimit()
    {
        // Vet reads facts of every package the program imports; net/http pulls in most of the
        // standard library. A first vet of such a program (nothing cached: the source is new)
        // took 16 s here, past the 15 s build limit, and its findings were lost.
        var source = "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n)\n\n// " + Guid.NewGuid().ToString("N") + "\n\nfunc main() {\n\tb, _ := json.Marshal(http.StatusTeapot)\n\tfmt.Printf(\"%s %d\\n\", b)\n}\n";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (response, body) = await CompileAsync(source, vet: true);
        var elapsed = clock.Elapsed;

        var root = Json(body);
        Assert.Equal("", root.GetProperty("Errors").GetString());
        Assert.Equal("./prog.go:13:17: fmt.Printf format %d reads arg #2, but call has 1 arg\n", root.GetProperty("VetErrors").GetString());
        Assert.Equal("418 %!d(MISSING)\n", root.GetProperty("Events")[0].GetProperty("Message").GetString());
        Assert.Equal("miss", response.Headers.GetValues("X-GoPlay-Cache").Single());
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"the first heavy vet took {elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Compile_TxtarTwoFilesAndModuleWithSubPackage()
    {
        var (_, two) = await CompileAsync("package main\n\nfunc main() { greet() }\n-- greet.go --\npackage main\n\nimport \"fmt\"\n\nfunc greet() { fmt.Println(\"two files\") }\n");
        Assert.Equal("two files\n", Json(two).GetProperty("Events")[0].GetProperty("Message").GetString());

        var (_, module) = await CompileAsync(
            "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/demo/util\"\n)\n\nfunc main() { fmt.Println(util.Name()) }\n" +
            "-- go.mod --\nmodule example.com/demo\n\ngo 1.19\n" +
            "-- util/util.go --\npackage util\n\nfunc Name() string { return \"sub-package\" }\n");
        Assert.Equal("sub-package\n", Json(module).GetProperty("Events")[0].GetProperty("Message").GetString());
    }

    // Upstream's words (txtar.go); UpstreamMessagesTests replays every case of its txtar_test.go.
    [Theory]
    [InlineData("package main\nfunc main() {}\n", "too many files in txtar archive (21 exceeds limit of 20)")]
    [InlineData("package main\n-- prog.go --\npackage main\n", "duplicate file name \"prog.go\"")]
    [InlineData("package main\nfunc main() {}\n-- ../evil.go --\npackage main\n", "invalid file name \"../evil.go\"")]
    [InlineData("package main\nfunc main() {}\n-- a/b/c/d/e/f/g/h/i/j/k/l.go --\npackage l\n", "file name \"a/b/c/d/e/f/g/h/i/j/k/l.go\" too deep")]
    [InlineData("package main\nfunc main() {}\n-- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.go --\npackage main\n", "file name too long")]
    public async Task Compile_TxtarErrors_Explained(string source, string expected)
    {
        if (expected.StartsWith("too many", StringComparison.Ordinal))
        {
            source += string.Concat(Enumerable.Range(0, 20).Select(i => $"-- f{i}.go --\npackage main\n"));
        }

        var (_, body) = await CompileAsync(source);
        Assert.Equal(expected, Json(body).GetProperty("Errors").GetString());
    }

    [Fact]
    public async Task LegacyRoute_V1ShapeUnlessVersion2()
    {
        var (_, v1) = await PostAsync("/_/compile", Form(("body", Hello)));
        // go.dev's json.Marshal: no trailing newline (UpstreamRoutesTests holds the rest of its bytes).
        Assert.Equal("{\"compile_errors\":\"\",\"output\":\"Hello, 世界\\n\"}", v1);

        var (_, v2) = await PostAsync("/_/compile", Form(("body", Hello), ("version", "2")));
        Assert.StartsWith("{\"Errors\":\"\",\"Events\":", v2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_FourteenMonitorsAtOnce_AllOkFromOneRealRun()
    {
        // Each probe used to run its own program under one client id: some were refused a
        // queue place and answered 500 while the sandbox was fine.
        var healthRuns = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "playground.runs")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "transport" && (string?)tag.Value == "health")
                {
                    Interlocked.Increment(ref healthRuns);
                }
            }
        });
        listener.Start();

        var answers = await Task.WhenAll(Enumerable.Range(0, 14).Select(async _ =>
        {
            using var response = await app.Http.GetAsync(new Uri(app.BaseAddress, "/_ah/health"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));

        Assert.All(answers, a => Assert.Equal((200, "ok"), a));
        Assert.InRange(Volatile.Read(ref healthRuns), 0, 1);
    }

    [Fact]
    public async Task VersionHealthAndOptions()
    {
        var version = await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/version"));
        Assert.Matches("^\\{\"Version\":\"go1\\.\\d+(\\.\\d+)?\",\"Release\":\"go1\\.\\d+\",\"Name\":\"Go 1\\.\\d+\"\\}\n$", version);

        Assert.Equal("ok", await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/_ah/health")));

        using var options = new HttpRequestMessage(HttpMethod.Options, new Uri(app.BaseAddress, "/compile"));
        var preflight = await app.Http.SendAsync(options);
        Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
        Assert.Equal("*", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("", await preflight.Content.ReadAsStringAsync());

        // Upstream reads a GET's query as the form: with no fields, 400 (issue 17; was 405 here).
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync(new Uri(app.BaseAddress, "/compile"))).StatusCode);
    }

    [Fact]
    public async Task Compile_OversizedBody_413()
    {
        var (response, _) = await PostAsync("/compile", new StringContent(new string('x', 4 << 20)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
