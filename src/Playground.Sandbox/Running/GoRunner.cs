using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Runs;

namespace Playground.Sandbox.Running;

internal sealed record RunResult(RunOutcome Outcome, int? ExitCode, TimeSpan Elapsed, string? Message)
{
    /// <summary>The program's peak resident memory, when the launcher reported it.</summary>
    public long? PeakMemoryBytes { get; init; }
}

/// <summary>
/// Runs a built binary in a single-use runner container: the launcher receives the binary and
/// the exact environment over stdin, installs the exec-deny filter and hands over; output is
/// streamed to the caller as it is produced, and the container is removed on every path.
/// </summary>
internal sealed class GoRunner(SandboxContainers containers, RunnerPool pool, RunnerUsers users, IOptions<SandboxOptions> options, TimeProvider time)
{
    /// <summary>The launcher's exit code when it could not hand over (see Images/launcher/main.go).</summary>
    private const int LauncherFailureExitCode = 125;
    private static readonly byte[] LauncherFailurePrefix = "goplay-launcher: "u8.ToArray();

    /// <summary>How long a kill the user asked for waits for the engine before it is answered.</summary>
    private static readonly TimeSpan KillAnswerWait = TimeSpan.FromMilliseconds(300);

    /// <summary>How long handing the binary to the launcher may take (64 MiB take well under a second).</summary>
    private static readonly TimeSpan HandOffTimeout = TimeSpan.FromSeconds(20);

    /// <summary>128 + SIGKILL: the status of a program the OOM killer (or a kill) ended.</summary>
    private const long SigKillStatus = 137;

    /// <summary>Runs <paramref name="binary"/> with <paramref name="args"/> for <paramref name="run"/>; its output goes to the run's events.</summary>
    public async Task<RunResult> RunAsync(RunContext run, SandboxImageSet images, byte[] binary, IReadOnlyList<string> args)
    {
        var (runId, mode, events, cleanup, cancellationToken) = (run.RunId, run.Request.Mode, run.Events, run.Cleanup, run.Abandoned);
        var input = run.Input with { Kill = run.Killed };
        var o = options.Value;
        var pooled = await pool.TakeAsync(images, cancellationToken).ConfigureAwait(false);
        var container = pooled?.Container ?? await CreateAsync().ConfigureAwait(false);

        async Task<SandboxContainer> CreateAsync()
        {
            var user = users.Take();
            return await containers.CreateAsync(ContainerSpec.Runner(images.RunnerImage, runId, user.Uid), cancellationToken, user).ConfigureAwait(false);
        }

        // Removed by the caller once the result is published (see RunCleanup).
        cleanup.Add(pooled ?? (IAsyncDisposable)container);
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Output is delivered to the client until this is cancelled; after that the pump
            // keeps reading and drops, so a client that stopped reading cannot stall the engine.
            using var deliver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (pooled is null)
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            var nonce = RandomNumberGenerator.GetBytes(16);
            var handOff = HandOff(nonce, binary, args, ProgramEnvironment(o));
            using (var handOffLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // A launcher that stopped reading (it failed) must not hold the run's slot
                // until the engine connection's own timeout.
                handOffLimit.CancelAfter(HandOffTimeout);
                try
                {
                    await container.Stream.WriteAsync(handOff, 0, handOff.Length, handOffLimit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"The runner did not take the program within {HandOffTimeout.TotalSeconds:0} s.");
                }
            }

            var started = Stopwatch.GetTimestamp();

            var pump = new OutputPump(container.Stream, events, o.OutputLimitBytes, Convert.ToHexStringLower(nonce), playback: mode == RunMode.Playback);
            var output = pump.RunAsync(deliver.Token, cancellationToken);
            var toProgram = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var stdinReader = ReadClientStdinAsync(input.Stdin, toProgram.Writer, o.StdinLimitBytes, () => events.TryWrite(StdinLimitNotice(o)), stop.Token);
            var stdinWriter = WriteProgramStdinAsync(container.Stream, toProgram.Reader, stop.Token);
            var exited = container.WaitAsync(cancellationToken);
            var wallTime = mode == RunMode.Playback ? o.PlaybackWallTime : o.RunWallTime;
            var timedOut = Task.Delay(wallTime, time, stop.Token);
            var killed = Task.Delay(Timeout.Infinite, input.Kill);

            try
            {
                var first = await Task.WhenAny(pump.ExitReported, exited, timedOut, pump.LimitReached, killed).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                RunOutcome? forced = first == timedOut ? RunOutcome.Timeout
                    : first == pump.LimitReached ? RunOutcome.OutputLimit
                    : first == killed ? RunOutcome.Killed
                    : null;
                // A kill the user asked for is answered at once: the program is gone when the
                // engine has sent SIGKILL, it has no exit code to wait for, and the container's
                // teardown (a second or two on a busy host) would only delay the answer. What it
                // wrote just before is given a short moment to arrive.
                var userKill = forced == RunOutcome.Killed;
                var drain = userKill ? TimeSpan.FromMilliseconds(Math.Min(250, o.DrainTime.TotalMilliseconds)) : o.DrainTime;
                if (forced is not null)
                {
                    deliver.CancelAfter(drain);
                    var kill = container.KillAsync();
                    if (userKill)
                    {
                        // The engine answers a SIGKILL only once the container has stopped,
                        // which under load took seconds. SIGKILL cannot be caught, output is
                        // no longer delivered, and removal follows: the answer need not wait.
                        await Task.WhenAny(kill, Task.Delay(KillAnswerWait, time, CancellationToken.None)).ConfigureAwait(false);
                        cleanup.Add(new AwaitOnDispose(kill));
                    }
                    else
                    {
                        await kill.ConfigureAwait(false);
                    }
                }

                // The launcher's report comes as soon as the program ends, and the pump has
                // delivered all output by then; the engine's wait only answers once the
                // container is torn down.
                var reported = forced is null && first == pump.ExitReported;
                var code = reported ? pump.ExitReported.Result.Status : userKill ? 0 : await exited.ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started);

                if (!reported)
                {
                    // Output the program wrote before it exited is still in flight; wait for it,
                    // but never let a slow client or a stuck stream hold the run open.
                    deliver.CancelAfter(drain);
                    if (await Task.WhenAny(output, Task.Delay(drain * 2, time, cancellationToken)).ConfigureAwait(false) != output)
                    {
                        container.Stream.Dispose();
                    }

                    await IgnoreFailures(output).ConfigureAwait(false);
                }

                // Read after the drain: when the engine's wait answered first (a busy host), the
                // trailer with the peak is usually still in the stream the pump just finished.
                long? peak = pump.ExitReported.IsCompletedSuccessfully ? pump.ExitReported.Result.PeakMemoryBytes : null;
                cancellationToken.ThrowIfCancellationRequested();

                if (forced is null && code == LauncherFailureExitCode && pump.StderrStartsWith(LauncherFailurePrefix))
                {
                    // Fail closed: the launcher could not install the filter or hand over, so
                    // no user code ran. That is the sandbox's failure, not the program's exit.
                    return new RunResult(RunOutcome.Internal, null, elapsed, "The sandbox could not start the program, so it was not run.\n");
                }

                if (reported && code == SigKillStatus)
                {
                    // Killed by SIGKILL with nobody asking: the kernel's OOM killer, which only the
                    // engine can confirm, and only once the container has stopped.
                    await exited.ConfigureAwait(false);
                }

                var outcome = forced ?? (code == SigKillStatus && await container.WasOomKilledAsync().ConfigureAwait(false) ? RunOutcome.Oom : RunOutcome.Exited);
                return outcome switch
                {
                    RunOutcome.Exited => new RunResult(outcome, (int)code, elapsed, null) { PeakMemoryBytes = peak },
                    RunOutcome.Timeout => new RunResult(outcome, null, elapsed, $"Program exceeded the {wallTime.TotalSeconds:0.#} s time limit and was killed.\n"),
                    RunOutcome.OutputLimit => new RunResult(outcome, null, elapsed, $"Program produced more than {FormatBytes(o.OutputLimitBytes)} of output and was killed.\n"),
                    RunOutcome.Oom => new RunResult(outcome, null, elapsed, $"Program ran out of memory (limit {FormatBytes(o.MemoryBytes)}) and was killed.\n"),
                    RunOutcome.Killed => new RunResult(outcome, null, elapsed, "Program was killed.\n"),
                    RunOutcome.BuildError or RunOutcome.BuildTimeout or RunOutcome.Rejected or RunOutcome.Internal =>
                        throw new UnreachableException($"A running program cannot end {outcome}."),
                };
            }
            finally
            {
                // Not awaited when the launcher reported first; the container's removal ends it.
                _ = exited.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                await stop.CancelAsync().ConfigureAwait(false);
                await IgnoreFailures(stdinReader).ConfigureAwait(false);
                await IgnoreFailures(stdinWriter).ConfigureAwait(false);
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

    /// <summary>Tells the client why its input stops reaching the program (on stderr, marked as the sandbox's).</summary>
    internal static RunEvent StdinLimitNotice(SandboxOptions o) =>
        RunEvent.Stderr($"\n[goplay] stdin limit of {FormatBytes(o.StdinLimitBytes)} reached: the program sees end of input and further input is discarded.\n");

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
    internal static byte[] HandOff(byte[] nonce, byte[] binary, IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        using var ms = new MemoryStream(binary.Length + 1024);
        Span<byte> number = stackalloc byte[8];
        ms.Write("GPL2"u8);
        ms.Write(nonce);
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

    /// <summary>
    /// Reads the client's stdin for as long as the run lasts and never waits on the program:
    /// SignalR stops reading a connection whose client-stream buffer is full, which would
    /// also block the client's Kill. Input past the cap is drained and dropped, and the
    /// program sees EOF at the cap, so at most the cap is ever buffered.
    /// </summary>
    private static async Task ReadClientStdinAsync(IAsyncEnumerable<ReadOnlyMemory<byte>>? stdin, ChannelWriter<byte[]> toProgram, long limit, Action limitReached, CancellationToken cancellationToken)
    {
        try
        {
            if (stdin is null)
            {
                return;
            }

            long total = 0;
            await foreach (var bytes in stdin.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (total >= limit)
                {
                    continue;
                }

                // A copy: the transport may reuse its buffer once the next piece is asked for.
                var count = (int)Math.Min(bytes.Length, limit - total);
                total += count;
                toProgram.TryWrite(bytes[..count].ToArray());
                if (total >= limit)
                {
                    toProgram.TryComplete();
                    limitReached();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The client's stream faulted (SignalR faults it when the client cancels): EOF.
        }
        finally
        {
            toProgram.TryComplete();
        }
    }

    private static async Task WriteProgramStdinAsync(IContainerStream stream, ChannelReader<byte[]> fromClient, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in fromClient.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or HttpRequestException)
        {
            // The program exited and its stdin is gone.
        }
        finally
        {
            try
            {
                stream.CloseWrite();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already closed.
            }
        }
    }

    /// <summary>A kill still in flight when the run was answered: waited for before the container is removed.</summary>
    private sealed class AwaitOnDispose(Task task) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ContainerEngineException or HttpRequestException or IOException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
            {
                // The forced removal that follows kills it all the same.
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
