using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Playground.Web.Tests.Modules;

/// <summary>
/// A module proxy upstream made by the test: real module zips (the layout golang.org/x/mod/zip
/// defines) served in the GOPROXY layout by a local HTTP server that logs every request.
/// </summary>
public sealed class GoProxyUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GoProxyUpstream(WebApplication app, string root, Uri url)
    {
        _app = app;
        Root = root;
        Url = url;
    }

    public string Root { get; }

    public Uri Url { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<GoProxyUpstream> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("goplay-upstream-").FullName;
        foreach (var (module, package) in new[] { ("example.com/greet", "greet"), ("example.com/other", "other"), ("example.com/evil", "evil") })
        {
            await AddModuleAsync(root, module, "v1.0.0", new Dictionary<string, string>
            {
                [package + ".go"] = $"package {package}\n\n// Hello greets from the module.\nfunc Hello(name string) string {{ return \"Hello, \" + name + \" from {module} v1.0.0\" }}\n",
            });
        }

        // Not gofmt-formatted on purpose: `gofmt -l` finds its copies wherever they are left.
        await AddModuleAsync(root, "example.com/messy", "v1.0.0", new Dictionary<string, string>
        {
            ["messy.go"] = "package messy\n\nfunc  Hello() string {return \"messy\"}\n",
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        GoProxyUpstream? self = null;
        app.MapGet("/{**path}", async (HttpContext context, string path) =>
        {
            self!.Requests.Enqueue("/" + path);
            var file = Path.Combine(root, path);
            if (path.Contains("..", StringComparison.Ordinal) || !File.Exists(file))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("not found: " + path);
                return;
            }

            await context.Response.SendFileAsync(file);
        });
        await app.StartAsync();
        self = new GoProxyUpstream(app, root, new Uri(app.Urls.First().TrimEnd('/') + "/"));
        return self;
    }

    /// <summary>Writes list, .info, .mod and .zip for one version.</summary>
    private static async Task AddModuleAsync(string root, string module, string version, Dictionary<string, string> files)
    {
        var dir = Path.Combine(root, module, "@v");
        Directory.CreateDirectory(dir);
        var goMod = $"module {module}\n\ngo 1.19\n";
        await File.WriteAllTextAsync(Path.Combine(dir, "list"), version + "\n");
        await File.WriteAllTextAsync(Path.Combine(dir, version + ".info"), $"{{\"Version\":\"{version}\",\"Time\":\"2024-01-02T03:04:05Z\"}}");
        await File.WriteAllTextAsync(Path.Combine(dir, version + ".mod"), goMod);
        await using var zipFile = File.Create(Path.Combine(dir, version + ".zip"));
        using var zip = new ZipArchive(zipFile, ZipArchiveMode.Create);
        foreach (var (name, content) in files.Append(KeyValuePair.Create("go.mod", goMod)))
        {
            var entry = zip.CreateEntry($"{module}@{version}/{name}");
            await using var writer = new StreamWriter(entry.Open());
            await writer.WriteAsync(content);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
