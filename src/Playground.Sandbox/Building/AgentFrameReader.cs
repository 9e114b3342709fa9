using System.Buffers.Binary;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;

namespace Playground.Sandbox.Building;

/// <summary>
/// Reads exactly one response frame of the build agent from its stdout (stderr is ignored):
/// <c>uint32 len | JSON | [uint64 size | binary]</c>, the binary present when the JSON's
/// status is "ok". Reading exactly one frame is what lets a pooled builder's stream carry
/// the next request.
/// </summary>
internal sealed class AgentFrameReader(IContainerStream stream)
{
    private readonly byte[] _buffer = new byte[81920];
    private int _start;
    private int _end;

    /// <summary>The whole frame, or null when its binary is over <paramref name="maxBinaryBytes"/> (not read further).</summary>
    public async Task<byte[]?> ReadAsync(long maxBinaryBytes, CancellationToken cancellationToken)
    {
        var head = await ReadExactlyAsync(4, cancellationToken).ConfigureAwait(false);
        var headLength = BinaryPrimitives.ReadUInt32BigEndian(head);
        if (headLength > 1 << 20)
        {
            throw new SandboxSetupException("The build agent sent a malformed response.");
        }

        var json = await ReadExactlyAsync((int)headLength, cancellationToken).ConfigureAwait(false);
        using var frame = new MemoryStream();
        frame.Write(head);
        frame.Write(json);
        var status = System.Text.Json.JsonSerializer.Deserialize(json, AgentJson.Default.AgentResponse)?.Status;
        if (status != "ok")
        {
            return frame.ToArray();
        }

        var sizeBytes = await ReadExactlyAsync(8, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadUInt64BigEndian(sizeBytes);
        if (size > (ulong)maxBinaryBytes)
        {
            return null;
        }

        frame.Write(sizeBytes);
        frame.Write(await ReadExactlyAsync((int)size, cancellationToken).ConfigureAwait(false));
        return frame.ToArray();
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_start == _end)
            {
                var read = await stream.ReadOutputAsync(_buffer, 0, _buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read.Eof)
                {
                    throw new SandboxSetupException("The build agent ended without a complete response.");
                }

                if (!read.IsStdout)
                {
                    continue;
                }

                _start = 0;
                _end = read.Count;
            }

            var take = Math.Min(count - filled, _end - _start);
            Array.Copy(_buffer, _start, result, filled, take);
            _start += take;
            filled += take;
        }

        return result;
    }
}
