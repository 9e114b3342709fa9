using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Playground.Pipeline.Tests.Fakes;

/// <summary>
/// The launcher of a fake runner: takes the hand-off from stdin as the real launcher does
/// (Images/launcher/main.go: "GPL2", nonce, args, environment, binary), runs the binary's
/// <see cref="FakeProgram"/> script with the rest of stdin as the program's, then writes the
/// exit trailer on both streams and exits with the program's status.
/// </summary>
internal static class FakeLauncher
{
    public static async Task<long> RunAsync(FakeContainer container, CancellationToken kill)
    {
        var stream = container.Stream;
        var magic = await stream.ReadInputExactlyAsync(4, kill).ConfigureAwait(false);
        var nonce = await stream.ReadInputExactlyAsync(16, kill).ConfigureAwait(false);
        if (magic is null || nonce is null || Encoding.ASCII.GetString(magic) != "GPL2")
        {
            stream.Write(false, "goplay-launcher: bad hand-off\n"u8);
            return 125;
        }

        var args = await ReadListAsync(stream, kill).ConfigureAwait(false);
        await ReadListAsync(stream, kill).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadUInt64BigEndian(Need(await stream.ReadInputExactlyAsync(8, kill).ConfigureAwait(false)));
        var binary = await stream.ReadInputExactlyAsync((long)size, kill).ConfigureAwait(false) ?? [];

        var code = 0;
        long? fakeNow = null;
        void Write(bool isStdout, byte[] data)
        {
            if (fakeNow is { } now)
            {
                // The faketime runtime's frame: "\0\0PB" | u64 fake time (ns) | u32 length | data.
                var header = new byte[16];
                "\0\0PB"u8.CopyTo(header);
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(4), (ulong)now);
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)data.Length);
                stream.Write(isStdout, [.. header, .. data]);
            }
            else
            {
                stream.Write(isStdout, data);
            }
        }

        foreach (var (verb, argument) in FakeProgram.Script(binary))
        {
            switch (verb)
            {
                case "faketime":
                    // 2009-11-10 23:00:00 UTC, where the playground's clock starts.
                    fakeNow = 1_257_894_000_000_000_000;
                    break;
                case "out":
                    Write(true, FakeProgram.UnescapeBytes(argument));
                    break;
                case "err":
                    Write(false, FakeProgram.UnescapeBytes(argument));
                    break;
                case "sleep" when fakeNow is not null:
                    fakeNow += int.Parse(argument, CultureInfo.InvariantCulture) * 1_000_000L;
                    break;
                case "sleep":
                    await Task.Delay(int.Parse(argument, CultureInfo.InvariantCulture), kill).ConfigureAwait(false);
                    break;
                case "echo":
                    for (var piece = await stream.ReadInputAsync(4096, kill).ConfigureAwait(false); piece.Length > 0; piece = await stream.ReadInputAsync(4096, kill).ConfigureAwait(false))
                    {
                        Write(true, piece);
                    }

                    break;
                case "args":
                    Write(true, Encoding.UTF8.GetBytes(string.Concat(args.Select(a => a + "\n"))));
                    break;
                case "hang":
                    await Task.Delay(Timeout.Infinite, kill).ConfigureAwait(false);
                    break;
                case "flood":
                    var chunk = new byte[16 * 1024];
                    Array.Fill(chunk, (byte)'x');
                    while (true)
                    {
                        kill.ThrowIfCancellationRequested();
                        Write(true, chunk);
                        await Task.Delay(1, kill).ConfigureAwait(false);
                    }

                case "oom":
                    container.OomKilled = true;
                    code = 137;
                    goto done;
                case "exit":
                    code = int.Parse(argument, CultureInfo.InvariantCulture);
                    goto done;
                default:
                    throw new InvalidDataException("unknown fake step " + verb);
            }
        }

    done:
        var trailer = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"\0goplay-exit:{Convert.ToHexStringLower(nonce)}:{code:D3}:{4096:D10}\n"));
        stream.Write(true, trailer);
        stream.Write(false, trailer);
        return code;
    }

    private static async Task<List<string>> ReadListAsync(FakeStream stream, CancellationToken kill)
    {
        var count = BinaryPrimitives.ReadUInt32BigEndian(Need(await stream.ReadInputExactlyAsync(4, kill).ConfigureAwait(false)));
        var list = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(Need(await stream.ReadInputExactlyAsync(4, kill).ConfigureAwait(false)));
            list.Add(Encoding.UTF8.GetString(await stream.ReadInputExactlyAsync(length, kill).ConfigureAwait(false) ?? []));
        }

        return list;
    }

    private static byte[] Need(byte[]? bytes) => bytes ?? throw new InvalidDataException("The hand-off ended early.");
}
