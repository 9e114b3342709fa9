// GoPlay benchmark: every figure of PERFORMANCE.md that this stage of the product covers,
// measured from a real SignalR client against a running server, beside the bare
// `go build` + run reference measured in the same run. Run it with bench/run.sh.
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Playground.Bench;

var server = new Uri(Arg("--server", "http://127.0.0.1:5099/"));
var repeat = int.Parse(Arg("--repeat", "15"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(Arg("--clients", "20"), CultureInfo.InvariantCulture);
var seconds = int.Parse(Arg("--seconds", "20"), CultureInfo.InvariantCulture);
var rows = new List<Row>();

// bench/run.sh --idle N: only the idle-connection memory figure.
if (Arg("--idle", "") is { Length: > 0 } idle)
{
    return await IdleConnections.RunAsync(
        server, int.Parse(idle, CultureInfo.InvariantCulture), int.Parse(Arg("--server-pid", "0"), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(seconds));
}

Console.WriteLine($"GoPlay benchmark against {server} ({repeat} repetitions, {concurrency} clients for {seconds} s)");

// The server's Go versions: the default (newest) and the oldest ready one are measured, each
// against bare go build + run with that same toolchain on this host.
var versions = await GoVersions.ReadAsync(server);
var toolchainDirectory = Arg("--toolchains", "/var/lib/goplay/toolchains");
var measured = versions.Count > 1 ? new[] { versions[0], versions[^1] } : [versions[0]];
BareGo? defaultBare = null;
double? defaultFirst = null;
foreach (var version in measured)
{
    // The reference: go build + run on the host, warm cache, new source each time.
    var bare = new BareGo(GoVersions.HostGo(version, toolchainDirectory), version.Language);
    defaultBare ??= bare;
    await bare.RunOnceAsync(); // warm the host cache
    var bareTimes = new List<double>();
    for (var i = 0; i < repeat; i++)
    {
        bareTimes.Add(await bare.RunOnceAsync());
    }

    var bareMedian = Stats.Median(bareTimes);
    Console.WriteLine($"bare go build + run with {version.Version}: median {bareMedian:0} ms, p95 {Stats.P95(bareTimes):0} ms");

    // 1. New hello world, request to exit. The first run on a version is timed on its own: a
    // version that is not the default must not cost much more the first time it is used.
    await using var client = await Client.ConnectAsync(server, version.Version);
    var first = await client.RunAsync(Programs.Hello("first-" + Guid.NewGuid().ToString("N")));
    first.EnsureExited();
    if (defaultFirst is null)
    {
        defaultFirst = first.ToExitMs;
        rows.Add(new Row($"{version.Version}: first run of this version, request to exit", first.ToExitMs, bareMedian, "(the reference for the other versions)", true));
    }
    else
    {
        // Here the reference column is the default version's first run, not bare.
        rows.Add(new Row($"{version.Version}: first run of this version, request to exit (vs the default's first)", first.ToExitMs, defaultFirst, "≤ 1.5 × the default's", first.ToExitMs <= 1.5 * defaultFirst.Value));
    }

    var times = new List<double>();
    for (var i = 0; i < repeat; i++)
    {
        var r = await client.RunAsync(Programs.Hello(Guid.NewGuid().ToString("N")));
        r.EnsureExited();
        times.Add(r.ToExitMs);
    }

    rows.Add(new Row($"{version.Version}: new hello world, request to exit, median", Stats.Median(times), bareMedian, "≤ 1.0 × bare", Stats.Median(times) <= bareMedian));
    rows.Add(new Row($"{version.Version}: new hello world, request to exit, p95", Stats.P95(times), bareMedian, "≤ 2 × bare", Stats.P95(times) <= 2 * bareMedian));
    if (version != versions[0])
    {
        continue;
    }

    // 2. Identical program again: binary cache hit, request to first output byte.
    var hits = new List<double>();
    for (var i = 0; i < repeat; i++)
    {
        var source = Programs.Hello("cached-" + Guid.NewGuid().ToString("N"));
        (await client.RunAsync(source)).EnsureExited();
        var again = await client.RunAsync(source);
        again.EnsureExited();
        if (!again.Cached)
        {
            throw new InvalidOperationException("the repeated program was not a cache hit");
        }

        hits.Add(again.ToFirstOutputMs);
    }

    var hitMedian = Stats.Median(hits);
    rows.Add(new Row("identical program again (cache hit), request to first output, median", hitMedian, bareMedian, "≤ 100 ms and ≤ 0.25 × bare", hitMedian <= 100 && hitMedian <= 0.25 * bareMedian));
}

// 2b. The first vet of a new program importing net/http and encoding/json (withVet over
// /compile), once vet's facts are warm: it must finish inside the 15 s build limit, or its
// findings are lost. Reference: bare go vet of the same kind of program, warm cache.
await GoVersions.WaitUntilWarmAsync(server, TimeSpan.FromMinutes(15));
var bareVet = await defaultBare!.VetHeavyAsync();
var vetMs = await VetOverCompileAsync(server, Programs.HeavyVet(Guid.NewGuid().ToString("N")));
rows.Add(new Row("first withVet of a new net/http + encoding/json program, request to response (bare: go vet)", vetMs, bareVet, "< 15 s build limit", vetMs < 15_000));

// 3. Throughput: distinct programs from many clients for a fixed time, against bare at the same parallelism.
var bareThroughput = await defaultBare!.ThroughputAsync(concurrency, TimeSpan.FromSeconds(seconds));
var (completed, failed, elapsed) = await Load.RunAsync(server, concurrency, TimeSpan.FromSeconds(seconds));
var throughput = completed / elapsed.TotalSeconds;
rows.Add(new Row($"throughput, {concurrency} clients, distinct programs (runs/s)", throughput, bareThroughput, "≥ 0.8 × bare, 0 failed", throughput >= 0.8 * bareThroughput && failed == 0, HigherIsBetter: true));
Console.WriteLine($"load: {completed} runs completed inside the {elapsed.TotalSeconds:0} s window, {failed} failed; bare: {bareThroughput:0.00} runs/s");

// 4. Queue feedback while saturated, and rejection when the queue is full.
var (queuedMs, rejected) = await Saturation.RunAsync(server);
rows.Add(new Row("first `queued` event while saturated", queuedMs, null, "≤ 50 ms", queuedMs <= 50));
rows.Add(new Row("queue full: `rejected` with retryAfterSeconds", rejected is null ? double.NaN : rejected.Value, null, "rejected, retry-after set", rejected is not null));

Console.WriteLine();
Console.WriteLine($"{"figure",-90} {"value",10} {"bare",10} {"ratio",7}  target");
foreach (var row in rows)
{
    var ratio = row.Reference is { } reference ? (row.Value / reference).ToString("0.00", CultureInfo.InvariantCulture) : "-";
    var bareText = row.Reference is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine($"{row.Figure,-90} {row.Value,10:0.0} {bareText,10} {ratio,7}  {row.Target} {(row.Met ? "MET" : "NOT MET")}");
}

return 0;

static async Task<double> VetOverCompileAsync(Uri server, string source)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
    var clock = Stopwatch.StartNew();
    using var response = await http.PostAsync(new Uri(server, "compile"), new FormUrlEncodedContent(new Dictionary<string, string> { ["version"] = "2", ["withVet"] = "true", ["body"] = source }));
    var body = await response.Content.ReadAsStringAsync();
    var ms = clock.Elapsed.TotalMilliseconds;
    using var json = System.Text.Json.JsonDocument.Parse(body);
    // The program has a Printf mistake: without the finding, vet did not finish.
    if (!json.RootElement.TryGetProperty("VetErrors", out var vet) || !vet.GetString()!.Contains("fmt.Printf format", StringComparison.Ordinal))
    {
        throw new InvalidOperationException("vet did not report the program's Printf mistake: " + body);
    }

    return ms;
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

namespace Playground.Bench
{
    internal sealed record Row(string Figure, double Value, double? Reference, string Target, bool Met, bool HigherIsBetter = false);

    internal sealed record GoVersion(string Version, string State)
    {
        /// <summary>"1.27" for go1.27.4.</summary>
        public string Language => string.Join('.', Version[2..].Split('.').Take(2));
    }

    /// <summary>The server's ready Go versions (GET /versions), newest first.</summary>
    internal static class GoVersions
    {
        public static async Task<IReadOnlyList<GoVersion>> ReadAsync(Uri server)
        {
            using var http = new HttpClient();
            using var body = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(server, "versions")));
            var versions = body.RootElement.GetProperty("versions").EnumerateArray()
                .Select(v => new GoVersion(v.GetProperty("version").GetString()!, v.GetProperty("state").GetString()!))
                .Where(v => v.State == "ready")
                .ToList();
            return versions.Count > 0 ? versions : throw new InvalidOperationException("the server has no ready Go version");
        }

        /// <summary>Waits until the server's background preparation (versions, then vet's facts) is done.</summary>
        public static async Task WaitUntilWarmAsync(Uri server, TimeSpan limit)
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow + limit;
            while (DateTime.UtcNow < deadline)
            {
                using var body = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(server, "versions")));
                if (!body.RootElement.GetProperty("warming").GetBoolean())
                {
                    return;
                }

                await Task.Delay(1000);
            }

            throw new TimeoutException("the server was still warming after " + limit);
        }

        /// <summary>The host's go command of the same release: the unpacked Debian toolchain, else the go on PATH when it is that version.</summary>
        public static string HostGo(GoVersion version, string toolchainDirectory)
        {
            var unpacked = Path.Combine(toolchainDirectory, version.Language, "usr", "lib", "go-" + version.Language, "bin", "go");
            return File.Exists(unpacked) ? unpacked : "go";
        }
    }

    internal static class Stats
    {
        public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

        public static double P95(IReadOnlyList<double> values) => Percentile(values, 0.95);

        private static double Percentile(IReadOnlyList<double> values, double p)
        {
            var sorted = values.Order().ToArray();
            var index = (int)Math.Ceiling(p * sorted.Length) - 1;
            return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
        }
    }

    internal static class Programs
    {
        public static string Hello(string tag) =>
            $"package main\n\nimport \"fmt\"\n\n// {tag}\nfunc main() {{ fmt.Println(\"Hello, playground\") }}\n";

        /// <summary>Imports net/http and encoding/json; its Printf has one argument too few.</summary>
        public static string HeavyVet(string tag) =>
            $"package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n)\n\n// {tag}\nfunc main() {{\n\tb, _ := json.Marshal(http.StatusTeapot)\n\tfmt.Printf(\"%s %d\\n\", b)\n}}\n";

        public static string Sleeper(int seconds) =>
            $"package main\n\nimport \"time\"\n\n// {Guid.NewGuid():N}\nfunc main() {{ time.Sleep({seconds} * time.Second) }}\n";
    }

    internal sealed record Result(double ToExitMs, double ToFirstOutputMs, RunEvent Final, bool Cached)
    {
        public void EnsureExited()
        {
            if (Final.Outcome != RunOutcome.Exited || Final.ExitCode != 0)
            {
                throw new InvalidOperationException($"run failed: {Final.Outcome} {Final.Data}");
            }
        }
    }

    /// <summary>
    /// One SignalR connection, as a browser tab would hold it, of a user of its own: the server
    /// keys fairness and queue places on the client address, and believes X-Forwarded-For from
    /// loopback for the bench (bench/run.sh), as it would from its edge proxy. The addresses are
    /// from 198.18.0.0/15, the range set aside for benchmarks.
    /// </summary>
    internal sealed class Client(HubConnection connection, string? goVersion) : IAsyncDisposable
    {
        private static int _users;

        public static async Task<Client> ConnectAsync(Uri server, string? goVersion = null)
        {
            var user = Interlocked.Increment(ref _users);
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(server, "hubs/run"), o => o.Headers["X-Forwarded-For"] = $"198.18.{(user >> 8) & 255}.{user & 255}")
                .Build();
            await connection.StartAsync();
            return new Client(connection, goVersion);
        }

        public async Task<Result> RunAsync(string source, CancellationToken cancellationToken = default)
        {
            var stdin = Channel.CreateUnbounded<string>();
            stdin.Writer.Complete();
            var clock = Stopwatch.StartNew();
            double firstOutput = double.NaN;
            double exit = double.NaN;
            RunEvent? final = null;
            var cached = false;
            var request = new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = source }, GoVersion = goVersion };
            await foreach (var e in connection.StreamAsync<RunEvent>("Run", request, stdin.Reader, cancellationToken))
            {
                if (e.Kind is RunEventKind.Stdout or RunEventKind.Stderr && double.IsNaN(firstOutput))
                {
                    firstOutput = clock.Elapsed.TotalMilliseconds;
                }

                cached |= e.Kind == RunEventKind.Built && e.Cached == true;
                if (e.IsFinal)
                {
                    // PERFORMANCE.md times the `exit` event. The stream itself completes a
                    // little later, once the run's container has been removed.
                    exit = clock.Elapsed.TotalMilliseconds;
                    final = e;
                }
            }

            return new Result(exit, firstOutput, final!, cached);
        }

        public HubConnection Connection => connection;

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    internal static class Load
    {
        public static async Task<(int Completed, int Failed, TimeSpan Elapsed)> RunAsync(Uri server, int clients, TimeSpan duration)
        {
            var completed = 0;
            var failed = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                await using var client = await Client.ConnectAsync(server);
                while (clock.Elapsed < duration)
                {
                    var r = await client.RunAsync(Programs.Hello(Guid.NewGuid().ToString("N")));
                    if (r.Final.Outcome == RunOutcome.Exited && r.Final.ExitCode == 0)
                    {
                        // Fixed-time throughput: only runs finished inside the window count,
                        // for the reference as for the sandbox.
                        if (clock.Elapsed <= duration)
                        {
                            Interlocked.Increment(ref completed);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        Console.WriteLine($"failed run: {r.Final.Outcome} {r.Final.Data}");
                    }
                }
            }));
            return (completed, failed, duration);
        }
    }

    internal static class Saturation
    {
        /// <summary>
        /// Fills every slot and the queue with sleeping programs from many connections, then
        /// measures the time to the first `queued` event of a new request, and checks that a
        /// request beyond the queue is rejected with a retry-after.
        /// </summary>
        public static async Task<(double QueuedMs, int? RetryAfter)> RunAsync(Uri server)
        {
            using var cancel = new CancellationTokenSource();
            var clients = new List<Client>();
            var background = new List<Task>();
            try
            {
                // Sleepers for both slots and 18 of the 20 queue places (bench/run.sh starts the
                // server with a queue of 20): the probe is queued, the extras then fill the queue.
                for (var c = 0; c < 4; c++)
                {
                    var client = await Client.ConnectAsync(server);
                    clients.Add(client);
                    for (var i = 0; i < 5; i++)
                    {
                        background.Add(Ignore(client.RunAsync(Programs.Sleeper(30), cancel.Token)));
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(3)); // let the sleepers be admitted and queued
                var probe = await Client.ConnectAsync(server);
                clients.Add(probe);
                var stdin = Channel.CreateUnbounded<string>();
                var clock = Stopwatch.StartNew();
                double queuedMs = double.NaN;
                int? retryAfter = null;
                var request = new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = Programs.Hello(Guid.NewGuid().ToString("N")) } };
                await foreach (var e in probe.Connection.StreamAsync<RunEvent>("Run", request, stdin.Reader, cancel.Token))
                {
                    if (e.Kind == RunEventKind.Queued)
                    {
                        queuedMs = clock.Elapsed.TotalMilliseconds;
                        break;
                    }

                    if (e.Outcome == RunOutcome.Rejected)
                    {
                        retryAfter = e.RetryAfterSeconds;
                        queuedMs = clock.Elapsed.TotalMilliseconds;
                        break;
                    }
                }

                // Keep adding until the queue is full.
                for (var i = 0; i < 30 && retryAfter is null; i++)
                {
                    var extra = await Client.ConnectAsync(server);
                    clients.Add(extra);
                    var events = extra.Connection.StreamAsync<RunEvent>("Run", request, Channel.CreateUnbounded<string>().Reader, cancel.Token);
                    await foreach (var e in events)
                    {
                        if (e.Outcome == RunOutcome.Rejected)
                        {
                            retryAfter = e.RetryAfterSeconds;
                        }

                        if (e.Kind == RunEventKind.Queued || e.IsFinal)
                        {
                            break;
                        }
                    }
                }

                return (queuedMs, retryAfter);
            }
            finally
            {
                await cancel.CancelAsync();
                await Task.WhenAll(background);
                foreach (var c in clients)
                {
                    await c.DisposeAsync();
                }
            }
        }

        private static async Task Ignore(Task task)
        {
            try
            {
                await task;
            }
            catch (Exception e) when (e is OperationCanceledException or Microsoft.AspNetCore.SignalR.HubException or InvalidOperationException)
            {
                // Cancelled on purpose at the end.
            }
        }
    }

    /// <summary>The reference: the host's go build + run, warm cache, new source each time.</summary>
    internal sealed class BareGo(string go, string language)
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("goplay-bare-").FullName;

        public async Task<double> RunOnceAsync()
        {
            var work = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            await File.WriteAllTextAsync(Path.Combine(work, "go.mod"), $"module play\n\ngo {language}\n");
            await File.WriteAllTextAsync(Path.Combine(work, "prog.go"), Programs.Hello(Guid.NewGuid().ToString("N")));
            var clock = Stopwatch.StartNew();
            await RunAsync(go, work, "build", "-o", "prog", ".");
            await RunAsync(Path.Combine(work, "prog"), work);
            var ms = clock.Elapsed.TotalMilliseconds;
            Directory.Delete(work, recursive: true);
            return ms;
        }

        /// <summary>go vet of a new heavy program on the host, its facts cached by a vet before.</summary>
        public async Task<double> VetHeavyAsync()
        {
            var times = new List<double>();
            for (var i = 0; i < 2; i++)
            {
                var work = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(work);
                await File.WriteAllTextAsync(Path.Combine(work, "go.mod"), $"module play\n\ngo {language}\n");
                await File.WriteAllTextAsync(Path.Combine(work, "prog.go"), Programs.HeavyVet(Guid.NewGuid().ToString("N")));
                var clock = Stopwatch.StartNew();
                // go vet exits non-zero (1, or 2 before Go 1.20) when it reports something, as here.
                if (await ExitCodeAsync(go, work, "vet", ".") is not (1 or 2))
                {
                    throw new InvalidOperationException("bare go vet did not report the Printf mistake");
                }

                times.Add(clock.Elapsed.TotalMilliseconds);
                Directory.Delete(work, recursive: true);
            }

            // The second: the first may have filled the host's cache.
            return times[1];
        }

        public async Task<double> ThroughputAsync(int parallelism, TimeSpan duration)
        {
            var done = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, parallelism).Select(async _ =>
            {
                while (clock.Elapsed < duration)
                {
                    await RunOnceAsync();
                    if (clock.Elapsed <= duration)
                    {
                        Interlocked.Increment(ref done);
                    }
                }
            }));
            return done / duration.TotalSeconds;
        }

        private static async Task RunAsync(string file, string dir, params string[] args)
        {
            if (await ExitCodeAsync(file, dir, args) is var code and not 0)
            {
                throw new InvalidOperationException($"{file} failed with {code}");
            }
        }

        private static async Task<int> ExitCodeAsync(string file, string dir, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["CGO_ENABLED"] = "0";
            psi.Environment["GOTOOLCHAIN"] = "local";
            using var p = Process.Start(psi)!;
            await p.StandardOutput.ReadToEndAsync();
            await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return p.ExitCode;
        }
    }
}
