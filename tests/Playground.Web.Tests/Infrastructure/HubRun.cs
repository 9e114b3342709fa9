using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Playground.Web.Tests.Infrastructure;

/// <summary>One run over the hub with no stdin, collected to its last event.</summary>
internal static class HubRun
{
    public static async Task<List<RunEvent>> CollectAsync(HubConnection connection, RunRequest request, TimeSpan limit)
    {
        var stdin = Channel.CreateUnbounded<string>();
        stdin.Writer.Complete();
        using var timeout = new CancellationTokenSource(limit);
        var events = new List<RunEvent>();
        await foreach (var e in connection.StreamAsync<RunEvent>("Run", request, stdin.Reader, timeout.Token))
        {
            events.Add(e);
        }

        return events;
    }
}
