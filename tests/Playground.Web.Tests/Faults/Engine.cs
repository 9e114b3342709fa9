using System.Diagnostics;
using Playground.Testing;

namespace Playground.Web.Tests.Faults;

/// <summary>Stops and starts the real Docker engine, as scripts/setup.sh starts it.</summary>
internal static class Engine
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);

    public static async Task StopAsync()
    {
        await RunAsync("pkill", "-TERM", "-x", "dockerd");
        await Poll.UntilAsync(async () => !await AnswersAsync(), TimeSpan.FromSeconds(60), Every);
    }

    public static async Task StartAsync()
    {
        // Wait until the old daemon is fully gone, or the new one cannot take its socket.
        await Poll.UntilAsync(async () => await RunAsync("pgrep", "-x", "dockerd") != 0, TimeSpan.FromSeconds(60), Every);
        await RunAsync("sh", "-c", "nohup setsid dockerd >>/var/log/goplay-dockerd.log 2>&1 &");
        if (!await Poll.UntilAsync(AnswersAsync, TimeSpan.FromSeconds(60), Every))
        {
            throw new InvalidOperationException("dockerd did not come back. " + DockerCheck.HowToProvide);
        }
    }

    private static async Task<bool> AnswersAsync()
    {
        try
        {
            await DockerCheck.RequireEngineAsync();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false }) ?? throw new InvalidOperationException("could not start " + file);
        await p.WaitForExitAsync();
        return p.ExitCode;
    }
}
