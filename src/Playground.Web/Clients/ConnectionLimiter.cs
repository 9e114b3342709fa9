using System.Globalization;
using Microsoft.Extensions.Options;
using Playground.Web.Hosting;

namespace Playground.Web.Clients;

/// <summary>Caps on open connections (SignalR, WebSockets), bound from the <c>Connections</c> section.</summary>
public sealed class ConnectionOptions
{
    public const string SectionName = "Connections";

    /// <summary>
    /// Open connections one client address may hold. Generous, so a classroom or an office
    /// behind one NAT address still gets a connection per person.
    /// </summary>
    public int MaxPerClient { get; set; } = 200;

    /// <summary>Open connections of the whole process (each idle one costs tens of KiB).</summary>
    public int MaxTotal { get; set; } = 4000;
}

internal sealed class ConnectionOptionsValidator : IValidateOptions<ConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectionOptions o)
    {
        var errors = new List<string>();
        if (o.MaxTotal < 1)
        {
            errors.Add("Connections:MaxTotal must be at least 1.");
        }

        if (o.MaxPerClient < 1 || o.MaxPerClient > Math.Max(1, o.MaxTotal))
        {
            errors.Add("Connections:MaxPerClient must be between 1 and Connections:MaxTotal.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Counts open connections per client address and in total, and refuses one over either cap
/// before it is accepted: a client over its own cap gets 429, everyone gets 503 when the
/// process is full. Each open connection is also counted in <c>playground.connections</c>.
/// </summary>
internal sealed class ConnectionLimiter(IOptions<ConnectionOptions> options, WebMetrics metrics)
{
    /// <summary>When to try again: connections end as people close tabs and terminals.</summary>
    private const int RetryAfterSeconds = 10;

    private readonly Dictionary<string, int> _open = [];
    private int _total;

    /// <summary>A lease to dispose when the connection closes, or null and the answer to send instead.</summary>
    public IDisposable? TryOpen(string client, string transport, out IResult? refusal)
    {
        lock (_open)
        {
            refusal = RefusalLocked(client);
            if (refusal is not null)
            {
                return null;
            }

            _open[client] = _open.GetValueOrDefault(client) + 1;
            _total++;
        }

        var counted = metrics.Connected(transport);
        return new Lease(this, client, counted);
    }

    /// <summary>What <see cref="TryOpen"/> would answer now, without opening anything (SignalR's negotiate).</summary>
    public IResult? Check(string client)
    {
        lock (_open)
        {
            return RefusalLocked(client);
        }
    }

    private Refusal? RefusalLocked(string client)
    {
        var o = options.Value;
        if (_open.GetValueOrDefault(client) >= o.MaxPerClient)
        {
            return new Refusal(StatusCodes.Status429TooManyRequests, $"Too many open connections from your address (the limit is {o.MaxPerClient}). Close some, then try again.\n");
        }

        return _total >= o.MaxTotal
            ? new Refusal(StatusCodes.Status503ServiceUnavailable, $"The server holds as many connections as it may ({o.MaxTotal}). Try again shortly.\n")
            : null;
    }

    private void Close(string client)
    {
        lock (_open)
        {
            _total--;
            if (--_open[client] == 0)
            {
                _open.Remove(client);
            }
        }
    }

    private sealed class Lease(ConnectionLimiter limiter, string client, IDisposable counted) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                counted.Dispose();
                limiter.Close(client);
            }
        }
    }

    /// <summary>Plain text with Retry-After, as the run endpoints' other refusals.</summary>
    private sealed class Refusal(int status, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            http.Response.ContentType = "text/plain; charset=utf-8";
            return http.Response.WriteAsync(message, http.RequestAborted);
        }
    }
}
