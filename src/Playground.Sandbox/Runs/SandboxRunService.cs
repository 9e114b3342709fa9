using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Building;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;
using Playground.Sandbox.Running;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Telemetry;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Runs;

/// <summary>The run pipeline: validate, build in a builder container, run in a runner container.</summary>
internal sealed partial class SandboxRunService(
    ToolchainCatalog catalog,
    SandboxReadiness readiness,
    GoBuilder builder,
    GoRunner runner,
    RunScheduler scheduler,
    BinaryCache cache,
    SandboxMetrics metrics,
    TimeProvider time,
    ActiveRuns active,
    IOptions<SandboxOptions> options,
    ILogger<SandboxRunService> logger) : IRunService, IRunShutdown, IDisposable
{
    /// <summary>How long a run waits for its toolchain's check before it tells the client the version is being prepared.</summary>
    private static readonly TimeSpan PreparingQuietTime = TimeSpan.FromSeconds(5);
    /// <summary>Playback builds use the runtime's fake clock and framed output.</summary>
    private static readonly string[] PlaybackTags = ["faketime"];
    internal const string ShutdownMessage = "The server is shutting down: the program was stopped. Run it again in a moment.\n";

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _pipelines = new();
    private readonly ConcurrentDictionary<TaskCompletionSource, byte> _streams = new();

    public async IAsyncEnumerable<RunEvent> RunAsync(RunRequest request, RunInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            yield return RunEvent.Error(RunOutcome.Internal, ShutdownMessage);
            yield break;
        }

        // Completed when this stream has handed its last event to the caller (or was abandoned).
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _streams[delivered] = 0;

        // The pipeline writes into a bounded channel; a slow reader slows the program down
        // (its pipe fills) instead of growing memory.
        var channel = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipeline = Task.Run(() => ExecuteAsync(request, input, channel.Writer, abandon.Token), CancellationToken.None);
        _pipelines[pipeline] = 0;
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            // Reached early when the caller stops listening: kill the run and wait for its clean-up.
            await abandon.CancelAsync().ConfigureAwait(false);
            await pipeline.ConfigureAwait(false);
            _pipelines.TryRemove(pipeline, out _);
            _streams.TryRemove(delivered, out _);
            delivered.TrySetResult();
        }
    }

    /// <inheritdoc />
    public async Task<int> StopAllAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        var stopped = _streams.Count;
        await Task.WhenAll(_pipelines.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_streams.Keys.Select(s => s.Task)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return stopped;
    }

    public void Dispose() => _stopping.Dispose();

    private async Task ExecuteAsync(RunRequest request, RunInput input, ChannelWriter<RunEvent> events, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid().ToString("N")[..16];
        using var tracked = active.Track(runId);
        // Every log line of this run, from any component, carries its id; the span carries it too.
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId, ["Transport"] = input.Transport });
        using var activity = SandboxTracing.Source.StartActivity(SandboxTracing.Run);
        activity?.SetTag("playground.run.id", runId);
        activity?.SetTag("playground.transport", input.Transport);
        activity?.SetTag("playground.run.mode", ModeName(request));
        var cleanup = new RunCleanup();
        await using var removeAfterFinal = cleanup.ConfigureAwait(false);
        try
        {
            var final = await ExecuteCoreAsync(runId, request, input, events, cleanup, cancellationToken).ConfigureAwait(false);
            var outcome = final.Outcome ?? RunOutcome.Internal;
            activity?.SetTag("playground.run.outcome", SandboxMetrics.OutcomeName(outcome));
            if (outcome == RunOutcome.Internal)
            {
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "sandbox failure");
            }

            await events.WriteAsync(final, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogAbandoned(logger, runId);
        }
        catch (Exception e) when (e is ContainerEngineException or SandboxSetupException or HttpRequestException or IOException or TimeoutException
            or Polly.ExecutionRejectedException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogInfrastructureFailure(logger, runId, e);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
            await TryWriteFinal(events, RunEvent.Error(RunOutcome.Internal, "The sandbox failed to run the program: " + SafeReason(e) + "\n"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) // the pipeline's boundary: whatever failed, the run still ends with one event
        {
            LogUnexpectedFailure(logger, runId, e);
            await TryWriteFinal(events, RunEvent.Error(RunOutcome.Internal, "The sandbox failed to run the program: an unexpected error.\n"), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            events.TryComplete();
        }
    }

    // Takes the request as nullable: a malformed hub call can deliver none, which the pipeline reports.
    private static string? ModeName(RunRequest? request) => request?.Mode.ToString().ToLowerInvariant();

    private async Task<RunEvent> ExecuteCoreAsync(string runId, RunRequest request, RunInput input, ChannelWriter<RunEvent> events, RunCleanup cleanup, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (request is null)
        {
            return RunEvent.Error(RunOutcome.Rejected, "The request is empty.\n");
        }

        var source = SourceFiles.Resolve(request, o);
        if (source.Error is not null)
        {
            // Without a newline: upstream's /compile answers splitFiles' error as it is.
            return RunEvent.Error(RunOutcome.Rejected, source.Error);
        }

        if (RequestOptions.Check(request) is { } unsupported)
        {
            return RunEvent.Error(RunOutcome.Rejected, unsupported + "\n");
        }

        // The user's Kill and the server's shutdown both stop the run; only the message differs.
        using var run = new RunContext(runId, request, input, events, cleanup, _stopping.Token, cancellationToken);

        SandboxImageSet images;
        try
        {
            var installed = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
            var choice = installed.Resolve(request.GoVersion);
            if (choice.Toolchain is not { } toolchain)
            {
                return RunEvent.Error(RunOutcome.Rejected, choice.Error + "\n");
            }

            System.Diagnostics.Activity.Current?.SetTag("playground.go.version", toolchain.Version);
            if (RequestOptions.CheckModules(source.Files!, toolchain, installed) is { } badModule)
            {
                return RunEvent.Error(RunOutcome.BuildError, badModule + "\n");
            }

            images = await PreparedAsync(toolchain, events, run.Stop).ConfigureAwait(false);
        }
        catch (ToolchainPreparingException e)
        {
            return RunEvent.Error(RunOutcome.Rejected, e.Message + "\n", e.RetryAfterSeconds);
        }
        catch (OperationCanceledException) when (run.StoppedOnPurpose)
        {
            return run.KilledByUser
                ? RunEvent.Error(RunOutcome.Killed, "Killed while the Go version was being prepared.\n")
                : RunEvent.Error(RunOutcome.Internal, ShutdownMessage);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Fail closed: without images and limits nothing runs, and the user is told why.
            LogInfrastructureFailure(logger, runId, e);
            return RunEvent.Error(RunOutcome.Internal, "The sandbox is not ready: " + SafeReason(e) + "\n");
        }

        IAsyncDisposable slot;
        var queuedAt = time.GetTimestamp();
        using var queued = SandboxTracing.Source.StartActivity(SandboxTracing.Queue);
        try
        {
            slot = await scheduler.AcquireAsync(input.ClientId, position => events.TryWrite(RunEvent.Queued(position)), run.Stop).ConfigureAwait(false);
        }
        catch (SchedulerBusyException busy)
        {
            return RunEvent.Error(RunOutcome.Rejected, $"{busy.Message} Try again in {busy.RetryAfterSeconds} s.\n", busy.RetryAfterSeconds);
        }
        catch (OperationCanceledException) when (run.StoppedOnPurpose)
        {
            return run.KilledByUser
                ? RunEvent.Error(RunOutcome.Killed, "Killed while waiting in the queue.\n")
                : RunEvent.Error(RunOutcome.Internal, ShutdownMessage);
        }

        metrics.Waited(time.GetElapsedTime(queuedAt));
        queued?.Dispose();
        await using (slot.ConfigureAwait(false))
        {
            return await BuildAndRunAsync(run, source.Files!, images).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A toolchain's images, waiting while it is prepared. A process checks each toolchain once
    /// (its images exist, its cache is warm: a second or two); only a wait longer than that is
    /// real preparation, and the client is told so with a <c>preparing</c> event. A preparation
    /// that takes longer than <see cref="SandboxOptions.PreparingWaitTime"/> is refused with a retry time.
    /// </summary>
    private async Task<SandboxImageSet> PreparedAsync(Toolchain toolchain, ChannelWriter<RunEvent> events, CancellationToken cancellationToken)
    {
        var preparing = readiness.StartAsync(toolchain);
        var limit = options.Value.PreparingWaitTime;
        var quiet = limit < PreparingQuietTime ? limit : PreparingQuietTime;
        try
        {
            return await preparing.WaitAsync(quiet, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still preparing: say so, and wait for the rest of the limit.
        }

        await events.WriteAsync(RunEvent.Preparing($"{toolchain.Name} ({toolchain.Version}) is being prepared on this server; the run starts when it is ready.\n"), cancellationToken).ConfigureAwait(false);
        try
        {
            return await preparing.WaitAsync(limit - quiet, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Most of a preparation is pre-building the standard library: about two minutes.
            throw new ToolchainPreparingException(toolchain, 60);
        }
    }

    private async Task<RunEvent> BuildAndRunAsync(RunContext run, IReadOnlyDictionary<string, string> files, SandboxImageSet images)
    {
        var (request, input, events, cancellationToken) = (run.Request, run.Input, run.Events, run.Abandoned);
        var o = options.Value;
        var cacheKey = BinaryCache.Key(files, images.BuilderImage, [], request.Mode.ToString());
        byte[] cachedBinary = [];
        // A vetted run always reaches the builder: the cache keeps binaries, not vet findings.
        var isTest = false;
        var cached = !request.WithVet && cache.TryGet(cacheKey, out cachedBinary, out isTest);
        metrics.CacheLookup(cached);
        if (!cached)
        {
            await events.WriteAsync(RunEvent.Building(), cancellationToken).ConfigureAwait(false);
        }

        BuildResult build;
        using var building = SandboxTracing.Source.StartActivity(SandboxTracing.Build);
        building?.SetTag("playground.build.cached", cached);
        try
        {
            build = cached
                ? new BuildResult(BuildStatus.Ok, string.Empty, cachedBinary, TimeSpan.Zero)
                : await builder.BuildAsync(images, run.RunId, files, request.Mode == RunMode.Playback ? PlaybackTags : [], run.Stop, vet: request.WithVet).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.StoppedOnPurpose)
        {
            return run.KilledByUser
                ? RunEvent.Error(RunOutcome.Killed, "Killed during the build.\n")
                : RunEvent.Error(RunOutcome.Internal, ShutdownMessage);
        }

        var buildMs = (long)build.Elapsed.TotalMilliseconds;
        building?.SetTag("playground.build.status", build.Status.ToString().ToLowerInvariant());
        building?.Dispose();
        switch (build.Status)
        {
            case BuildStatus.BuildError:
                return RunEvent.Error(RunOutcome.BuildError, build.Output) with { BuildMs = buildMs };
            case BuildStatus.Timeout:
                return RunEvent.Error(RunOutcome.BuildTimeout, GoBuilder.TimeoutMessage(o.BuildTimeout)) with { BuildMs = buildMs };
            case BuildStatus.OutOfMemory:
                return RunEvent.Error(RunOutcome.Oom, GoBuilder.OutOfMemoryMessage("go build", o.BuilderMemoryBytes)) with { BuildMs = buildMs };
        }

        if (!cached)
        {
            isTest = build.IsTest;
            cache.Add(cacheKey, build.Binary!, isTest);
            metrics.Built(build.Elapsed, build.Via);
        }

        await events.WriteAsync(RunEvent.Built(cached, buildMs), cancellationToken).ConfigureAwait(false);
        if (build.VetStatus is { } unfinished)
        {
            // The program built and runs; that vet could not finish is said where its findings go.
            await events.WriteAsync(new RunEvent { Kind = RunEventKind.Vet, Data = GoBuilder.VetUnfinishedMessage(unfinished, o), VetUnfinished = true }, cancellationToken).ConfigureAwait(false);
        }
        else if (build.VetOutput.Length > 0)
        {
            await events.WriteAsync(new RunEvent { Kind = RunEventKind.Vet, Data = build.VetOutput }, cancellationToken).ConfigureAwait(false);
        }

        // A program with tests and no main runs its tests, verbosely, as go.dev does.
        IReadOnlyList<string> args = isTest ? ["-test.v", .. request.Args ?? []] : request.Args ?? [];
        var failures = isTest ? new TestFailureCounter(events) : null;
        run.Events = failures ?? events;
        RunResult result;
        using (var executing = SandboxTracing.Source.StartActivity(SandboxTracing.Execute))
        {
            result = await runner.RunAsync(run, images, build.Binary!, args).ConfigureAwait(false);
            executing?.SetTag("playground.run.outcome", SandboxMetrics.OutcomeName(result.Outcome));
        }

        LogRunFinished(logger, run.RunId, result.Outcome, result.ExitCode, buildMs, (long)result.Elapsed.TotalMilliseconds);
        metrics.Ran(result.Elapsed, result.Outcome, input.Transport);
        if (result.Outcome == RunOutcome.Killed && !run.KilledByUser)
        {
            return RunEvent.Error(RunOutcome.Internal, ShutdownMessage) with { BuildMs = buildMs };
        }

        if (result.Outcome == RunOutcome.Internal)
        {
            return RunEvent.Error(RunOutcome.Internal, result.Message ?? "The sandbox failed to run the program.\n") with { BuildMs = buildMs };
        }

        return new RunEvent
        {
            Kind = RunEventKind.Exit,
            Outcome = result.Outcome,
            ExitCode = result.ExitCode,
            Data = result.Message,
            BuildMs = buildMs,
            RunMs = (long)result.Elapsed.TotalMilliseconds,
            PeakMemoryBytes = result.PeakMemoryBytes,
            BinaryBytes = build.Binary!.Length,
            Cached = cached,
            IsTest = isTest,
            TestsFailed = failures?.Failed(result.Outcome, result.ExitCode),
        };
    }

    private static async Task TryWriteFinal(ChannelWriter<RunEvent> events, RunEvent final, CancellationToken cancellationToken)
    {
        try
        {
            await events.WriteAsync(final, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Nobody is listening any more.
        }
    }

    /// <summary>Infrastructure detail a user may see: the kind of failure, not internals.</summary>
    private static string SafeReason(Exception e) => e switch
    {
        SandboxSetupException s => s.Message,
        Polly.CircuitBreaker.BrokenCircuitException => "the container engine has been failing, so runs are paused for a few seconds.",
        Polly.Timeout.TimeoutRejectedException => "the container engine did not answer in time.",
        ContainerEngineException { StatusCode: { } status } => $"the container engine refused a request ({status}).",
        ContainerEngineException => "the container engine refused a request.",
        HttpRequestException or IOException => "the container engine is not reachable.",
        TimeoutException or OperationCanceledException => "the container engine did not answer in time.",
        _ => "an unexpected error.",
    };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Run {RunId} finished: {Outcome} (exit {ExitCode}), build {BuildMs} ms, run {RunMs} ms")]
    private static partial void LogRunFinished(ILogger logger, string runId, RunOutcome outcome, int? exitCode, long buildMs, long runMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Run {RunId} abandoned by its client; container killed and removed")]
    private static partial void LogAbandoned(ILogger logger, string runId);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Run {RunId} failed in the sandbox")]
    private static partial void LogInfrastructureFailure(ILogger logger, string runId, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Run {RunId} failed with an unexpected error")]
    private static partial void LogUnexpectedFailure(ILogger logger, string runId, Exception exception);
}
