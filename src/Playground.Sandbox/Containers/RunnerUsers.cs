using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Containers;

/// <summary>
/// Gives each runner container a host user id of its own from the configured range, taken in
/// turn (so an id is reused as late as possible) and free again once its container is
/// removed. Per-user kernel limits are then per run: with one shared id, a run holding 128
/// inotify instances made every other run's <c>inotify_init1</c> fail.
/// </summary>
/// <remarks>
/// Each process starts at its own place in the range, so several GoPlay processes on one
/// engine seldom meet; two that do share one id's limits for a while, as every run did before.
/// Give them disjoint ranges (<see cref="SandboxOptions.RunnerUserFirst"/>) to rule it out.
/// </remarks>
internal sealed class RunnerUsers(IOptions<SandboxOptions> options)
{
    private readonly Lock _gate = new();
    private readonly HashSet<int> _used = [];
    private int _next = Random.Shared.Next(options.Value.RunnerUserCount);

    public int InUse
    {
        get
        {
            lock (_gate)
            {
                return _used.Count;
            }
        }
    }

    /// <summary>A free id; dispose the result once its container is gone.</summary>
    public RunnerUser Take()
    {
        var o = options.Value;
        lock (_gate)
        {
            for (var i = 0; i < o.RunnerUserCount; i++)
            {
                var uid = o.RunnerUserFirst + (_next % o.RunnerUserCount);
                _next = (_next + 1) % o.RunnerUserCount;
                if (_used.Add(uid))
                {
                    return new RunnerUser(this, uid);
                }
            }
        }

        throw new InvalidOperationException($"All {o.RunnerUserCount} runner user ids are in use (Sandbox:RunnerUserCount).");
    }

    private void Release(int uid)
    {
        lock (_gate)
        {
            _used.Remove(uid);
        }
    }

    /// <summary>One runner container's user id.</summary>
    internal sealed class RunnerUser(RunnerUsers owner, int uid) : IDisposable
    {
        private int _released;

        public int Uid { get; } = uid;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(Uid);
            }
        }
    }
}
