using System.Diagnostics;

namespace Playground.Testing;

/// <summary>
/// Waiting for something another process does (a server getting ready, the engine removing a
/// container, a metric settling): one loop for every test, so each says only what it waits
/// for and how long it may take.
/// </summary>
public static class Poll
{
    /// <summary>
    /// Asks <paramref name="condition"/> every <paramref name="every"/> until it holds or
    /// <paramref name="limit"/> has passed; whether it held. The condition decides what an
    /// exception means (not ready yet, or a failure to let through).
    /// </summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan limit, TimeSpan every)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (clock.Elapsed >= limit)
            {
                return false;
            }

            await Task.Delay(every);
        }
    }

    /// <summary><see cref="UntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan)"/> for a condition that needs no I/O.</summary>
    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan limit, TimeSpan every) =>
        UntilAsync(() => Task.FromResult(condition()), limit, every);
}
