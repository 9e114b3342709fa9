using Microsoft.Extensions.Options;

namespace Playground.Web.Snippets;

/// <summary>
/// How many new snippets, and how many of their bytes, one client address may store in any
/// hour (<c>Snippets:SharesPerClientPerHour</c>, <c>Snippets:ShareBytesPerClientPerHour</c>).
/// Snippets are kept for good, so without it one client stored 100 × 64 KiB in 0.3 s and could
/// go on until the disk was full. Sharing a snippet that already exists costs nothing.
/// </summary>
internal sealed class ShareQuota(IOptions<SnippetsOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private readonly Dictionary<string, Queue<(DateTimeOffset At, long Bytes)>> _clients = [];
    private DateTimeOffset _nextSweep;

    /// <summary>Takes one share of <paramref name="bytes"/> from the client's hour, or says how long until it fits.</summary>
    public bool TryTake(string client, long bytes, out TimeSpan retryAfter)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        lock (_clients)
        {
            SweepLocked(now);
            if (!_clients.TryGetValue(client, out var shares))
            {
                _clients[client] = shares = new Queue<(DateTimeOffset, long)>();
            }

            Expire(shares, now);
            var used = shares.Sum(s => s.Bytes);
            if (shares.Count < o.SharesPerClientPerHour && used + bytes <= o.ShareBytesPerClientPerHour)
            {
                shares.Enqueue((now, bytes));
                retryAfter = TimeSpan.Zero;
                return true;
            }

            // The first moment enough of the hour's shares have expired for this one to fit.
            var freed = 0L;
            var count = shares.Count;
            retryAfter = Window;
            foreach (var (at, size) in shares)
            {
                freed += size;
                count--;
                if (count < o.SharesPerClientPerHour && used - freed + bytes <= o.ShareBytesPerClientPerHour)
                {
                    retryAfter = at + Window - now;
                    break;
                }
            }

            return false;
        }
    }

    private static void Expire(Queue<(DateTimeOffset At, long Bytes)> shares, DateTimeOffset now)
    {
        while (shares.Count > 0 && shares.Peek().At + Window <= now)
        {
            shares.Dequeue();
        }
    }

    /// <summary>Forgets clients with nothing in the last hour, at most once a minute.</summary>
    private void SweepLocked(DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + TimeSpan.FromMinutes(1);
        foreach (var (client, shares) in _clients.ToList())
        {
            Expire(shares, now);
            if (shares.Count == 0)
            {
                _clients.Remove(client);
            }
        }
    }
}

internal sealed class SnippetsOptionsValidator : IValidateOptions<SnippetsOptions>
{
    public ValidateOptionsResult Validate(string? name, SnippetsOptions o)
    {
        var errors = new List<string>();
        if (o.MaxBytes < 1)
        {
            errors.Add("Snippets:MaxBytes must be at least 1.");
        }

        if (o.SharesPerClientPerHour < 1)
        {
            errors.Add("Snippets:SharesPerClientPerHour must be at least 1.");
        }

        if (o.ShareBytesPerClientPerHour < o.MaxBytes)
        {
            errors.Add("Snippets:ShareBytesPerClientPerHour must be at least Snippets:MaxBytes, or the largest snippet could never be shared.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
