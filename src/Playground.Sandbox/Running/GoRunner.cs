using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Docker.DotNet;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Running;

internal sealed record RunResult(RunOutcome Outcome, int? ExitCode, TimeSpan Elapsed, string? Message);

/// <summary>
/// Runs a built binary in a single-use runner container: the launcher receives the binary and
/// the exact environment over stdin, installs the exec-deny filter and hands over; output is
/// streamed to the caller as it is produced, and the container is removed on every path.
/// </summary>
internal sealed class GoRunner(DockerEngine engine, IOptions<SandboxOptions> options, TimeProvider time)
{
    public async Task<RunResult> RunAsync(
        SandboxImageSet images,
        string runId,
        byte[] binary,
        IReadOnlyList<string> args,
        RunInput input,
        ChannelWriter<RunEvent> events,
        CancellationToken cancellationToken)
    {
        var o = options.Value;
        var docker = await engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var container = await SandboxContainer.CreateAsync(docker, ContainerSpecs.Runner(images.RunnerImage, runId, o, time), cancellationToken).ConfigureAwait(false);
        await using (container.ConfigureAwait(false))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            var handOff = HandOff(binary, args, ProgramEnvironment(o));
            await container.Stream.WriteAsync(handOff, 0, handOff.Length, cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();

            var limitReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = PumpOutputAsync(container.Stream, events, o.OutputLimitBytes, limitReached, cancellationToken);
            var stdin = PumpStdinAsync(container.Stream, input.Stdin, o.StdinLimitBytes, stop.Token);
            var exited = container.WaitAsync(cancellationToken);
            var timedOut = Task.Delay(o.RunWallTime, time, stop.Token);
            var killed = Task.Delay(Timeout.Infinite, input.Kill);

            try
            {
                var first = await Task.WhenAny(exited, timedOut, limitReached.Task, killed).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                RunOutcome? forced = first == timedOut ? RunOutcome.Timeout
                    : first == limitReached.Task ? RunOutcome.OutputLimit
                    : first == killed ? RunOutcome.Killed
                    : null;
                if (forced is not null)
                {
                    await container.KillAsync().ConfigureAwait(false);
                }

                var code = await exited.ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started);

                // Output the program wrote before it exited is still in flight; wait for it,
                // but never let a stuck stream hold the run open.
                if (await Task.WhenAny(output, Task.Delay(o.DrainTime, time, cancellationToken)).ConfigureAwait(false) != output)
                {
                    container.Stream.Dispose();
                }

                await IgnoreFailures(output).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                var outcome = forced ?? (await container.WasOomKilledAsync().ConfigureAwait(false) ? RunOutcome.Oom : RunOutcome.Exited);
                return outcome switch
                {
                    RunOutcome.Exited => new RunResult(outcome, (int)code, elapsed, null),
                    RunOutcome.Timeout => new RunResult(outcome, null, elapsed, $"Program exceeded the {o.RunWallTime.TotalSeconds:0.#} s time limit and was killed.\n"),
                    RunOutcome.OutputLimit => new RunResult(outcome, null, elapsed, $"Program produced more than {FormatBytes(o.OutputLimitBytes)} of output and was killed.\n"),
                    RunOutcome.Oom => new RunResult(outcome, null, elapsed, $"Program ran out of memory (limit {FormatBytes(o.MemoryBytes)}) and was killed.\n"),
                    _ => new RunResult(outcome, null, elapsed, "Program was killed.\n"),
                };
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await IgnoreFailures(stdin).ConfigureAwait(false);
                if (!output.IsCompleted)
                {
                    // Abandoned or failed mid-run: cut the stream so the pump ends before the
                    // container is removed.
                    container.Stream.Dispose();
                    await IgnoreFailures(output).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The exact environment of a program; nothing from the host or the engine leaks in.</summary>
    internal static IReadOnlyList<string> ProgramEnvironment(SandboxOptions o) =>
    [
        "HOME=/tmp",
        "TMPDIR=/tmp",
        "PATH=/",
        "TZ=UTC",
        "GOMAXPROCS=" + Math.Max(1, (int)Math.Ceiling(o.Cpus)).ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>The launcher's wire format: see Images/launcher/main.go.</summary>
    internal static byte[] HandOff(byte[] binary, IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        using var ms = new MemoryStream(binary.Length + 1024);
        Span<byte> number = stackalloc byte[8];
        ms.Write("GPL1"u8);
        foreach (var list in new[] { args, env })
        {
            BinaryPrimitives.WriteUInt32BigEndian(number, (uint)list.Count);
            ms.Write(number[..4]);
            foreach (var item in list)
            {
                var bytes = Encoding.UTF8.GetBytes(item);
                BinaryPrimitives.WriteUInt32BigEndian(number, (uint)bytes.Length);
                ms.Write(number[..4]);
                ms.Write(bytes);
            }
        }

        BinaryPrimitives.WriteUInt64BigEndian(number, (ulong)binary.Length);
        ms.Write(number);
        ms.Write(binary);
        return ms.ToArray();
    }

    private static async Task PumpOutputAsync(MultiplexedStream stream, ChannelWriter<RunEvent> events, long limit, TaskCompletionSource limitReached, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length) + 4];
        var stdout = Encoding.UTF8.GetDecoder();
        var stderr = Encoding.UTF8.GetDecoder();
        long total = 0;
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                await Emit(stdout, true, Memory<byte>.Empty, true).ConfigureAwait(false);
                await Emit(stderr, false, Memory<byte>.Empty, true).ConfigureAwait(false);
                return;
            }

            if (limitReached.Task.IsCompleted)
            {
                // Past the cap, output is read and dropped: the engine must not block on a
                // full attach stream while the container is being killed.
                continue;
            }

            var isStdout = read.Target == MultiplexedStream.TargetStream.StandardOut;
            var count = (int)Math.Min(read.Count, limit - total);
            total += count;
            await Emit(isStdout ? stdout : stderr, isStdout, buffer.AsMemory(0, count), count < read.Count).ConfigureAwait(false);
            if (count < read.Count)
            {
                limitReached.TrySetResult();
            }
        }

        async Task Emit(Decoder decoder, bool isStdout, Memory<byte> bytes, bool flush)
        {
            var n = decoder.GetChars(bytes.Span, chars, flush);
            if (n > 0)
            {
                var text = new string(chars, 0, n);
                await events.WriteAsync(isStdout ? RunEvent.Stdout(text) : RunEvent.Stderr(text), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task PumpStdinAsync(MultiplexedStream stream, IAsyncEnumerable<string>? stdin, long limit, CancellationToken cancellationToken)
    {
        try
        {
            if (stdin is null)
            {
                return;
            }

            long total = 0;
            await foreach (var text in stdin.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                var count = (int)Math.Min(bytes.Length, limit - total);
                if (count > 0)
                {
                    await stream.WriteAsync(bytes, 0, count, cancellationToken).ConfigureAwait(false);
                    total += count;
                }

                if (count < bytes.Length)
                {
                    // Past the cap the program sees EOF; more input is dropped.
                    break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The client's stream faulted (SignalR faults it when the client cancels) or the
            // program's stdin is gone: either way the program gets EOF.
        }
        finally
        {
            try
            {
                stream.CloseWrite();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The program already exited and its stdin is gone.
            }
        }
    }

    private static async Task IgnoreFailures(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or ChannelClosedException)
        {
            // The stream was cut on purpose (drain deadline, kill, or the client left).
        }
    }

    private static string FormatBytes(long bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0
        ? (bytes >> 20).ToString(CultureInfo.InvariantCulture) + " MiB"
        : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
}
