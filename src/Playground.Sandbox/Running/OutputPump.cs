using System.Text;
using System.Threading.Channels;
using Docker.DotNet;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Running;

/// <summary>
/// Streams a container's stdout and stderr to the run's events as they are produced, each
/// decoded as UTF-8 on its own (a character split across reads is kept whole), up to a byte
/// cap. It always reads to the end of the stream: past the cap, or once delivery is cut off,
/// output is dropped rather than left unread, because the engine blocks a container's exit
/// and a kill on an attach stream nobody reads.
/// </summary>
internal sealed class OutputPump(MultiplexedStream stream, ChannelWriter<RunEvent> events, long limit)
{
    private readonly TaskCompletionSource _limitReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _stderrHead = new byte[32];
    private int _stderrHeadLength;

    /// <summary>Completes when the output cap is reached.</summary>
    public Task LimitReached => _limitReached.Task;

    /// <summary>Whether the first bytes the program wrote to stderr start with <paramref name="prefix"/>.</summary>
    public bool StderrStartsWith(ReadOnlySpan<byte> prefix) =>
        _stderrHeadLength >= prefix.Length && _stderrHead.AsSpan(0, prefix.Length).SequenceEqual(prefix);

    public async Task RunAsync(CancellationToken deliver, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length) + 4];
        var stdout = Encoding.UTF8.GetDecoder();
        var stderr = Encoding.UTF8.GetDecoder();
        var delivering = true;
        long total = 0;

        async Task Emit(Decoder decoder, bool isStdout, ReadOnlyMemory<byte> bytes, bool flush)
        {
            var n = decoder.GetChars(bytes.Span, chars, flush);
            if (n == 0 || !delivering)
            {
                return;
            }

            var text = new string(chars, 0, n);
            try
            {
                await events.WriteAsync(isStdout ? RunEvent.Stdout(text) : RunEvent.Stderr(text), deliver).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                delivering = false;
            }
        }

        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                await Emit(stdout, true, ReadOnlyMemory<byte>.Empty, true).ConfigureAwait(false);
                await Emit(stderr, false, ReadOnlyMemory<byte>.Empty, true).ConfigureAwait(false);
                return;
            }

            if (LimitReached.IsCompleted || !delivering)
            {
                continue;
            }

            var isStdout = read.Target == MultiplexedStream.TargetStream.StandardOut;
            if (!isStdout && _stderrHeadLength < _stderrHead.Length)
            {
                var take = Math.Min(read.Count, _stderrHead.Length - _stderrHeadLength);
                buffer.AsSpan(0, take).CopyTo(_stderrHead.AsSpan(_stderrHeadLength));
                _stderrHeadLength += take;
            }

            var count = (int)Math.Min(read.Count, limit - total);
            total += count;
            await Emit(isStdout ? stdout : stderr, isStdout, buffer.AsMemory(0, count), count < read.Count).ConfigureAwait(false);
            if (count < read.Count)
            {
                _limitReached.TrySetResult();
            }
        }
    }
}
