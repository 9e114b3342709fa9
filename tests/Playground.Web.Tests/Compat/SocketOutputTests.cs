using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Playground.Testing;
using Playground.Web.Compat;

namespace Playground.Web.Tests.Compat;

/// <summary>
/// The limiter and buffer of <c>/socket</c> on a clock the test moves: the engine already
/// merges output written within a few milliseconds, so only here can the 10 ms window itself be
/// seen opening and closing. The frame sequences through the real server are in
/// <see cref="PlaygroundSocketTests"/>.
/// </summary>
public sealed class SocketOutputTests
{
    private readonly Channel<SocketMessage> _in = Channel.CreateUnbounded<SocketMessage>();
    private readonly FakeTimeProvider _time = new();
    private readonly List<SocketMessage> _sent = [];
    private int _kills;

    private Task Forward() => SocketOutput.ForwardAsync(_in.Reader, m => { lock (_sent) { _sent.Add(m); } return Task.CompletedTask; }, () => { Interlocked.Increment(ref _kills); return Task.CompletedTask; }, _time);

    private List<(string?, string?)> Sent()
    {
        lock (_sent)
        {
            return _sent.Select(m => (m.Kind, m.Body)).ToList();
        }
    }

    private void Write(string kind, string body) => Assert.True(_in.Writer.TryWrite(new SocketMessage(null, kind, body)));

    /// <summary>Lets the forwarder take everything written so far (it runs on the thread pool).</summary>
    private async Task SettleAsync() => await Poll.UntilAsync(() => _in.Reader.Count == 0, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task OneKind_GatheredUntilTenMillisecondsAfterTheFirst()
    {
        var forward = Forward();
        Write("stdout", "a");
        Write("stdout", "b");
        await SettleAsync();
        _time.Advance(TimeSpan.FromMilliseconds(9));
        Write("stdout", "c");
        await SettleAsync();
        await Task.Delay(50);
        Assert.Empty(Sent());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await Poll.UntilAsync(() => Sent().Count == 1, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5)));
        Assert.Equal([("stdout", "abc")], Sent());

        // The next message opens a new window.
        Write("stdout", "d");
        Write("end", "");
        await forward;
        Assert.Equal([("stdout", "abc"), ("stdout", "d"), ("end", "")], Sent());
    }

    [Fact]
    public async Task AnotherKind_SendsWhatIsGatheredAtOnce()
    {
        var forward = Forward();
        Write("stdout", "a");
        Write("stderr", "b");
        Assert.True(await Poll.UntilAsync(() => Sent().Count == 1, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5)));
        Assert.Equal([("stdout", "a")], Sent());

        Write("end", "exit status 1");
        await forward;
        Assert.Equal([("stdout", "a"), ("stderr", "b"), ("end", "exit status 1")], Sent());
    }

    [Fact]
    public async Task SteadyOutput_OneMessagePerWindow()
    {
        var forward = Forward();
        for (var i = 0; i < 3; i++)
        {
            Write("stdout", "x");
            await SettleAsync();
            _time.Advance(TimeSpan.FromMilliseconds(4));
        }

        // 12 ms: the window opened at 0 has closed.
        Assert.True(await Poll.UntilAsync(() => Sent().Count == 1, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5)));
        Write("stdout", "x");
        await SettleAsync();
        _time.Advance(TimeSpan.FromMilliseconds(4));
        Write("stdout", "x");
        Write("end", "");
        await forward;
        Assert.Equal([("stdout", "xxx"), ("stdout", "xx"), ("end", "")], Sent());
    }

    [Fact]
    public async Task ThousandthMessage_KillsOnceAndOnlyTheEndFollows()
    {
        var forward = Forward();
        for (var i = 0; i < 1500; i++)
        {
            Write(i % 2 == 0 ? "stdout" : "stderr", i + "\n");
        }

        Write("end", "signal: killed");
        await forward;

        Assert.Equal(1, _kills);
        var sent = Sent();
        Assert.Equal(("end", "signal: killed"), sent[^1]);
        // Every kind change sends: exactly the first thousand messages, in order.
        Assert.Equal(Enumerable.Range(0, SocketOutput.MessageLimit).Select(i => (i % 2 == 0 ? "stdout" : "stderr", i + "\n")), sent[..^1].Select(m => (m.Item1!, m.Item2!)));
    }
}
