using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Playground.Modules;
using Playground.Sandbox;

namespace Playground.Web.Hosting;

/// <summary>
/// The single-process shape: the GOPROXY route runs in this process on a unix socket that the
/// sandbox mounts into builders (docs/PROXY.md). Registered before the sandbox so the socket
/// is up before the first builder starts.
/// </summary>
internal static partial class ModuleHosting
{
    public static WebApplicationBuilder AddModules(this WebApplicationBuilder builder)
    {
        builder.Services.AddGoModules(builder.Configuration);
        var section = builder.Configuration.GetSection(ModuleOptions.SectionName);
        if (!section.GetValue(nameof(ModuleOptions.Enabled), true))
        {
            return builder;
        }

        var instance = Unsafe().Replace(builder.Configuration["Sandbox:InstanceName"] ?? Environment.MachineName, "-");
        // The random part keeps two hosts in one process (the tests run several) from sharing,
        // and then deleting, each other's socket directory.
        var directory = section[nameof(ModuleOptions.SocketDirectory)] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(Path.GetTempPath(), $"goplay-modules-{instance}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(directory);
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ModuleSocketServer>(sp, directory));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModuleSocketServer>());
        builder.Services.AddOptions<SandboxOptions>().PostConfigure<IOptions<ModuleOptions>>((o, modules) =>
        {
            o.ModuleSocketDirectory ??= directory;
            o.ChecksumDatabase = modules.Value.ChecksumDatabase;
        });
        return builder;
    }

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex Unsafe();
}
