using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Playground.Sandbox;
using Playground.Sandbox.Containers;

namespace Playground.Pipeline.Tests.Fakes;

/// <summary>
/// An in-memory container engine behind the sandbox's seam. Its builders speak the build
/// agent's protocol (one JSON request in, one framed answer out; see <see cref="FakeAgent"/>)
/// and its runners the launcher's (the hand-off in, the program's output and the exit trailer
/// out; see <see cref="FakeLauncher"/>), with programs written in <see cref="FakeProgram"/>'s
/// directives instead of compiled Go. It records what the pipeline did to it, so tests can
/// assert on concurrency and on what is left.
/// </summary>
internal sealed class FakeEngine(IOptions<SandboxOptions> options, TimeProvider time) : IContainerEngine
{
    private readonly ConcurrentDictionary<string, FakeContainer> _containers = new(StringComparer.Ordinal);
    private int _next;
    private int _runningBuilders;
    private int _runningRunners;
    private int _maxBuilders;
    private int _maxRunners;

    /// <summary>When set, every call fails as an engine that went away would.</summary>
    public bool Down { get; set; }

    /// <summary>The most builder containers that ran at the same time.</summary>
    public int MaxConcurrentBuilders => Volatile.Read(ref _maxBuilders);

    /// <summary>The most runner containers that ran at the same time.</summary>
    public int MaxConcurrentRunners => Volatile.Read(ref _maxRunners);

    /// <summary>Containers not removed yet, with their labels.</summary>
    public IReadOnlyList<FakeContainer> Live => [.. _containers.Values.Where(c => !c.Removed)];

    /// <summary>Every container created since the last <see cref="ResetCounters"/>.</summary>
    public ConcurrentQueue<FakeContainer> Created { get; } = new();

    public void ResetCounters()
    {
        Volatile.Write(ref _maxBuilders, 0);
        Volatile.Write(ref _maxRunners, 0);
        Created.Clear();
    }

    /// <summary>Adds a container as a crashed host would have left it (not started), for the janitor.</summary>
    public FakeContainer Leave(IReadOnlyDictionary<string, string> labels)
    {
        var container = new FakeContainer("left" + Interlocked.Increment(ref _next).ToString("D6", System.Globalization.CultureInfo.InvariantCulture), null, labels, time.GetUtcNow());
        _containers[container.Id] = container;
        return container;
    }

    public Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        var labels = SandboxLabels.For(spec.RoleLabel, spec.RunId, options.Value.InstanceName, time);
        var container = new FakeContainer("fake" + Interlocked.Increment(ref _next).ToString("D6", System.Globalization.CultureInfo.InvariantCulture), spec, labels, time.GetUtcNow());
        _containers[container.Id] = container;
        Created.Enqueue(container);
        return Task.FromResult(container.Id);
    }

    public Task<IContainerStream> AttachAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Task.FromResult<IContainerStream>(Get(id).Stream);
    }

    public Task StartAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        var container = Get(id);
        var spec = container.Spec ?? throw new ContainerEngineException("cannot start a left-over container", 409);
        var builder = spec.Role != ContainerRole.Runner;
        Track(builder, +1);
        container.Start(async kill =>
        {
            try
            {
                return builder
                    ? await FakeAgent.ServeAsync(container, serve: spec.Role == ContainerRole.ServingBuilder, kill).ConfigureAwait(false)
                    : await FakeLauncher.RunAsync(container, kill).ConfigureAwait(false);
            }
            finally
            {
                Track(builder, -1);
            }
        });
        return Task.CompletedTask;
    }

    public Task<long> WaitAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Get(id).Exited.WaitAsync(cancellationToken);
    }

    public Task<ContainerState> InspectAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Task.FromResult(_containers.TryGetValue(id, out var c) && !c.Removed
            ? new ContainerState(true, c.Running, c.OomKilled)
            : ContainerState.Gone);
    }

    public Task KillAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        if (_containers.TryGetValue(id, out var c))
        {
            c.Kill();
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        if (_containers.TryGetValue(id, out var c))
        {
            c.Kill();
            c.Removed = true;
            c.Stream.Dispose();
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Task.FromResult<IReadOnlyList<ManagedContainer>>(
            [.. _containers.Values.Where(c => !c.Removed).Select(c => new ManagedContainer(c.Id, c.Labels, c.Created))]);
    }

    public Task PingAsync(CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Task.CompletedTask;
    }

    private FakeContainer Get(string id) =>
        _containers.TryGetValue(id, out var c) && !c.Removed ? c : throw new ContainerEngineException("No such container: " + id, 404);

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new HttpRequestException("Connection refused (fake engine is down)");
        }
    }

    private void Track(bool builder, int delta)
    {
        ref var running = ref builder ? ref _runningBuilders : ref _runningRunners;
        ref var max = ref builder ? ref _maxBuilders : ref _maxRunners;
        var now = Interlocked.Add(ref running, delta);
        int seen;
        while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
        {
        }
    }
}

/// <summary>One fake container: its spec and labels, its streams, and the process that runs in it.</summary>
internal sealed class FakeContainer(string id, ContainerSpec? spec, IReadOnlyDictionary<string, string> labels, DateTimeOffset created) : IDisposable
{
    private readonly CancellationTokenSource _kill = new();
    private readonly TaskCompletionSource<long> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public ContainerSpec? Spec { get; } = spec;

    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public DateTimeOffset Created { get; } = created;

    public FakeStream Stream { get; } = new();

    public Task<long> Exited => _exited.Task;

    public bool Running { get; private set; }

    public bool OomKilled { get; set; }

    public bool Removed { get; set; }

    /// <summary>How many requests a builder answered.</summary>
    public int Answered { get; set; }

    public void Start(Func<CancellationToken, Task<long>> process)
    {
        Running = true;
        _ = Task.Run(async () =>
        {
            long code;
            try
            {
                code = await process(_kill.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_kill.IsCancellationRequested)
            {
                code = 137;
            }
            catch (Exception e) when (e is ChannelClosedException or ObjectDisposedException or OperationCanceledException)
            {
                code = 1;
            }

            Running = false;
            Stream.EndOutput();
            _exited.TrySetResult(code);
        });
    }

    public void Dispose() => _kill.Dispose();

    /// <summary>SIGKILL: the process stops where it is; a container never started just counts as stopped.</summary>
    public void Kill()
    {
        _kill.Cancel();
        if (!Running)
        {
            Stream.EndOutput();
            _exited.TrySetResult(137);
        }
    }
}

/// <summary>
/// The attach stream: the host's writes become the process's stdin, the process's writes come
/// out as reads tagged stdout or stderr, and end of output is end of the stream.
/// </summary>
internal sealed class FakeStream : IContainerStream
{
    private readonly Channel<(bool IsStdout, byte[] Data)> _output = Channel.CreateUnbounded<(bool, byte[])>();
    private readonly Channel<byte[]> _input = Channel.CreateUnbounded<byte[]>();
    private (bool IsStdout, byte[] Data, int Offset)? _pending;
    private byte[] _inputPending = [];
    private int _inputOffset;

    public async Task<ContainerRead> ReadOutputAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (_pending is null)
        {
            if (!await _output.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_output.Reader.TryRead(out var next))
            {
                return new ContainerRead(0, true, Eof: true);
            }

            _pending = (next.IsStdout, next.Data, 0);
        }

        var (isStdout, data, at) = _pending.Value;
        var take = Math.Min(count, data.Length - at);
        Array.Copy(data, at, buffer, offset, take);
        _pending = at + take < data.Length ? (isStdout, data, at + take) : null;
        return new ContainerRead(take, isStdout, Eof: false);
    }

    public Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_input.Writer.TryWrite(buffer.AsSpan(offset, count).ToArray()))
        {
            throw new IOException("The container's stdin is closed.");
        }

        return Task.CompletedTask;
    }

    public void CloseWrite() => _input.Writer.TryComplete();

    public void Dispose()
    {
        _input.Writer.TryComplete();
        EndOutput();
    }

    // The process side.
    public void Write(bool isStdout, ReadOnlySpan<byte> data) => _output.Writer.TryWrite((isStdout, data.ToArray()));

    public void EndOutput() => _output.Writer.TryComplete();

    /// <summary>Up to <paramref name="max"/> bytes of stdin; empty at end of input.</summary>
    public async Task<byte[]> ReadInputAsync(int max, CancellationToken cancellationToken)
    {
        if (_inputOffset == _inputPending.Length)
        {
            if (!await _input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_input.Reader.TryRead(out var next))
            {
                return [];
            }

            _inputPending = next;
            _inputOffset = 0;
        }

        var take = Math.Min(max, _inputPending.Length - _inputOffset);
        var result = _inputPending.AsSpan(_inputOffset, take).ToArray();
        _inputOffset += take;
        return result;
    }

    /// <summary>Exactly <paramref name="count"/> bytes of stdin, or null when it ends first.</summary>
    public async Task<byte[]?> ReadInputExactlyAsync(long count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var piece = await ReadInputAsync((int)Math.Min(count - filled, 1 << 20), cancellationToken).ConfigureAwait(false);
            if (piece.Length == 0)
            {
                return null;
            }

            piece.CopyTo(result, filled);
            filled += piece.Length;
        }

        return result;
    }
}
