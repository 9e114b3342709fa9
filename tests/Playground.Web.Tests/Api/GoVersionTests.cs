using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Playground.Sandbox;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Api;

/// <summary>
/// Every configured Go version, through the hub and the HTTP API: each runs as itself, accepts
/// what its release added (which the version before it refuses with a compile error), formats,
/// vets and plays back with fake time.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed class GoVersionTests(WebAppFixture app)
{
    private const string PrintVersion = "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n";

    /// <summary>A program per release that needs it, its output there, and what the release before it says.</summary>
    private static readonly Dictionary<string, (string Program, string Output, string ErrorBefore)> Features = new()
    {
        ["1.21"] = ("package main\n\nimport (\n\t\"fmt\"\n\t\"slices\"\n)\n\nfunc main() { fmt.Println(min(3, 1, 2), slices.Max([]int{1, 5, 2})) }\n",
            "1 5\n", "package slices is not in GOROOT"),
        ["1.22"] = ("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tsum := 0\n\tfor i := range 10 {\n\t\tsum += i\n\t}\n\tfmt.Println(sum)\n}\n",
            "45\n", "./prog.go:7:17: cannot range over 10 (untyped int constant)"),
        ["1.23"] = ("package main\n\nimport (\n\t\"fmt\"\n\t\"iter\"\n)\n\nfunc count(n int) iter.Seq[int] {\n\treturn func(yield func(int) bool) {\n\t\tfor i := 0; i < n; i++ {\n\t\t\tif !yield(i) {\n\t\t\t\treturn\n\t\t\t}\n\t\t}\n\t}\n}\n\nfunc main() {\n\tfor v := range count(3) {\n\t\tfmt.Print(v, \" \")\n\t}\n\tfmt.Println()\n}\n",
            "0 1 2 \n", "imports iter: build constraints exclude all Go files"),
        ["1.24"] = ("package main\n\nimport \"fmt\"\n\ntype Set[T comparable] = map[T]struct{}\n\nfunc main() {\n\ts := Set[string]{\"go\": {}}\n\tfmt.Println(len(s))\n}\n",
            "1\n", "./prog.go:5:6: generic type alias requires GOEXPERIMENT=aliastypeparams"),
        ["1.25"] = ("package main\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n\nfunc main() {\n\tvar wg sync.WaitGroup\n\tvar mu sync.Mutex\n\ttotal := 0\n\tfor i := 1; i <= 3; i++ {\n\t\twg.Go(func() { mu.Lock(); total += i; mu.Unlock() })\n\t}\n\twg.Wait()\n\tfmt.Println(total)\n}\n",
            "6\n", "wg.Go undefined"),
        ["1.26"] = ("package main\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n\t\"io/fs\"\n)\n\nfunc main() {\n\terr := fmt.Errorf(\"open: %w\", &fs.PathError{Op: \"open\", Path: \"x\", Err: fs.ErrNotExist})\n\tpe, ok := errors.AsType[*fs.PathError](err)\n\tfmt.Println(ok, pe.Path)\n}\n",
            "true x\n", "undefined: errors.AsType"),
        ["1.27"] = ("package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc main() {\n\tbefore, after, found := strings.CutLast(\"a/b/c\", \"/\")\n\tfmt.Println(before, after, found)\n}\n",
            "a/b c true\n", "undefined: strings.CutLast"),
    };

    public static TheoryData<string> Entries => [.. SandboxOptions.DefaultToolchains];

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Run_EachVersion_IsThatVersionAndAcceptsItsOwnFeatures(string entry)
    {
        var versions = await VersionsAsync();
        var version = Find(versions, entry);
        Assert.Equal("ready", version.GetProperty("state").GetString());
        var exact = version.GetProperty("version").GetString()!;
        var release = exact[2..].Split('.')[0] + "." + exact[2..].Split('.')[1];

        // The hub, asked for the release, runs the exact toolchain.
        var hello = await RunOnHubAsync(PrintVersion, release);
        Assert.Equal(exact + "\n", Stdout(hello));
        // /compile, asked with ?go=, too (and says which one answered).
        var (compiled, headers) = await CompileAsync(PrintVersion, release);
        Assert.Equal(exact + "\n", Output(compiled));
        Assert.Equal(exact, headers.GetValues("X-GoPlay-Go-Version").Single());

        if (Features.TryGetValue(release, out var feature))
        {
            Assert.Equal(feature.Output, Stdout(await RunOnHubAsync(feature.Program, release)));
            var (onVersion, _) = await CompileAsync(feature.Program, release);
            Assert.Equal("", onVersion.GetProperty("Errors").GetString());
            Assert.Equal(feature.Output, Output(onVersion));

            // The configured version before this one refuses it with a compile error.
            var index = versions.FindIndex(v => v.GetProperty("version").GetString() == exact);
            Assert.True(index + 1 < versions.Count, $"no version older than {exact} is configured");
            var before = versions[index + 1].GetProperty("version").GetString()!;
            var refused = await RunOnHubAsync(feature.Program, before);
            Assert.Equal(RunOutcome.BuildError, refused[^1].Outcome);
            Assert.Contains(feature.ErrorBefore, refused[^1].Data, StringComparison.Ordinal);
            var (compiledBefore, _) = await CompileAsync(feature.Program, before);
            Assert.Contains(feature.ErrorBefore, compiledBefore.GetProperty("Errors").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task PlaybackVetAndFormat_EachVersion_UseThatToolchain(string entry)
    {
        var exact = Find(await VersionsAsync(), entry).GetProperty("version").GetString()!;

        // Playback: the runtime's fake clock starts at go.dev's moment on every version.
        var (clock, _) = await CompileAsync("package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(runtime.Version(), time.Now().UTC().Format(\"2006-01-02 15:04:05\"))\n}\n", exact);
        Assert.Equal(exact + " 2009-11-10 23:00:00\n", Output(clock));

        // Vet finds a Printf mistake, with the program still run (as upstream).
        var (vetted, _) = await CompileAsync("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"%d\\n\", \"x\")\n}\n", exact, vet: true);
        Assert.Contains("fmt.Printf format %d has arg \"x\" of wrong type string", vetted.GetProperty("VetErrors").GetString(), StringComparison.Ordinal);
        var vetRoute = await PostAsync("/vet?go=" + exact, ("body", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"%s\\n\")\n}\n"));
        Assert.Contains("fmt.Printf format %s reads arg #1, but call has 0 args", vetRoute.GetProperty("Errors").GetString(), StringComparison.Ordinal);

        // gofmt of that toolchain.
        var formatted = await PostAsync("/fmt?go=" + exact, ("body", "package main\nfunc main(){x:=1\n_=x}\n"));
        Assert.Equal("", formatted.GetProperty("Error").GetString());
        Assert.Equal("package main\n\nfunc main() {\n\tx := 1\n\t_ = x\n}\n", formatted.GetProperty("Body").GetString());
    }

    [Theory]
    [InlineData("host")]
    [InlineData("1.27")]
    public async Task Compile_TestsOnOldestAndNewest_FailuresAreTheBinarysOwn(string entry)
    {
        // The oldest (the host's Go, 1.19 here) and the newest testing package write the same result lines.
        var exact = Find(await VersionsAsync(), entry).GetProperty("version").GetString()!;

        var (failing, _) = await CompileAsync(TestSources.FailsTwice, exact);
        var (passing, _) = await CompileAsync(TestSources.PrintsLookalikes, exact);

        Assert.Equal(3, failing.GetProperty("TestsFailed").GetInt32());
        Assert.Equal(0, passing.GetProperty("TestsFailed").GetInt32());
        Assert.True(passing.GetProperty("IsTest").GetBoolean());
    }

    [Fact]
    public async Task Format_NewestSyntax_GofmtAndGoimportsOfTheDefaultReadIt()
    {
        // A generic type alias (Go 1.24) and range over an integer (1.22), badly spaced, with an
        // import missing: both formatters must parse the newest syntax.
        const string Source = "package main\ntype Set[T comparable]=map[T]struct{}\nfunc main(){\nfor i:=range 3{fmt.Println(i,Set[int]{})}\n}\n";
        var gofmt = await PostAsync("/fmt", ("body", Source));
        Assert.Equal("", gofmt.GetProperty("Error").GetString());
        Assert.Equal("package main\n\ntype Set[T comparable] = map[T]struct{}\n\nfunc main() {\n\tfor i := range 3 {\n\t\tfmt.Println(i, Set[int]{})\n\t}\n}\n", gofmt.GetProperty("Body").GetString());

        var goimports = await PostAsync("/fmt", ("body", Source), ("imports", "true"));
        Assert.Equal("", goimports.GetProperty("Error").GetString());
        Assert.Equal("package main\n\nimport \"fmt\"\n\ntype Set[T comparable] = map[T]struct{}\n\nfunc main() {\n\tfor i := range 3 {\n\t\tfmt.Println(i, Set[int]{})\n\t}\n}\n", goimports.GetProperty("Body").GetString());
    }

    [Fact]
    public async Task Versions_LatestAndPrevious_AreTheNewestTwoReleases()
    {
        var versions = await VersionsAsync();
        var latest = versions[0].GetProperty("version").GetString()!;
        var previous = versions.First(v => v.GetProperty("previous").GetBoolean()).GetProperty("version").GetString()!;
        Assert.True(versions[0].GetProperty("default").GetBoolean());
        Assert.StartsWith("go1.27.", latest, StringComparison.Ordinal);
        Assert.StartsWith("go1.26.", previous, StringComparison.Ordinal);

        Assert.Equal(latest + "\n", Stdout(await RunOnHubAsync(PrintVersion, null)));
        Assert.Equal(latest + "\n", Stdout(await RunOnHubAsync(PrintVersion, "latest")));
        Assert.Equal(previous + "\n", Stdout(await RunOnHubAsync(PrintVersion, "previous")));
        // go.dev's backend names on its own layout.
        Assert.Equal(previous + "\n", Output(Json(await PostRawAsync("/_/compile?backend=goprev", ("version", "2"), ("body", PrintVersion)))));
        // GET /version answers for the default.
        var version = JsonDocument.Parse(await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/version"))).RootElement;
        Assert.Equal(latest, version.GetProperty("Version").GetString());
        Assert.Equal("go1.27", version.GetProperty("Release").GetString());
    }

    [Theory]
    [InlineData("1.30", "Go version \"1.30\" is not available; this server has go1.27.")]
    [InlineData("gotip", "There is no development build of Go on this server; it has go1.27.")]
    public async Task Run_UnknownVersion_RejectedWithTheList(string requested, string expected)
    {
        var events = await RunOnHubAsync(PrintVersion, requested);

        var final = Assert.Single(events);
        Assert.Equal(RunOutcome.Rejected, final.Outcome);
        Assert.StartsWith(expected, final.Data, StringComparison.Ordinal);
        Assert.Contains("(latest)", final.Data, StringComparison.Ordinal);
        Assert.Contains("(previous)", final.Data, StringComparison.Ordinal);

        var refused = Json(await PostRawAsync("/_/compile?backend=" + requested, ("version", "2"), ("body", PrintVersion)));
        Assert.StartsWith(expected, refused.GetProperty("Errors").GetString(), StringComparison.Ordinal);
        var format = await PostAsync("/_/fmt?backend=" + requested, ("body", PrintVersion));
        Assert.StartsWith(expected, format.GetProperty("Error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoModNewerThanEveryVersion_RefusedWithTheList()
    {
        var events = await RunOnHubAsync("package main\n\nfunc main() {}\n-- go.mod --\nmodule play\n\ngo 1.99\n", null);

        var final = Assert.Single(events);
        Assert.Equal(RunOutcome.BuildError, final.Outcome);
        Assert.StartsWith("go.mod:3: go.mod requires go 1.99, newer than every Go version on this server (go1.27.", final.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoModToolchainLine_BuildsWithTheChosenVersionAndDownloadsNothing()
    {
        // `go mod tidy` writes toolchain lines; with GOTOOLCHAIN=local they are advice only.
        var events = await RunOnHubAsync(PrintVersion + "-- go.mod --\nmodule play\n\ngo 1.24\n\ntoolchain go1.99.0\n", "1.25");

        Assert.StartsWith("go1.25.", Stdout(events), StringComparison.Ordinal);
    }

    private async Task<List<JsonElement>> VersionsAsync()
    {
        var body = JsonDocument.Parse(await app.Http.GetStringAsync(new Uri(app.BaseAddress, "/versions"))).RootElement;
        return [.. body.GetProperty("versions").EnumerateArray()];
    }

    /// <summary>A configured entry's version: a Debian release by its number, the host's Go as the one that is none of them.</summary>
    private static JsonElement Find(List<JsonElement> versions, string entry)
    {
        var debian = SandboxOptions.DefaultToolchains.Where(e => e != "host").Select(e => "go" + e).ToHashSet(StringComparer.Ordinal);
        var match = versions.FirstOrDefault(v => entry == "host"
            ? !debian.Contains(v.GetProperty("release").GetString()!)
            : v.GetProperty("release").GetString() == "go" + entry);
        Assert.True(match.ValueKind == JsonValueKind.Object,
            $"Go '{entry}' is not on this server ({string.Join(", ", versions.Select(v => v.GetProperty("version").GetString() + " " + v.GetProperty("state").GetString()))}). `bash scripts/test.sh` installs every configured toolchain (scripts/toolchains.sh; golang-go for the host's).");
        return match;
    }

    private async Task<List<RunEvent>> RunOnHubAsync(string source, string? goVersion)
    {
        await using var connection = await app.ConnectAsync();
        return await HubRun.CollectAsync(connection, new RunRequest { Source = source, GoVersion = goVersion }, TimeSpan.FromMinutes(3));
    }

    private static string Stdout(List<RunEvent> events)
    {
        Assert.True(events[^1].Outcome == RunOutcome.Exited, "run ended " + events[^1].Outcome + ": " + events[^1].Data);
        return string.Concat(events.Where(e => e.Kind == RunEventKind.Stdout).Select(e => e.Data));
    }

    private async Task<(JsonElement Body, HttpResponseHeaders Headers)> CompileAsync(string source, string goVersion, bool vet = false)
    {
        using var response = await app.Http.PostAsync(
            new Uri(app.BaseAddress, "/compile?go=" + goVersion),
            new FormUrlEncodedContent([new("version", "2"), new("body", source), new("withVet", vet ? "true" : "false")]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (Json(await response.Content.ReadAsStringAsync()), response.Headers);
    }

    private static string Output(JsonElement compiled) =>
        compiled.GetProperty("Events").ValueKind == JsonValueKind.Null
            ? ""
            : string.Concat(compiled.GetProperty("Events").EnumerateArray().Select(e => e.GetProperty("Message").GetString()));

    private async Task<JsonElement> PostAsync(string path, params (string Key, string Value)[] fields) =>
        Json(await PostRawAsync(path, fields));

    private async Task<string> PostRawAsync(string path, params (string Key, string Value)[] fields)
    {
        using var response = await app.Http.PostAsync(new Uri(app.BaseAddress, path), new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))));
        return await response.Content.ReadAsStringAsync();
    }

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;
}
