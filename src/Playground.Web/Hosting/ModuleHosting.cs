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
        string directory;
        if (section[nameof(ModuleOptions.SocketDirectory)] is { Length: > 0 } configured)
        {
            directory = Path.GetFullPath(configured);
        }
        else
        {
            var prefix = $"goplay-modules-{instance}-";
            RemoveLeftovers(prefix);
            directory = Path.Combine(Path.GetTempPath(), $"{prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        }

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

    /// <summary>
    /// Socket directories this instance's earlier processes left behind when they were killed
    /// (a clean stop removes its own): those named <paramref name="prefix"/><c>{pid}-{random}</c>
    /// whose process is gone.
    /// </summary>
    private static void RemoveLeftovers(string prefix)
    {
        foreach (var leftover in Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            var rest = Path.GetFileName(leftover)[prefix.Length..].Split('-');
            if (rest.Length == 2 && int.TryParse(rest[0], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(leftover, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another process of this instance got there first, or it is not ours to remove.
                }
            }
        }
    }

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex Unsafe();
}
