using Microsoft.Extensions.Logging;
using Playground.Sandbox.Building;
using Playground.Sandbox.Images;

namespace Playground.Sandbox;

/// <summary>
/// Prepares the sandbox once per process (images present, standard library in the cache
/// volume) and remembers the result; a failed attempt is retried on the next call, so the
/// service recovers when the engine comes back.
/// </summary>
internal sealed partial class SandboxReadiness(SandboxImages images, GoBuilder builder, ILogger<SandboxReadiness> logger)
{
    private readonly Lock _gate = new();
    private Task<SandboxImageSet>? _ready;

    public bool IsReady => _ready is { IsCompletedSuccessfully: true };

    public Task<SandboxImageSet> EnsureAsync(CancellationToken cancellationToken)
    {
        Task<SandboxImageSet> task;
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                // Preparation is shared by all callers, so no single caller's token may cancel it.
                _ready = PrepareAsync();
            }

            task = _ready;
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<SandboxImageSet> PrepareAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            var set = await images.EnsureAsync(cts.Token).ConfigureAwait(false);
            await builder.WarmAsync(set, cts.Token).ConfigureAwait(false);
            LogReady(logger, set.RunnerImage, set.BuilderImage);
            return set;
        }
        catch (Exception e)
        {
            LogNotReady(logger, e);
            throw;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Sandbox ready: runner {RunnerImage}, builder {BuilderImage}")]
    private static partial void LogReady(ILogger logger, string runnerImage, string builderImage);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Sandbox preparation failed")]
    private static partial void LogNotReady(ILogger logger, Exception exception);
}
