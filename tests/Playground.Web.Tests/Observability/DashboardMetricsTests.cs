using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Playground.Testing;
using Playground.Web.Tests.Infrastructure;

namespace Playground.Web.Tests.Observability;

/// <summary>
/// The Grafana dashboard shipped with the chart asks only for series the services really
/// export: every metric name in its queries is checked against the live <c>/metrics</c> of a
/// Playground.Web and a Playground.Proxy in front of it, after a run through the proxy.
/// </summary>
[Collection(WebAppTests.Name)]
public sealed partial class DashboardMetricsTests
{
    private static readonly string DashboardFile = Path.Combine(WebProcess.RepositoryRoot(), "charts", "goplay", "dashboards", "goplay.json");

    /// <summary>PromQL functions, aggregations and keywords: words in a query that are not metric names.</summary>
    private static readonly HashSet<string> PromQlWords =
    [
        "sum", "max", "min", "avg", "count", "topk", "bottomk", "quantile", "stddev", "group", "by", "without",
        "rate", "irate", "increase", "delta", "deriv", "histogram_quantile", "clamp_min", "clamp_max", "abs", "vector", "scalar",
        "max_over_time", "min_over_time", "avg_over_time", "sum_over_time", "label_replace",
        "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan",
    ];

    /// <summary>The metric names a PromQL expression reads: label matchers, ranges, strings and grouping lists removed first.</summary>
    internal static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Strings().Replace(expr, "\"\"");
        bare = Braces().Replace(bare, "");
        bare = Ranges().Replace(bare, "");
        bare = Grouping().Replace(bare, "");
        return Identifier().Matches(bare)
            .Where(m => !PromQlWords.Contains(m.Value) && !bare[(m.Index + m.Length)..].TrimStart().StartsWith('('))
            .Select(m => m.Value)
            .Distinct();
    }

    private static IEnumerable<string> Expressions(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "expr" && p.Value is JsonValue v ? [v.GetValue<string>()] : Expressions(p.Value)),
        JsonArray a => a.SelectMany(Expressions),
        _ => [],
    };

    private static HashSet<string> SeriesNames(string exposition) => exposition.Split('\n')
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l[..l.IndexOfAny(['{', ' '])])
        .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void MetricNames_Query_FindsMetricsNotFunctionsLabelsOrRanges()
    {
        var names = MetricNames("histogram_quantile(0.95, sum by (le, outcome) (rate(playground_run_duration_seconds_bucket{job=~\"web\", outcome!=\"ok\"}[$__rate_interval]))) / on(job) group_left up");

        Assert.Equal(["playground_run_duration_seconds_bucket", "up"], names.Order());
    }

    [Fact]
    public async Task Dashboard_EveryQueriedMetric_IsInTheLiveMetricsOfWebOrProxy()
    {
        // Arrange: the two services as deployed, each with its metrics port.
        await using var web = await WebProcess.StartWithMetricsPortAsync(
            "Playground.Web", "--Sandbox:InstanceName=" + TestOwner.Name("dashboard"), "--Sandbox:RunnerPoolSize=1", "--Sandbox:BuilderPoolSize=1");
        await using var proxy = await WebProcess.StartWithMetricsPortAsync(
            "Playground.Proxy", "--ReverseProxy:Clusters:web:Destinations:web1:Address=" + web.BaseAddress);
        await proxy.CompileAsync("package main\n\nfunc main() { println(\"dashboard\") }\n");
        using var http = new HttpClient();

        // Act
        var exported = SeriesNames(await http.GetStringAsync(web.MetricsAddress));
        exported.UnionWith(SeriesNames(await http.GetStringAsync(proxy.MetricsAddress)));
        var queries = Expressions(JsonNode.Parse(await File.ReadAllTextAsync(DashboardFile))).ToList();
        var used = queries.SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);

        // Assert
        Assert.True(queries.Count >= 15, $"the dashboard has only {queries.Count} queries");
        var missing = used.Where(m => !exported.Contains(m)).Order().ToList();
        Assert.True(missing.Count == 0, "the dashboard queries metrics the services do not export: " + string.Join(", ", missing)
            + "\nexported: " + string.Join(", ", exported.Order()));
        // The product's own families are all on the dashboard.
        Assert.Contains("playground_runs_total", used);
        Assert.Contains("playground_run_duration_seconds_bucket", used);
        Assert.Contains("http_client_request_duration_seconds_bucket", exported);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b")]
    private static partial Regex Identifier();
}
