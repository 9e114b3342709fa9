namespace Playground.Sandbox.Runs;

/// <summary>
/// What a run must release once its final event is out (its containers): removing a
/// container takes longer than telling the user how the run ended, so it happens after, but
/// always before the run's event stream completes.
/// </summary>
internal sealed class RunCleanup : IAsyncDisposable
{
    private readonly Stack<IAsyncDisposable> _items = new();

    public void Add(IAsyncDisposable item)
    {
        lock (_items)
        {
            _items.Push(item);
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (true)
        {
            IAsyncDisposable? item;
            lock (_items)
            {
                if (!_items.TryPop(out item))
                {
                    return;
                }
            }

            await item.DisposeAsync().ConfigureAwait(false);
        }
    }
}
