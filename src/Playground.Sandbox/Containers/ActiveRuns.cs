using System.Collections.Concurrent;

namespace Playground.Sandbox.Containers;

/// <summary>
/// The run ids this process is working on. A run id is registered before any of its
/// containers is created, so the janitor never mistakes a container being set up for a
/// leftover.
/// </summary>
internal sealed class ActiveRuns
{
    private readonly ConcurrentDictionary<string, byte> _runs = new(StringComparer.Ordinal);

    public bool Contains(string runId) => _runs.ContainsKey(runId);

    /// <summary>
    /// A new run id for work that is not a user's run (<c>pool-</c>, <c>builders-</c>,
    /// <c>fmt-</c>, <c>vet-</c>, <c>warm-</c> show what it is), registered until disposed.
    /// </summary>
    public Registration TrackNew(string prefix) => Track(prefix + Guid.NewGuid().ToString("N")[..12]);

    public Registration Track(string runId)
    {
        _runs[runId] = 0;
        return new Registration(this, runId);
    }

    public sealed class Registration(ActiveRuns owner, string runId) : IDisposable
    {
        public string RunId { get; } = runId;

        public void Dispose() => owner._runs.TryRemove(RunId, out _);
    }
}
