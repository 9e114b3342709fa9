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
    private string? _lastError;

    public bool IsReady => _ready is { IsCompletedSuccessfully: true };

    /// <summary>Why the last preparation failed, or null.</summary>
    public string? LastError => _lastError;

    public Task<SandboxImageSet> EnsureAsync(CancellationToken cancellationToken) => Start().WaitAsync(cancellationToken);

    /// <summary>Starts preparation unless it is running or done; a failed attempt is started again.</summary>
    public Task<SandboxImageSet> Start()
    {
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                // Preparation is shared by all callers, so no single caller's token may cancel it.
                _ready = PrepareAsync();
            }

            return _ready;
        }
    }

    private async Task<SandboxImageSet> PrepareAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            var set = await images.EnsureAsync(cts.Token).ConfigureAwait(false);
            await builder.WarmAsync(set, cts.Token).ConfigureAwait(false);
            LogReady(logger, set.RunnerImage, set.BuilderImage);
            _lastError = null;
            return set;
        }
        catch (Exception e)
        {
            _lastError = e is SandboxSetupException ? e.Message : e.GetType().Name + ": " + e.Message;
            LogNotReady(logger, e);
            throw;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Sandbox ready: runner {RunnerImage}, builder {BuilderImage}")]
    private static partial void LogReady(ILogger logger, string runnerImage, string builderImage);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Sandbox preparation failed")]
    private static partial void LogNotReady(ILogger logger, Exception exception);
}
