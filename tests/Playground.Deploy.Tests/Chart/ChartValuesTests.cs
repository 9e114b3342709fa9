using System.Text.Json.Nodes;

namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// values.yaml, values.schema.json and the templates agree: whatever a template reads is a
/// documented default, and everything documented is typed.
/// </summary>
public sealed class ChartValuesTests
{
    [Fact]
    public async Task ValuesPaths_UsedByTemplates_ExistInValuesYaml()
    {
        var values = ChartChecker.DefaultValues();

        var render = await ChartChecker.RenderAsync(values);

        Assert.NotEmpty(render.ValuesPaths);
        Assert.Contains("sandbox.dockerSocket", render.ValuesPaths);
        Assert.Contains("config.sandbox.runWallTime", render.ValuesPaths); // read through $c := .Values.config
        Assert.Contains("web.nodeSelector", render.ValuesPaths);
        var missing = render.ValuesPaths.Where(p => !ValuesSchema.Exists(values, p)).ToList();
        Assert.True(missing.Count == 0, "templates read values that values.yaml does not define: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task ValuesPaths_UsedByTemplates_AreDescribedInTheSchema()
    {
        var schema = ValuesSchema.Load();

        var render = await ChartChecker.RenderAsync(ChartChecker.DefaultValues());

        var undescribed = render.ValuesPaths
            .Where(p => ValuesSchema.Describe(schema, p) is not { } s || string.IsNullOrWhiteSpace((string?)s["description"]))
            .ToList();
        Assert.True(undescribed.Count == 0, "values read by templates but not described in values.schema.json: " + string.Join(", ", undescribed));
    }

    [Fact]
    public void ValuesYaml_EveryLeaf_IsDescribedInTheSchema()
    {
        var problems = ValuesSchema.UndescribedLeaves(ChartChecker.DefaultValues(), ValuesSchema.Load());

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Schema_EveryProperty_HasADescription()
    {
        var schema = ValuesSchema.Load();

        var problems = ValuesSchema.PropertiesWithoutDescription(schema);

        Assert.Equal("http://json-schema.org/draft-07/schema#", (string?)schema["$schema"]);
        Assert.True(problems.Count == 0, "schema properties without a description: " + string.Join(", ", problems));
    }

    [Fact]
    public void ValuesYaml_Defaults_MatchTheSchemaTypes()
    {
        var problems = ValuesSchema.Validate(ChartChecker.DefaultValues(), ValuesSchema.Load());

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ValuesYaml_TestOverrides_MatchTheSchemaTypes()
    {
        // The renders in ChartRenderTests must use values helm install would accept.
        var schema = ValuesSchema.Load();

        var enabled = ValuesSchema.Validate(ChartChecker.Values(ChartRenderTests.AllEnabled), schema);
        var disabled = ValuesSchema.Validate(ChartChecker.Values(ChartRenderTests.AllDisabled), schema);

        Assert.True(enabled.Count == 0, string.Join("\n", enabled));
        Assert.True(disabled.Count == 0, string.Join("\n", disabled));
    }

    [Fact]
    public void Validate_WrongTypesAndUnknownKeys_AreReported()
    {
        // The validator itself must be able to fail, or the tests above prove nothing.
        var values = ChartChecker.Values("""{ "web": { "replicaCount": "two", "image": { "pullPolicy": "Sometimes" } }, "persistence": { "enabeld": true }, "config": { "sandbox": { "cpus": "half" } } }""");

        var problems = ValuesSchema.Validate(values, ValuesSchema.Load());

        Assert.Contains(problems, p => p.StartsWith("web.replicaCount: string", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("web.image.pullPolicy:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("persistence.enabeld: not allowed", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("config.sandbox.cpus: string", StringComparison.Ordinal));
    }

    [Fact]
    public void ValuesYaml_ChartFacts_MatchTheProduct()
    {
        var values = ChartChecker.DefaultValues();
        var chart = YamlJson.Parse(File.ReadAllText(Path.Combine(ChartChecker.ChartDirectory, "Chart.yaml")))!;

        Assert.Equal("v2", (string?)chart["apiVersion"]);
        Assert.Equal("goplay", (string?)chart["name"]);
        Assert.Equal("0.1.0", (string?)chart["version"]);
        Assert.Equal("0.1.0", (string?)chart["appVersion"]);
        Assert.Equal(">=1.25.0-0", (string?)chart["kubeVersion"]);
        Assert.Equal("goplay-web", (string?)values["web"]!["image"]!["repository"]);
        Assert.Equal("goplay-proxy", (string?)values["proxy"]!["image"]!["repository"]);
        Assert.Equal("/var/run/docker.sock", (string?)values["sandbox"]!["dockerSocket"]);
        Assert.Equal("/var/lib/goplay/modules", (string?)values["sandbox"]!["moduleSocketDirectory"]);
        Assert.Equal("/data", (string?)values["persistence"]!["mountPath"]);
        Assert.IsType<JsonObject>(values["config"]!["extra"]);
    }
}
