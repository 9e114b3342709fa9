using System.Text;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace Playground.Web.Compat;

/// <summary>The <c>/socket</c> wire message; of <c>Options</c> only <c>Race</c> is read (unknown fields are ignored).</summary>
internal sealed record SocketMessage(string? Id, string? Kind, string? Body)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SocketMessageOptions? Options { get; init; }
}

internal sealed record SocketMessageOptions(bool Race);

/// <summary>
/// What x/tools' socket server does between a process and the connection: its limiter (the
/// process is killed at its 1000th output message, which is dropped with all output after it;
/// the end still passes) and then its buffer (output of one kind gathered for 10 ms from the
/// first message of a batch and sent as one; a different kind or the end sends what is
/// gathered first).
/// </summary>
internal static class SocketOutput
{
    /// <summary>x/tools' msgLimit: output messages per process before it is killed.</summary>
    public const int MessageLimit = 1000;

    /// <summary>x/tools' msgDelay.</summary>
    public static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>Reads the process's messages until its <c>end</c> (or the channel's completion) and sends them on.</summary>
    public static async Task ForwardAsync(ChannelReader<SocketMessage> messages, Func<SocketMessage, Task> send, Func<Task> kill, TimeProvider time)
    {
        var pending = new StringBuilder();
        string? kind = null;
        var count = 0;
        Task<bool>? waiting = null;
        Task? window = null;
        using var stop = new CancellationTokenSource();
        try
        {
            while (true)
            {
                // Checked first as well: output that never pauses must not hold a batch open.
                if (window is { IsCompleted: true })
                {
                    await FlushAsync().ConfigureAwait(false);
                    window = null;
                }

                if (!messages.TryRead(out var message))
                {
                    waiting ??= messages.WaitToReadAsync(stop.Token).AsTask();
                    if (window is not null && await Task.WhenAny(waiting, window).ConfigureAwait(false) == window)
                    {
                        await FlushAsync().ConfigureAwait(false);
                        window = null;
                        continue;
                    }

                    var more = await waiting.ConfigureAwait(false);
                    waiting = null;
                    if (!more)
                    {
                        await FlushAsync().ConfigureAwait(false);
                        return;
                    }

                    continue;
                }

                if (message.Kind == "end")
                {
                    await FlushAsync().ConfigureAwait(false);
                    await send(message).ConfigureAwait(false);
                    return;
                }

                // The limiter.
                if (count > MessageLimit)
                {
                    continue;
                }

                if (count++ == MessageLimit)
                {
                    await kill().ConfigureAwait(false);
                    continue;
                }

                // The buffer.
                if (kind != message.Kind)
                {
                    await FlushAsync().ConfigureAwait(false);
                    kind = message.Kind;
                    window ??= Task.Delay(CoalesceDelay, time, stop.Token);
                }

                pending.Append(message.Body);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (waiting is not null)
            {
                // Observed, so its cancellation is not an unobserved exception.
                await waiting.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        async Task FlushAsync()
        {
            if (pending.Length > 0)
            {
                await send(new SocketMessage(null, kind, pending.ToString())).ConfigureAwait(false);
                pending.Clear();
            }

            kind = null;
        }
    }
}
