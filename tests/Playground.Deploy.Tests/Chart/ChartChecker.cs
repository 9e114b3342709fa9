using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Playground.Deploy.Tests.Chart;

/// <summary>One rendered template file: its Helm name and the YAML (or NOTES text) it produced.</summary>
internal sealed record RenderedTemplate(string Template, string Content);

/// <summary>What tests/chartcheck reports for one render.</summary>
internal sealed record ChartRender(IReadOnlyList<RenderedTemplate> Templates, IReadOnlyList<string> ValuesPaths)
{
    /// <summary>Every Kubernetes document of every template (NOTES.txt is text, not a manifest).</summary>
    public IReadOnlyList<JsonObject> Documents { get; } = [.. Templates
        .Where(t => !t.Template.EndsWith("/NOTES.txt", StringComparison.Ordinal))
        .SelectMany(t => YamlJson.ParseAll(t.Content))
        .Select(d => d as JsonObject ?? throw new FormatException("a rendered document is not a mapping"))];

    public string Notes => Templates.Single(t => t.Template.EndsWith("/NOTES.txt", StringComparison.Ordinal)).Content;

    public IEnumerable<JsonObject> OfKind(string kind) => Documents.Where(d => (string?)d["kind"] == kind);

    public JsonObject Single(string kind, string nameSuffix) =>
        OfKind(kind).Single(d => ((string)d["metadata"]!["name"]!).EndsWith(nameSuffix, StringComparison.Ordinal));
}

/// <summary>The result of running the checker, successful or not.</summary>
internal sealed record CheckerRun(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs tests/chartcheck, the Go program that parses the chart with Go's text/template (the
/// parser Helm uses) and renders it. No helm binary exists on this machine; Go does. The
/// checker is built once per test run and the binary reused, which is `go run` without a
/// compile per call.
/// </summary>
internal static class ChartChecker
{
    public static string ChartDirectory { get; } = RepositoryRoot.Combine("charts", "goplay");

    private static readonly Lazy<Task<string>> Binary = new(BuildAsync);

    /// <summary>values.yaml as Helm reads it.</summary>
    public static JsonObject DefaultValues() =>
        (JsonObject)YamlJson.Parse(File.ReadAllText(Path.Combine(ChartDirectory, "values.yaml")))!;

    /// <summary>values.yaml with overrides merged in the way Helm coalesces them (maps deep, the rest replaced).</summary>
    public static JsonObject Values(string? overridesJson = null)
    {
        var values = DefaultValues();
        if (overridesJson is not null)
        {
            Merge(values, (JsonObject)JsonNode.Parse(overridesJson)!);
        }

        return values;
    }

    public static async Task<ChartRender> RenderAsync(JsonObject values, string? chartDirectory = null, string release = "goplay")
    {
        var run = await RunAsync(values, chartDirectory, release);
        Assert.True(run.ExitCode == 0, $"chartcheck failed (exit {run.ExitCode}):\n{run.Stderr}");
        using var doc = JsonDocument.Parse(run.Stdout);
        var templates = doc.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => new RenderedTemplate(m.GetProperty("template").GetString()!, m.GetProperty("content").GetString()!))
            .ToList();
        var paths = doc.RootElement.GetProperty("valuesPaths").EnumerateArray().Select(p => p.GetString()!).ToList();
        return new ChartRender(templates, paths);
    }

    public static async Task<CheckerRun> RunAsync(JsonObject values, string? chartDirectory = null, string release = "goplay")
    {
        var binary = await Binary.Value;
        var valuesFile = Path.Combine(Path.GetTempPath(), $"goplay-values-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(valuesFile, values.ToJsonString());
        try
        {
            return await ExecAsync(binary, ["-chart", chartDirectory ?? ChartDirectory, "-values", valuesFile, "-release", release], workingDirectory: RepositoryRoot.Path);
        }
        finally
        {
            File.Delete(valuesFile);
        }
    }

    /// <summary>The checker's own Go tests: its Helm/Sprig functions against Sprig's documented results.</summary>
    public static Task<CheckerRun> GoTestAsync() =>
        ExecAsync("go", ["test", "-count=1", "."], workingDirectory: RepositoryRoot.Combine("tests", "chartcheck"));

    /// <summary>Copies the chart so a test can break it without touching the real one.</summary>
    public static string CopyChart()
    {
        var target = Path.Combine(Path.GetTempPath(), $"goplay-chart-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(ChartDirectory, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(ChartDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    private static void Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is JsonObject o && target[key] is JsonObject t)
            {
                Merge(t, o);
            }
            else if (value is null)
            {
                target.Remove(key); // helm --set key=null deletes a default
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    private static async Task<string> BuildAsync()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "chartcheck", "chartcheck");
        var source = RepositoryRoot.Combine("tests", "chartcheck");
        var run = await ExecAsync("go", ["build", "-o", output, "."], workingDirectory: source);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"go build of tests/chartcheck failed (exit {run.ExitCode}):\n{run.Stderr}");
        }

        return output;
    }

    private static async Task<CheckerRun> ExecAsync(string file, string[] args, string workingDirectory)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Standard library only: nothing may be downloaded, and the installed toolchain is used as is.
        start.Environment["GOFLAGS"] = "-mod=mod";
        start.Environment["GOPROXY"] = "off";
        start.Environment["GOTOOLCHAIN"] = "local";
        start.Environment["GOWORK"] = "off";
        start.Environment["CGO_ENABLED"] = "0";
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GOCACHE"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HOME"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")))
        {
            // go refuses to build without a cache directory, and CI may run without HOME.
            start.Environment["GOCACHE"] = Path.Combine(Path.GetTempPath(), "goplay-chartcheck-gocache");
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
        }
        catch (Win32Exception e) when (file == "go")
        {
            throw new InvalidOperationException(
                "The chart check needs Go (`go` on PATH) to build tests/chartcheck: scripts/setup.sh installs golang-go; "
                + "the README's test command (bash scripts/test.sh) runs it first.",
                e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            return new CheckerRun(process.ExitCode, await stdout, await stderr);
        }
    }
}
