using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Scheduling;

/// <summary>The queue was full (overall or for this client); the request should be retried later.</summary>
public sealed class SchedulerBusyException(string message, int retryAfterSeconds) : Exception(message)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>
/// Run slots with a bounded, fair queue. Each client has its own FIFO; free slots go to
/// clients in turn (round-robin), so one client's burst cannot starve another. Waiters are
/// told their live position, which is their place in that round-robin order.
/// </summary>
internal sealed class RunScheduler(IOptions<SchedulerOptions> options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedList<Waiter>> _queues = new(StringComparer.Ordinal);
    private readonly List<string> _turns = [];
    private int _nextTurn;
    private int _busy;
    private int _waiting;
    private double _averageHoldSeconds = 2;

    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting;
            }
        }
    }

    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return _busy;
            }
        }
    }

    /// <summary>
    /// Waits for a slot. <paramref name="position"/> is called with the live queue position
    /// (1 = next) whenever it changes while waiting; not at all when a slot is free at once.
    /// </summary>
    /// <exception cref="SchedulerBusyException">The queue is full.</exception>
    public async Task<IAsyncDisposable> AcquireAsync(string clientId, Action<int> position, CancellationToken cancellationToken)
    {
        var o = options.Value;
        Waiter waiter;
        lock (_gate)
        {
            if (_busy < o.Slots && _waiting == 0)
            {
                _busy++;
                return new Lease(this, time.GetTimestamp());
            }

            if (_waiting >= o.QueueLimit)
            {
                throw new SchedulerBusyException($"The playground is busy: {_waiting} runs are waiting.", RetryAfterLocked(o));
            }

            if (!_queues.TryGetValue(clientId, out var queue))
            {
                queue = new LinkedList<Waiter>();
                _queues[clientId] = queue;
                _turns.Add(clientId);
            }

            if (queue.Count >= o.QueueLimitPerClient)
            {
                throw new SchedulerBusyException($"You already have {queue.Count} {(queue.Count == 1 ? "run" : "runs")} waiting.", RetryAfterLocked(o));
            }

            waiter = new Waiter(clientId, position);
            waiter.Node = queue.AddLast(waiter);
            _waiting++;
            PublishPositionsLocked();
        }

        using var registration = cancellationToken.Register(() => Cancel(waiter));
        await waiter.Granted.Task.ConfigureAwait(false);
        return new Lease(this, time.GetTimestamp());
    }

    private void Cancel(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is not { } queue)
            {
                return; // already granted
            }

            queue.Remove(waiter.Node);
            _waiting--;
            RemoveClientIfEmptyLocked(waiter.ClientId, queue);
            PublishPositionsLocked();
        }

        waiter.Granted.TrySetCanceled();
    }

    private void Release(long acquiredAt)
    {
        Waiter? next;
        lock (_gate)
        {
            var held = time.GetElapsedTime(acquiredAt).TotalSeconds;
            _averageHoldSeconds = (_averageHoldSeconds * 0.8) + (held * 0.2);
            next = DequeueNextLocked();
            if (next is null)
            {
                _busy--;
            }
            else
            {
                PublishPositionsLocked();
            }
        }

        // The slot passes straight to the next waiter (_busy unchanged).
        next?.Granted.TrySetResult();
    }

    private Waiter? DequeueNextLocked()
    {
        if (_turns.Count == 0)
        {
            return null;
        }

        _nextTurn %= _turns.Count;
        var clientId = _turns[_nextTurn];
        var queue = _queues[clientId];
        var waiter = queue.First!.Value;
        queue.RemoveFirst();
        waiter.Node = null;
        _waiting--;
        if (!RemoveClientIfEmptyLocked(clientId, queue))
        {
            _nextTurn++;
        }

        return waiter;
    }

    /// <summary>Removes a client with nothing waiting; returns true when it did.</summary>
    private bool RemoveClientIfEmptyLocked(string clientId, LinkedList<Waiter> queue)
    {
        if (queue.Count > 0)
        {
            return false;
        }

        var index = _turns.IndexOf(clientId);
        _queues.Remove(clientId);
        _turns.RemoveAt(index);
        // Keep the turn pointing at the client that was due next.
        if (index < _nextTurn)
        {
            _nextTurn--;
        }

        return true;
    }

    /// <summary>Walks the round-robin order from the next turn and tells each waiter whose place changed.</summary>
    private void PublishPositionsLocked()
    {
        if (_turns.Count == 0)
        {
            return;
        }

        var cursors = _turns.Select(c => _queues[c].First).ToArray();
        var start = _nextTurn % _turns.Count;
        var place = 0;
        for (var remaining = _waiting; remaining > 0;)
        {
            for (var i = 0; i < cursors.Length && remaining > 0; i++)
            {
                var k = (start + i) % cursors.Length;
                if (cursors[k] is not { } node)
                {
                    continue;
                }

                place++;
                remaining--;
                node.Value.Publish(place);
                cursors[k] = node.Next;
            }
        }
    }

    private int RetryAfterLocked(SchedulerOptions o) =>
        (int)Math.Clamp(Math.Ceiling(_averageHoldSeconds * (_waiting + 1) / Math.Max(1, o.Slots)), 1, 300);

    private sealed class Waiter(string clientId, Action<int> position)
    {
        private int _lastPosition;

        public string ClientId { get; } = clientId;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Publish(int place)
        {
            if (place != _lastPosition)
            {
                _lastPosition = place;
                position(place);
            }
        }
    }

    private sealed class Lease(RunScheduler owner, long acquiredAt) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(acquiredAt);
            }

            return ValueTask.CompletedTask;
        }
    }
}
