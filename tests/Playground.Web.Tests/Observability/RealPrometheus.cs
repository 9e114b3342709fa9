using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Playground.Testing;

namespace Playground.Web.Tests.Observability;

/// <summary>
/// Debian's Prometheus server, started for one test with a scrape interval of one second
/// against the given targets, queried through its HTTP API.
/// </summary>
internal sealed class RealPrometheus : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private RealPrometheus(Process process, DirectoryInfo dir, Uri address)
    {
        _process = process;
        _dir = dir;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<RealPrometheus> StartAsync(params (string Job, Uri Metrics)[] targets)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"{Binary} is missing: the README's test command (bash scripts/test.sh) installs Debian's prometheus package through scripts/setup.sh --tests.");
        }

        var dir = Directory.CreateTempSubdirectory("goplay-prometheus-");
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
        foreach (var (job, metrics) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: {job}\n    metrics_path: {metrics.AbsolutePath}\n    static_configs:\n      - targets: ['{metrics.Authority}']\n");
        }

        var configFile = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config.ToString());
        var port = Infrastructure.WebProcess.FreePort();
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--config.file=" + configFile, "--storage.tsdb.path=" + Path.Combine(dir.FullName, "data"), $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start prometheus");
        var prometheus = new RealPrometheus(process, dir, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => prometheus.Append(e.Data);
        process.ErrorDataReceived += (_, e) => prometheus.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await prometheus.WaitReadyAsync();
        return prometheus;
    }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>An instant query; each result's labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync(new Uri(Address, "api/v1/query?query=" + Uri.EscapeDataString(promql)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Prometheus refused '{promql}': {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => (
                (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>The single value of a query that sums to one series, or null when there is none.</summary>
    public async Task<double?> ValueAsync(string promql) => (await QueryAsync(promql)) switch
    {
        [] => null,
        [var only] => only.Value,
        var many => throw new InvalidOperationException($"'{promql}' gave {many.Count} series"),
    };

    /// <summary>Polls until the query has the expected value: scrapes happen every second, so the value arrives within a few.</summary>
    public async Task WaitForValueAsync(string promql, double expected, TimeSpan limit)
    {
        double? last = null;
        if (await Poll.UntilAsync(async () => (last = await ValueAsync(promql)) == expected, limit, TimeSpan.FromMilliseconds(250)))
        {
            return;
        }

        var targets = await _http.GetStringAsync(new Uri(Address, "api/v1/targets"));
        throw new TimeoutException($"'{promql}' was {last?.ToString(CultureInfo.InvariantCulture) ?? "absent"}, not {expected}, after {limit}. Targets: {targets}\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Delete(recursive: true);
    }

    private async Task WaitReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("prometheus exited during start-up:\n" + Log);
            }

            try
            {
                if ((await _http.GetAsync(new Uri(Address, "-/ready"))).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("prometheus did not become ready:\n" + Log);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
