namespace Playground.Sandbox.Containers;

/// <summary>
/// The container operations the pipeline needs, and nothing else: the builders, runners, pools
/// and janitor speak only this, so the engine behind it can be replaced (Docker in production,
/// an in-memory fake for the fast test tier). The engine owns the hardening: a caller asks for a
/// runner or a builder, never for individual isolation flags.
/// </summary>
internal interface IContainerEngine
{
    /// <summary>Creates a hardened container (not started). Throws <see cref="ContainerEngineException"/> when the engine refuses it.</summary>
    Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Attaches to a created container's stdin, stdout and stderr; done before the start so no output is missed.</summary>
    Task<IContainerStream> AttachAsync(string id, CancellationToken cancellationToken);

    Task StartAsync(string id, CancellationToken cancellationToken);

    /// <summary>Waits for the container to stop and gives its exit status. Lasts as long as the program.</summary>
    Task<long> WaitAsync(string id, CancellationToken cancellationToken);

    /// <summary>The container's state; <see cref="ContainerState.Gone"/> when the engine no longer knows it.</summary>
    Task<ContainerState> InspectAsync(string id, CancellationToken cancellationToken);

    /// <summary>SIGKILL now. A container that already stopped, or is gone, is not an error.</summary>
    Task KillAsync(string id, CancellationToken cancellationToken);

    /// <summary>Forced removal with its anonymous volumes. One that is gone, or being removed, is not an error.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every container the sandbox labelled as its own (<see cref="SandboxLabels.Managed"/>), of every instance.</summary>
    Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken);

    /// <summary>Throws when the engine does not answer.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}

internal enum ContainerRole
{
    /// <summary>A single-use runner: the launcher takes one program over stdin and runs it.</summary>
    Runner,

    /// <summary>A builder that answers one request and exits.</summary>
    Builder,

    /// <summary>A pooled builder: it answers one request after another on its open stdin.</summary>
    ServingBuilder,

    /// <summary>A builder that pre-builds the standard library (writes the cache volume; no CPU quota).</summary>
    WarmingBuilder,
}

/// <summary>
/// What to create: the role and its image, the run it belongs to, the host user a runner runs
/// as, and the builder's cache volume. Everything else (limits, filters, mounts) follows from
/// the role and the options, in one place (<see cref="ContainerSpecs"/> for Docker).
/// </summary>
internal sealed record ContainerSpec(ContainerRole Role, string Image, string RunId, int Uid = ContainerSpecs.Nobody, string? CacheVolume = null)
{
    /// <summary>The label value of <see cref="SandboxLabels.Role"/>.</summary>
    public string RoleLabel => Role == ContainerRole.Runner ? "runner" : "builder";

    public static ContainerSpec Runner(string image, string runId, int uid) => new(ContainerRole.Runner, image, runId, uid);

    public static ContainerSpec Builder(string image, string cacheVolume, string runId, bool serve = false) =>
        new(serve ? ContainerRole.ServingBuilder : ContainerRole.Builder, image, runId, CacheVolume: cacheVolume);

    public static ContainerSpec WarmingBuilder(string image, string cacheVolume, string runId) =>
        new(ContainerRole.WarmingBuilder, image, runId, CacheVolume: cacheVolume);
}

/// <summary>A container's state as the engine reports it.</summary>
internal sealed record ContainerState(bool Exists, bool Running, bool OomKilled)
{
    public static readonly ContainerState Gone = new(false, false, false);
}

/// <summary>A container the sandbox labelled, as the janitor sees it: its id, labels and creation time.</summary>
internal sealed record ManagedContainer(string Id, IReadOnlyDictionary<string, string> Labels, DateTimeOffset Created);

/// <summary>One read of a container's output: how many bytes, from which stream; <c>Eof</c> when both ended.</summary>
internal readonly record struct ContainerRead(int Count, bool IsStdout, bool Eof);

/// <summary>
/// An attached container's streams: stdin in, stdout and stderr out, each read telling which
/// stream the bytes came from. Disposing cuts the connection (a pending read ends).
/// </summary>
internal interface IContainerStream : IDisposable
{
    Task<ContainerRead> ReadOutputAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken);

    Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken);

    /// <summary>Closes the container's stdin (the program sees end of input).</summary>
    void CloseWrite();
}

/// <summary>The engine refused or failed a request; <see cref="StatusCode"/> is its HTTP status when it answered.</summary>
internal sealed class ContainerEngineException(string message, int? statusCode, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}
