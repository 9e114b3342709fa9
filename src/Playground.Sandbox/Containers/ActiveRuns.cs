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

    public IDisposable Track(string runId)
    {
        _runs[runId] = 0;
        return new Registration(this, runId);
    }

    private sealed class Registration(ActiveRuns owner, string runId) : IDisposable
    {
        public void Dispose() => owner._runs.TryRemove(runId, out _);
    }
}
