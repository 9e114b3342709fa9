using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// The Grafana dashboard shipped with the chart: importable (datasource variable, uid,
/// schema version), with well-formed queries. That every metric it queries is exported is
/// checked against live services in Playground.Web.Tests (Observability/DashboardMetricsTests).
/// </summary>
public sealed partial class DashboardTests
{
    private static readonly JsonObject Dashboard =
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ChartChecker.ChartDirectory, "dashboards", "goplay.json")))!;

    [Fact]
    public void Dashboard_Header_IsImportableWithADatasourceVariable()
    {
        Assert.Equal("goplay", (string?)Dashboard["uid"]);
        Assert.InRange((int)Dashboard["schemaVersion"]!, 36, 41);
        var variable = Dashboard["templating"]!["list"]!.AsArray().Single(v => (string?)v!["name"] == "DS_PROMETHEUS")!;
        Assert.Equal("datasource", (string?)variable["type"]);
        Assert.Equal("prometheus", (string?)variable["query"]);
        Assert.All(Panels().Where(p => (string?)p["type"] != "row"), p =>
            Assert.Equal("${DS_PROMETHEUS}", (string?)p["datasource"]!["uid"]));
    }

    [Fact]
    public void Dashboard_Rows_CoverEveryArea()
    {
        var rows = Panels().Where(p => (string?)p["type"] == "row").Select(p => (string)p["title"]!);

        Assert.Equal(["Runs", "Latency", "Queue & pools", "Sandbox engine", "Modules", "HTTP & connections", "Runtime"], rows);
    }

    [Fact]
    public void Dashboard_Rates_UseTheRateInterval()
    {
        foreach (var expr in Expressions())
        {
            foreach (Match window in RangeWindow().Matches(expr))
            {
                Assert.Equal("[$__rate_interval]", window.Value);
            }

            // Histograms are aggregated by le before the quantile, or the quantile is per series.
            if (expr.Contains("histogram_quantile", StringComparison.Ordinal))
            {
                Assert.Matches(@"histogram_quantile\(0\.(5|95), sum by \(le(, [a-z_]+)?\) \(rate\([a-z_]+_bucket\[\$__rate_interval\]\)\)\)", expr);
            }
        }
    }

    [Fact]
    public void Dashboard_Panels_HaveUniqueIdsAndOneTargetAtLeast()
    {
        var panels = Panels().ToList();

        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
        Assert.All(panels.Where(p => (string?)p["type"] != "row"), p =>
        {
            Assert.NotEmpty(p["targets"]!.AsArray());
            Assert.False(string.IsNullOrWhiteSpace((string?)p["title"]));
        });
    }

    private static IEnumerable<JsonObject> Panels() => Dashboard["panels"]!.AsArray().Select(p => (JsonObject)p!);

    private static IEnumerable<string> Expressions() =>
        Panels().Where(p => p["targets"] is JsonArray).SelectMany(p => p["targets"]!.AsArray()).Select(t => (string)t!["expr"]!);

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeWindow();
}
