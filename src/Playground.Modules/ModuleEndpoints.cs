using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playground.Modules;

/// <summary>Registers and maps the GOPROXY route; Playground.Web and Playground.Proxy both host it.</summary>
public static class ModuleEndpoints
{
    public const string RoutePrefix = "/gomod";

    public static IServiceCollection AddGoModules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModuleOptions>().Bind(configuration.GetSection(ModuleOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModuleOptions>, ModuleOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ModuleUpstream>();
        services.AddSingleton<GoModuleProxy>();
        return services;
    }

    public static IEndpointConventionBuilder MapGoModules(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(RoutePrefix + "/{**path}", (HttpContext context, string path, GoModuleProxy proxy) => proxy.HandleAsync(context, path));
}

/// <summary>
/// Serves the GOPROXY route, and nothing else, on a unix socket in its own directory: the
/// sandbox mounts that directory into builders, whose agent relays the go command's requests
/// to it. Builders keep no network; the socket is the one thing they can reach.
/// </summary>
public sealed partial class ModuleSocketServer(GoModuleProxy proxy, string directory, ILogger<ModuleSocketServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public string SocketPath => Path.Combine(directory, "modules.sock");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        File.Delete(SocketPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(SocketPath));
        builder.Services.AddSingleton(proxy);
        _app = builder.Build();
        _app.MapGoModules();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);

        // Builders run as user 65534: they may reach the socket, not list or write the
        // directory. Where this process may give the socket to that user (as root, the usual
        // case beside the engine's socket), it is that user's alone; otherwise every local
        // user may connect to it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            if (Chown(SocketPath, BuilderUser, BuilderUser) == 0)
            {
                File.SetUnixFileMode(SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            else
            {
                File.SetUnixFileMode(SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite |
                    UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            }
        }
        LogListening(logger, SocketPath);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            File.Delete(SocketPath);
            // Only when empty: a directory configured by hand may hold other things.
            Directory.Delete(directory);
        }
        catch (IOException)
        {
            // Not empty, or already gone (DirectoryNotFoundException is an IOException).
        }
    }

    /// <summary>The user builders run as (ContainerSpecs: nobody).</summary>
    private const int BuilderUser = 65534;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, int owner, int group);

    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Module proxy for builders listening on {Socket}")]
    private static partial void LogListening(ILogger logger, string socket);
}
