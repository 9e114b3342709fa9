using System.Threading.Channels;

namespace Playground.Web.Terminals;

/// <summary>
/// A WebSocket run's stdin between the socket and the sandbox. It counts bytes before it
/// queues them and drops what comes past the stdin limit: while a run waits for a slot
/// nothing reads the queue, and the sandbox's own cap only applies once the program runs.
/// </summary>
internal sealed class StdinQueue(long limit)
{
    private readonly Channel<ReadOnlyMemory<byte>> _queue = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _queued;

    /// <summary>The limit is reached: whatever comes now is dropped, so there is no need to copy it.</summary>
    public bool IsFull => _queued >= limit;

    /// <summary>Queues <paramref name="bytes"/> (owned by the queue from now on) unless the limit is already reached.</summary>
    public void Write(ReadOnlyMemory<byte> bytes)
    {
        if (IsFull)
        {
            return;
        }

        _queued += bytes.Length;
        _queue.Writer.TryWrite(bytes);
    }

    /// <summary>EOF for the program.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync(CancellationToken cancellationToken) => _queue.Reader.ReadAllAsync(cancellationToken);
}
