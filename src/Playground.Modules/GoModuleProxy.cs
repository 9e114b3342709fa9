using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playground.Modules;

/// <summary>
/// The GOPROXY-protocol route builders use (<c>GOPROXY=…/gomod</c>): module versions come
/// from the upstream once and then from the on-disk cache; version lists and <c>@latest</c>
/// are reused for <see cref="ModuleOptions.ListCacheTime"/>; denied modules get 403 with the
/// reason, which the go command shows as the build error. Every refusal or failure has a
/// one-line text/plain reason for the user (the build output shows it in place of this route's
/// address and status); the upstream's address and the exception stay in the log.
/// </summary>
public sealed partial class GoModuleProxy
{
    private readonly ModuleOptions _options;
    private readonly ModuleUpstream _upstream;
    private readonly TimeProvider _time;
    private readonly ILogger<GoModuleProxy> _logger;
    private readonly Counter<long> _requests;
    private readonly ConcurrentDictionary<string, Lazy<Task<Fetched>>> _inFlight = new();
    private readonly string _cache;
    private readonly Lock _trimGate = new();

    public GoModuleProxy(IOptions<ModuleOptions> options, ModuleUpstream upstream, TimeProvider time, ILogger<GoModuleProxy> logger, IMeterFactory meters)
    {
        _options = options.Value;
        _upstream = upstream;
        _time = time;
        _logger = logger;
        _requests = meters.Create("Playground.Modules").CreateCounter<long>(
            "playground.modules.requests", unit: "{request}", description: "GOPROXY requests from builders, by result (hit, fetched, sumdb, denied, invalid, error).");
        // Every result is exported from the start, at zero, so a dashboard sees the series before the first build with modules.
        foreach (var result in (string[])["hit", "fetched", "sumdb", "denied", "invalid", "error"])
        {
            _requests.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        _cache = Path.GetFullPath(_options.CacheDirectory);
        Directory.CreateDirectory(_cache);
    }

    /// <summary>Answers one GOPROXY request; <paramref name="path"/> is what follows the route prefix.</summary>
    public async Task HandleAsync(HttpContext context, string path)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        if (path.StartsWith("sumdb/", StringComparison.Ordinal))
        {
            await ChecksumDatabaseAsync(context, path).ConfigureAwait(false);
            return;
        }

        var match = ModuleRequest().Match(path);
        if (!match.Success || path.Contains("..", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            await TextAsync(response, StatusCodes.Status404NotFound, "not a GOPROXY request: " + path, "invalid").ConfigureAwait(false);
            return;
        }

        var module = Unescape(match.Groups["module"].Value);
        if (ModulePolicy.Check(module, _options) is { } refusal)
        {
            LogDenied(_logger, module);
            await TextAsync(response, StatusCodes.Status403Forbidden, refusal, "denied").ConfigureAwait(false);
            return;
        }

        var file = Path.Combine(_cache, path.Replace('/', Path.DirectorySeparatorChar));
        var immutable = !path.EndsWith("/@v/list", StringComparison.Ordinal) && !path.EndsWith("/@latest", StringComparison.Ordinal);
        if (Fresh(file, immutable))
        {
            _requests.Add(1, new KeyValuePair<string, object?>("result", "hit"));
            MarkUsed(file);
            await SendFileAsync(response, file, path).ConfigureAwait(false);
            return;
        }

        // One upstream fetch per path however many builds ask at once.
        var fetch = _inFlight.GetOrAdd(path, p => new Lazy<Task<Fetched>>(() => FetchAsync(p, file)));
        Fetched fetched;
        try
        {
            fetched = await fetch.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (fetch.Value.IsCompleted)
            {
                _inFlight.TryRemove(KeyValuePair.Create(path, fetch));
            }
        }

        if (fetched.Status == StatusCodes.Status200OK)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("result", "fetched"));
            await SendFileAsync(response, file, path).ConfigureAwait(false);
            return;
        }

        await TextAsync(response, fetched.Status, fetched.Message, fetched.Status is 404 or 410 ? "not-found" : "error").ConfigureAwait(false);
    }

    /// <summary>
    /// Records a hit as the file's access time, which <see cref="Trim"/> orders by (set here
    /// rather than left to the file system, which often does not keep it); at most once a minute.
    /// </summary>
    private void MarkUsed(string file)
    {
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            if (now - File.GetLastAccessTimeUtc(file) > TimeSpan.FromMinutes(1))
            {
                File.SetLastAccessTimeUtc(file, now);
            }
        }
        catch (IOException)
        {
            // Trimmed meanwhile: it was sent from the open file all the same.
        }
    }

    /// <summary>
    /// Holds the cache to <see cref="ModuleOptions.CacheBytes"/>: once over, the files used
    /// least recently (last hit or fetch) go until it is at nine-tenths, never <paramref name="keep"/>.
    /// Fetches are rare next to hits, so each one measures the whole cache.
    /// </summary>
    private void Trim(string keep)
    {
        lock (_trimGate)
        {
            var files = new DirectoryInfo(_cache).EnumerateFiles("*", SearchOption.AllDirectories)
                .Where(f => !f.Name.EndsWith(".tmp", StringComparison.Ordinal))
                .ToList();
            var total = files.Sum(f => f.Length);
            if (total <= _options.CacheBytes)
            {
                return;
            }

            var target = _options.CacheBytes / 10 * 9;
            var removed = 0;
            foreach (var file in files.OrderBy(f => f.LastAccessTimeUtc > f.LastWriteTimeUtc ? f.LastAccessTimeUtc : f.LastWriteTimeUtc))
            {
                if (total <= target)
                {
                    break;
                }

                if (file.FullName == keep)
                {
                    continue;
                }

                // Before the delete: a FileInfo asked for its length afterwards looks again, and throws.
                var length = file.Length;
                try
                {
                    file.Delete();
                    total -= length;
                    removed++;
                }
                catch (IOException)
                {
                    // Gone already, or in use: the next trim sees it again.
                }
            }

            LogTrimmed(_logger, removed, total);
        }
    }

    private bool Fresh(string file, bool immutable)
    {
        var info = new FileInfo(file);
        return info.Exists && (immutable || _time.GetUtcNow() - info.LastWriteTimeUtc < _options.ListCacheTime);
    }

    private async Task<Fetched> FetchAsync(string path, string file)
    {
        // Not the requester's token: other builds may be waiting for the same file.
        using var timeout = new CancellationTokenSource(_options.UpstreamTimeout);
        try
        {
            using var upstream = await _upstream.GetAsync(path, timeout.Token).ConfigureAwait(false);
            if (upstream.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Gone)
            {
                // The upstream's reason ("not found: … unknown revision v1.2.3"), on one line.
                var body = await upstream.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                var reason = string.Join("; ", body.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                return new Fetched((int)upstream.StatusCode, reason.Length is > 0 and < 2000 ? reason : "not found");
            }

            if (!upstream.IsSuccessStatusCode)
            {
                LogUpstreamStatus(_logger, path, (int)upstream.StatusCode);
                return new Fetched(StatusCodes.Status502BadGateway, $"the module proxy failed ({(int)upstream.StatusCode} {upstream.ReasonPhrase}); try again later");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temp = file + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            try
            {
                var output = File.Create(temp);
                await using (output.ConfigureAwait(false))
                {
                    var input = await upstream.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                    await using var inputScope = input.ConfigureAwait(false);
                    var buffer = new byte[81920];
                    long total = 0;
                    int read;
                    while ((read = await input.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
                    {
                        total += read;
                        if (total > _options.MaxZipBytes)
                        {
                            return new Fetched(StatusCodes.Status502BadGateway, $"{path} is larger than this playground's limit of {_options.MaxZipBytes >> 20} MiB (Modules:MaxZipBytes)");
                        }

                        await output.WriteAsync(buffer.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                    }
                }

                // Whole or not at all: a reader never sees half a zip.
                File.Move(temp, file, overwrite: true);
                LogFetched(_logger, path);
                Trim(keep: file);
                return new Fetched(StatusCodes.Status200OK, "");
            }
            finally
            {
                File.Delete(temp);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            LogUpstreamFailed(_logger, e, path);
            return new Fetched(StatusCodes.Status502BadGateway, e is OperationCanceledException
                ? $"the module proxy did not answer within {_options.UpstreamTimeout.TotalSeconds:0} s; try again later"
                : "the module proxy could not be reached; try again later");
        }
    }

    private async Task ChecksumDatabaseAsync(HttpContext context, string path)
    {
        var database = _options.ChecksumDatabase;
        if (database == "off" || !path.StartsWith($"sumdb/{database}/", StringComparison.Ordinal) || path.Contains("..", StringComparison.Ordinal)
            || !ChecksumRequest().IsMatch(path[$"sumdb/{database}/".Length..]))
        {
            // 404 on .../supported tells the go command this proxy does not serve that database.
            await TextAsync(context.Response, StatusCodes.Status404NotFound, "checksum database not served here", "invalid").ConfigureAwait(false);
            return;
        }

        try
        {
            using var upstream = await _upstream.GetAsync(path, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = (int)upstream.StatusCode;
            context.Response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            await upstream.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            _requests.Add(1, new KeyValuePair<string, object?>("result", "sumdb"));
        }
        catch (HttpRequestException e)
        {
            LogUpstreamFailed(_logger, e, path);
            await TextAsync(context.Response, StatusCodes.Status502BadGateway, "the checksum database could not be reached; try again later", "error").ConfigureAwait(false);
        }
    }

    private static async Task SendFileAsync(HttpResponse response, string file, string path)
    {
        response.ContentType = path.EndsWith(".zip", StringComparison.Ordinal) ? "application/zip"
            : path.EndsWith(".info", StringComparison.Ordinal) || path.EndsWith("/@latest", StringComparison.Ordinal) ? "application/json"
            : "text/plain; charset=utf-8";
        await response.SendFileAsync(file).ConfigureAwait(false);
    }

    private async Task TextAsync(HttpResponse response, int status, string message, string result)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("result", result));
        response.StatusCode = status;
        // The go command prints a short text/plain body under "server response:".
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n", Encoding.UTF8).ConfigureAwait(false);
    }

    /// <summary>Module paths on the wire escape capitals as !lower (golang.org/x/mod/module).</summary>
    internal static string Unescape(string escaped)
    {
        var text = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            text.Append(escaped[i] == '!' && i + 1 < escaped.Length ? char.ToUpperInvariant(escaped[++i]) : escaped[i]);
        }

        return text.ToString();
    }

    // Versions as the go command escapes them ("!" before a lower-cased capital): a "?" or "#"
    // in one would become the upstream URL's query or fragment.
    [GeneratedRegex(@"^(?<module>[a-z0-9.!_~+\-]+(/[a-z0-9.!_~+\-]+)*)/(@v/(list|[a-z0-9.!_~+\-]+\.(info|mod|zip))|@latest)$")]
    private static partial Regex ModuleRequest();

    /// <summary>The checksum database's own requests (golang.org/x/mod/sumdb): nothing else is passed on.</summary>
    [GeneratedRegex(@"^(supported|latest|lookup/[a-z0-9.!_~+\-]+(/[a-z0-9.!_~+\-]+)*@[a-z0-9.!_~+\-]+|tile/\d+/(\d+|data)/(x\d{3}/)*\d{3}(\.p/\d+)?)$")]
    private static partial Regex ChecksumRequest();

    private sealed record Fetched(int Status, string Message);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "Module cache over its size: removed {Files} least recently used files, {Bytes} bytes left")]
    private static partial void LogTrimmed(ILogger logger, int files, long bytes);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Module proxy fetched {Path} from the upstream")]
    private static partial void LogFetched(ILogger logger, string path);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Module proxy: upstream answered {Status} for {Path}")]
    private static partial void LogUpstreamStatus(ILogger logger, string path, int status);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Module proxy: fetching {Path} failed")]
    private static partial void LogUpstreamFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Information, Message = "Module proxy denied {Module}")]
    private static partial void LogDenied(ILogger logger, string module);
}
