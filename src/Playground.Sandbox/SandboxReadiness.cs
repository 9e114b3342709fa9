using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Playground.Sandbox.Building;
using Playground.Sandbox.Images;
using Playground.Sandbox.Scheduling;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox;

/// <summary>
/// Prepares each toolchain once per process (runner image, its builder image, the standard
/// library in its cache volume) and remembers the result; a failed attempt is retried on the
/// next call, so the service recovers when the engine comes back. The default toolchain is
/// prepared first; the others follow in the background, one at a time, unless a run asks for
/// one sooner.
/// </summary>
internal sealed partial class SandboxReadiness(
    ToolchainCatalog catalog,
    ISandboxImages images,
    GoBuilder builder,
    PreparedToolchains prepared,
    QuietGate quiet,
    ILogger<SandboxReadiness> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Task<SandboxImageSet>> _prepared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _errors = new(StringComparer.Ordinal);

    /// <summary>True when the default toolchain is ready to build and run.</summary>
    public bool IsReady => DefaultTask() is { IsCompletedSuccessfully: true };

    /// <summary>Why the default toolchain's last preparation failed, or null.</summary>
    public string? LastError => _errors.TryGetValue(DefaultKey(), out var e) ? e : null;

    /// <summary>The default toolchain's images, preparing it if needed.</summary>
    public async Task<SandboxImageSet> EnsureAsync(CancellationToken cancellationToken)
    {
        var list = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
        return await EnsureAsync(RequireDefault(list), cancellationToken).ConfigureAwait(false);
    }

    public Task<SandboxImageSet> EnsureAsync(Toolchain toolchain, CancellationToken cancellationToken) =>
        StartAsync(toolchain).WaitAsync(cancellationToken);

    /// <summary>The state a client sees for a toolchain; <c>message</c> says why it is not ready.</summary>
    public (GoVersionState State, string? Message) StateOf(Toolchain toolchain)
    {
        if (!_prepared.TryGetValue(toolchain.Version, out var task))
        {
            return (GoVersionState.Preparing, "waiting its turn to be prepared");
        }

        if (task.IsCompletedSuccessfully)
        {
            return (GoVersionState.Ready, null);
        }

        return task.IsCompleted && _errors.TryGetValue(toolchain.Version, out var error)
            ? (GoVersionState.Failed, error)
            : (GoVersionState.Preparing, "building the sandbox image and the standard library");
    }

    /// <summary>Starts preparing a toolchain unless it is running or done; a failed attempt is started again.</summary>
    public Task<SandboxImageSet> StartAsync(Toolchain toolchain)
    {
        lock (_gate)
        {
            if (!_prepared.TryGetValue(toolchain.Version, out var task) || task.IsFaulted || task.IsCanceled)
            {
                // Preparation is shared by all callers, so no single caller's token may cancel it.
                task = PrepareAsync(toolchain);
                _prepared[toolchain.Version] = task;
            }

            return task;
        }
    }

    /// <summary>
    /// Cancels every preparation in flight and waits until each has cleaned up after itself
    /// (its builder container removed). The host must call this before it disposes the engine
    /// client: a stop during a warm-up once left the warm-up's container behind, its removal
    /// refused by an already disposed resilience pipeline.
    /// </summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_gate)
        {
            running = [.. _prepared.Values];
        }

        // Their failures (cancellation now among them) are logged where they happen.
        await Task.WhenAll(running.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default))).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Starts the default toolchain's preparation again if it failed (the health check calls this).</summary>
    public Task? RestartDefault()
    {
        var list = catalog.GetAsync(CancellationToken.None);
        return list.IsCompletedSuccessfully && list.Result.Default is { } d ? StartAsync(d) : null;
    }

    /// <summary>
    /// Prepares the default toolchain, then every other one, newest first, one at a time; then
    /// warms vet's facts in each ready one (after all are ready: runs need them less than a
    /// version that cannot run at all). Each step after the default's waits for users' jobs
    /// first (<see cref="QuietGate"/>).
    /// </summary>
    public async Task PrepareAllAsync(CancellationToken cancellationToken)
    {
        Settled = false;
        var list = await catalog.GetAsync(cancellationToken).ConfigureAwait(false);
        var ready = new List<SandboxImageSet> { await EnsureAsync(RequireDefault(list), cancellationToken).ConfigureAwait(false) };
        foreach (var toolchain in list.Installed.Skip(1))
        {
            try
            {
                await quiet.WaitAsync(cancellationToken).ConfigureAwait(false);
                ready.Add(await EnsureAsync(toolchain, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Logged by PrepareAsync; this version reports failed and the others go on.
            }
        }

        foreach (var set in ready)
        {
            try
            {
                await quiet.WaitAsync(cancellationToken).ConfigureAwait(false);
                await builder.WarmAsync(set, vet: true, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxSetupException e)
            {
                // The version still runs; a first vet there takes longer.
                LogVetNotWarmed(logger, set.GoVersion, e);
            }
        }

        Settled = true;
        LogSettled(logger, ready.Count, list.Installed.Count);
    }

    /// <summary>
    /// True once <see cref="PrepareAllAsync"/> has finished (every version tried, vet's facts
    /// warmed); false while it runs, and before it starts in a server.
    /// </summary>
    public bool Settled { get; private set; }

    private static Toolchain RequireDefault(ToolchainList list) =>
        list.Default ?? throw new SandboxSetupException(list.Resolve(null).Error!);

    private Task<SandboxImageSet>? DefaultTask() =>
        _prepared.TryGetValue(DefaultKey(), out var task) ? task : null;

    private string DefaultKey()
    {
        var list = catalog.GetAsync(CancellationToken.None);
        return list.IsCompletedSuccessfully && list.Result.Default is { } d ? d.Version : "";
    }

    private async Task<SandboxImageSet> PrepareAsync(Toolchain toolchain)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            cts.CancelAfter(TimeSpan.FromMinutes(15));
            var list = await catalog.GetAsync(cts.Token).ConfigureAwait(false);
            var launcher = RequireDefault(list);
            var set = images.Resolve(toolchain, launcher);
            await images.EnsureRunnerAsync(set, launcher, cts.Token).ConfigureAwait(false);
            await images.EnsureBuilderAsync(set, toolchain, launcher, cts.Token).ConfigureAwait(false);
            await builder.WarmAsync(set, vet: false, cts.Token).ConfigureAwait(false);
            LogReady(logger, toolchain.Version, set.RunnerImage, set.BuilderImage);
            _errors.TryRemove(toolchain.Version, out _);
            prepared.Publish(toolchain, set);
            return set;
        }
        catch (Exception e)
        {
            _errors[toolchain.Version] = e is SandboxSetupException ? e.Message : e.GetType().Name + ": " + e.Message;
            LogNotReady(logger, toolchain.Version, e);
            throw;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Sandbox ready for {GoVersion}: runner {RunnerImage}, builder {BuilderImage}")]
    private static partial void LogReady(ILogger logger, string goVersion, string runnerImage, string builderImage);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Sandbox preparation finished: {Ready} of {Installed} installed Go versions ready")]
    private static partial void LogSettled(ILogger logger, int ready, int installed);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Vet facts not warmed for {GoVersion}")]
    private static partial void LogVetNotWarmed(ILogger logger, string goVersion, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Sandbox preparation failed for {GoVersion}")]
    private static partial void LogNotReady(ILogger logger, string goVersion, Exception exception);
}
