namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// The checker can fail: a chart it cannot catch breaking would make every chart test
/// pass vacuously. Each test breaks a copy of the chart one way and expects the report.
/// </summary>
public sealed class ChartCheckerTests
{
    [Fact]
    public async Task GoTests_CheckerFunctions_BehaveAsSprig()
    {
        var run = await ChartChecker.GoTestAsync();

        Assert.True(run.ExitCode == 0, $"go test ./tests/chartcheck failed:\n{run.Stdout}\n{run.Stderr}");
    }

    [Fact]
    public async Task Parse_UnknownFunction_FailsNamingIt()
    {
        var run = await RunWithExtraTemplateAsync("broken.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Values.web.image.repository | frobnicate }}
            """);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("goplay/templates/broken.yaml", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("function \"frobnicate\" not defined", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_UnknownFunctionInADefine_Fails()
    {
        // Partials are parsed too, even though they render nothing themselves.
        var run = await RunWithExtraTemplateAsync("_extra.tpl", """{{- define "goplay.extra" -}}{{ semverCompare ">=1.25" "1.30" }}{{- end }}""");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("function \"semverCompare\" not defined", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingValue_FailsNamingTheKey()
    {
        var run = await RunWithExtraTemplateAsync("typo.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Values.web.imagee.tag }}
            """);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("goplay/templates/typo.yaml", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("imagee", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValuesPaths_TypoInADisabledBranch_IsReportedAsMissing()
    {
        // The render never evaluates this branch; the parse-tree walk still finds the path.
        var chart = ChartChecker.CopyChart();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(chart, "templates", "typo.yaml"), """
                {{- if .Values.ingress.enabled }}
                {{- with .Values.ingress }}
                host: {{ .hostt }}
                {{- end }}
                name: {{ $.Values.proxy.servic.port }}
                {{- end }}
                """);
            var values = ChartChecker.DefaultValues();

            var render = await ChartChecker.RenderAsync(values, chart);

            var missing = render.ValuesPaths.Where(p => !ValuesSchema.Exists(values, p)).ToList();
            Assert.Contains("ingress.hostt", missing);
            Assert.Contains("proxy.servic.port", missing);
        }
        finally
        {
            Directory.Delete(chart, recursive: true);
        }
    }

    [Fact]
    public async Task Render_RequiredValueEmpty_FailsWithTheMessage()
    {
        var run = await RunWithExtraTemplateAsync("required.yaml", """
            name: {{ required "web.image.tag must be set for this test" .Values.web.image.tag }}
            """);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("web.image.tag must be set for this test", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingEmbeddedFile_Fails()
    {
        var chart = ChartChecker.CopyChart();
        try
        {
            File.Delete(Path.Combine(chart, "dashboards", "goplay.json"));

            var run = await ChartChecker.RunAsync(ChartChecker.Values("""{ "dashboard": { "enabled": true } }"""), chart);

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("dashboards/goplay.json", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(chart, recursive: true);
        }
    }

    [Fact]
    public async Task ToYaml_AmbiguousStrings_ReadBackAsTheSameStrings()
    {
        // toYaml is the checker's own emitter: strings a YAML reader could take for booleans,
        // numbers or structure must come back as the very same strings.
        string[] tricky = ["yes", "no", "on", "y", "true", "null", "~", "1.0", "0755", "1e3", "12:30", "a: b", "#x", "- x", "", "two\nlines", "{x}", "*ref", "\"quoted\"", "plain-text_1.2/x"];
        var annotations = string.Join(", ", tricky.Select((t, i) => $"\"k{i}\": {System.Text.Json.JsonSerializer.Serialize(t)}"));
        var values = ChartChecker.Values($$"""{ "proxy": { "podAnnotations": { {{annotations}} } } }""");

        var render = await ChartChecker.RenderAsync(values);

        var read = render.Single("Deployment", "-proxy")["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject();
        for (var i = 0; i < tricky.Length; i++)
        {
            Assert.Equal(tricky[i], (string?)read[$"k{i}"]);
        }
    }

    private static async Task<CheckerRun> RunWithExtraTemplateAsync(string name, string text)
    {
        var chart = ChartChecker.CopyChart();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(chart, "templates", name), text);
            return await ChartChecker.RunAsync(ChartChecker.DefaultValues(), chart);
        }
        finally
        {
            Directory.Delete(chart, recursive: true);
        }
    }
}
