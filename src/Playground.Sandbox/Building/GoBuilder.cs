using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Images;

namespace Playground.Sandbox.Building;

internal enum BuildStatus
{
    Ok,
    BuildError,
    Timeout,

    /// <summary>The kernel killed the compiler (or the tool) for the builder's memory limit.</summary>
    OutOfMemory,
}

/// <summary>A build's result; <c>Via</c> is the agent's build path, "compiler" (the fast path) or "go".</summary>
internal sealed record BuildResult(BuildStatus Status, string Output, byte[]? Binary, TimeSpan Elapsed, string? Via = null)
{
    /// <summary>A test binary (the program had tests and no main): run it with <c>-test.v</c>.</summary>
    public bool IsTest { get; init; }

    /// <summary>What go vet found, when vet was asked for; empty when nothing.</summary>
    public string VetOutput { get; init; } = "";

    /// <summary>
    /// Set when vet was asked for and did not finish (the agent's "timeout", "oom" or
    /// "internal"): its findings are unknown, which must never read as "none".
    /// </summary>
    public string? VetStatus { get; init; }

    /// <summary>The formatted files of a <see cref="GoBuilder.FormatAsync"/> request.</summary>
    public IReadOnlyDictionary<string, string>? Files { get; init; }
}

/// <summary>
/// Builds user code in a builder container: files go in over stdin as one JSON request, the
/// agent answers on stdout with a framed status, compiler output and the binary. The builder
/// never runs the code it builds.
/// </summary>
internal sealed partial class GoBuilder(SandboxContainers containers, BuilderPool pool, ActiveRuns active, IOptions<SandboxOptions> options, TimeProvider time, ILogger<GoBuilder> logger)
{
    // The agent's own timeout covers `go build`; the host's deadline adds room for the
    // container to start and the response to arrive, and is the one that always holds.
    private static readonly TimeSpan HostGrace = TimeSpan.FromSeconds(10);

    /// <summary>Builds a program; <paramref name="tags"/> are its build tags (faketime for playback); <paramref name="vet"/> also runs go vet.</summary>
    public Task<BuildResult> BuildAsync(SandboxImageSet images, string runId, IReadOnlyDictionary<string, string> files, IReadOnlyList<string> tags, CancellationToken cancellationToken, bool vet = false) =>
        ExecuteAsync(images, runId, new AgentRequest(files, tags, (int)options.Value.BuildTimeout.TotalMilliseconds, options.Value.MaxBinaryBytes, Warm: false) { Vet = vet, CacheBytes = options.Value.BuildCacheBytes }, options.Value.BuildTimeout, cancellationToken);

    /// <summary>
    /// Formats files in the builder (gofmt, or goimports with <paramref name="imports"/>; go.mod
    /// files with go mod edit -fmt). A syntax error is a <see cref="BuildStatus.BuildError"/>.
    /// </summary>
    public Task<BuildResult> FormatAsync(SandboxImageSet images, IReadOnlyDictionary<string, string> files, bool imports, CancellationToken cancellationToken) =>
        ExecuteTrackedAsync("fmt-", images, new AgentRequest(files, [], (int)options.Value.BuildTimeout.TotalMilliseconds, 0, Warm: false) { Fmt = new AgentFormat(imports) }, options.Value.BuildTimeout, cancellationToken);

    /// <summary>Builds the program in playback mode and vets it, for a request that is not a run (<c>POST /vet</c>).</summary>
    public Task<BuildResult> VetAsync(SandboxImageSet images, IReadOnlyDictionary<string, string> files, CancellationToken cancellationToken) =>
        ExecuteTrackedAsync("vet-", images, new AgentRequest(files, ["faketime"], (int)options.Value.BuildTimeout.TotalMilliseconds, options.Value.MaxBinaryBytes, Warm: false) { Vet = true, CacheBytes = options.Value.BuildCacheBytes }, options.Value.BuildTimeout, cancellationToken);

    /// <summary>
    /// Compiles the standard library into the cache volume (live and playback), so no request
    /// pays for it; with <paramref name="vet"/>, vet's facts about the packages programs use
    /// most instead. Each is skipped when the volume says it was done within a day.
    /// </summary>
    public async Task WarmAsync(SandboxImageSet images, bool vet, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMinutes(10);
        var result = await ExecuteTrackedAsync("warm-", images, new AgentRequest(null, [], (int)timeout.TotalMilliseconds, 0, Warm: true) { Vet = vet }, timeout, cancellationToken).ConfigureAwait(false);
        if (result.Status != BuildStatus.Ok)
        {
            throw new SandboxSetupException($"Pre-building the standard library{(vet ? "'s vet facts" : "")} failed ({result.Status}): {result.Output}");
        }

        LogWarmed(logger, vet ? "Vet facts" : "Standard library", images.CacheVolume, (long)result.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// For work that is not part of a run: under a fresh run id registered as active, so the
    /// janitor leaves a single-use builder doing it alone.
    /// </summary>
    private async Task<BuildResult> ExecuteTrackedAsync(string runIdPrefix, SandboxImageSet images, AgentRequest request, TimeSpan buildTimeout, CancellationToken cancellationToken)
    {
        using var tracked = active.TrackNew(runIdPrefix);
        return await ExecuteAsync(images, tracked.RunId, request, buildTimeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<BuildResult> ExecuteAsync(SandboxImageSet images, string runId, AgentRequest request, TimeSpan buildTimeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(buildTimeout + HostGrace, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            // A warm builder from the pool when one is free (an exec of the agent in a running
            // container); otherwise a single-use builder container, as the warm-up always uses.
            var pooled = request.Warm ? null : await pool.TakeAsync(images, cancellationToken).ConfigureAwait(false);
            if (pooled is not null)
            {
                var healthy = false;
                try
                {
                    var result = await ExchangeAsync(pooled.Container.Stream, request, started, closeAfterRequest: false, linked.Token).ConfigureAwait(false);
                    healthy = result is not null;
                    return result ?? TooLarge(started);
                }
                finally
                {
                    // A builder whose build was cut off may still be busy: it is replaced, not reused.
                    await pool.ReturnAsync(pooled, healthy).ConfigureAwait(false);
                }
            }

            var spec = request.Warm
                ? ContainerSpec.WarmingBuilder(images.BuilderImage, images.CacheVolume, runId)
                : ContainerSpec.Builder(images.BuilderImage, images.CacheVolume, runId);
            var container = await containers.CreateAsync(spec, cancellationToken).ConfigureAwait(false);
            await using (container.ConfigureAwait(false))
            {
                await container.StartAsync(linked.Token).ConfigureAwait(false);
                return await ExchangeAsync(container.Stream, request, started, closeAfterRequest: true, linked.Token).ConfigureAwait(false)
                    ?? TooLarge(started);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new BuildResult(BuildStatus.Timeout, TimeoutMessage(buildTimeout), null, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// One request to the agent over its stdin, one framed answer from its stdout. Null when
    /// the answer is over the byte cap (it was not read to its end, so the stream is spoiled).
    /// </summary>
    private async Task<BuildResult?> ExchangeAsync(IContainerStream stream, AgentRequest request, long started, bool closeAfterRequest, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, AgentJson.Default.AgentRequest);
        await stream.WriteAsync(payload, 0, payload.Length, cancellationToken).ConfigureAwait(false);
        if (closeAfterRequest)
        {
            stream.CloseWrite();
        }

        var frame = await new AgentFrameReader(stream).ReadAsync(o.MaxBinaryBytes, cancellationToken).ConfigureAwait(false);
        return frame is null ? null : Parse(frame, o.MaxBinaryBytes, Stopwatch.GetElapsedTime(started));
    }

    private BuildResult TooLarge(long started) =>
        new(BuildStatus.BuildError, $"The program's binary is over the {options.Value.MaxBinaryBytes >> 20} MiB limit.\n", null, Stopwatch.GetElapsedTime(started));

    internal static string TimeoutMessage(TimeSpan limit) =>
        $"timeout running go build (limit {limit.TotalSeconds:0.#} s)\n";

    internal static string OutOfMemoryMessage(string tool, long limitBytes) =>
        $"{tool} ran out of memory: this program needs more than the build limit of {limitBytes >> 20} MiB to {(tool == "go vet" ? "vet" : "build")}.\n";

    /// <summary>What the user is told when vet did not finish; see <see cref="BuildResult.VetStatus"/>.</summary>
    internal static string VetUnfinishedMessage(string status, SandboxOptions o) => status switch
    {
        "timeout" => $"timeout running go vet (limit {o.BuildTimeout.TotalSeconds:0.#} s, with the build): its findings are unknown\n",
        "oom" => OutOfMemoryMessage("go vet", o.BuilderMemoryBytes).TrimEnd('\n') + " Its findings are unknown.\n",
        _ => "go vet stopped before it finished: its findings are unknown\n",
    };

    internal static BuildResult Parse(byte[] frame, long maxBinaryBytes, TimeSpan elapsed)
    {
        if (frame.Length < 4)
        {
            throw new SandboxSetupException("The build agent returned no response.");
        }

        var headLength = BinaryPrimitives.ReadUInt32BigEndian(frame);
        if (headLength > frame.Length - 4)
        {
            throw new SandboxSetupException("The build agent returned a truncated response.");
        }

        var head = JsonSerializer.Deserialize(frame.AsSpan(4, (int)headLength), AgentJson.Default.AgentResponse)
            ?? throw new SandboxSetupException("The build agent returned an empty response.");
        head = head with { Output = ModuleErrors.Rewrite(head.Output), Vet = head.Vet is null ? null : ModuleErrors.Rewrite(head.Vet) };
        switch (head.Status)
        {
            case "build-error":
                return new BuildResult(BuildStatus.BuildError, head.Output, null, elapsed, head.Via) { VetOutput = head.Vet ?? "" };
            case "timeout":
                return new BuildResult(BuildStatus.Timeout, head.Output, null, elapsed);
            case "oom":
                return new BuildResult(BuildStatus.OutOfMemory, head.Output, null, elapsed);
            case "ok":
                break;
            default:
                throw new SandboxSetupException("The build agent failed: " + head.Output);
        }

        var offset = 4 + (int)headLength;
        if (frame.Length < offset + 8)
        {
            throw new SandboxSetupException("The build agent's response has no binary.");
        }

        var size = BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(offset));
        if (size > (ulong)maxBinaryBytes)
        {
            return new BuildResult(BuildStatus.BuildError, $"The program's binary is {size >> 20} MiB, over the {maxBinaryBytes >> 20} MiB limit.\n", null, elapsed);
        }

        if ((ulong)(frame.Length - offset - 8) != size)
        {
            throw new SandboxSetupException("The build agent's binary is truncated.");
        }

        return new BuildResult(BuildStatus.Ok, head.Output, frame.AsSpan(offset + 8).ToArray(), elapsed, head.Via)
        {
            IsTest = head.Test,
            VetOutput = head.Vet ?? "",
            VetStatus = head.VetStatus,
            Files = head.Files,
        };
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{What} ready in cache volume {Volume} after {ElapsedMs} ms")]
    private static partial void LogWarmed(ILogger logger, string what, string volume, long elapsedMs);
}

internal sealed record AgentRequest(
    [property: JsonPropertyName("files")] IReadOnlyDictionary<string, string>? Files,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("timeoutMs")] int TimeoutMs,
    [property: JsonPropertyName("maxBinaryBytes")] long MaxBinaryBytes,
    [property: JsonPropertyName("warm")] bool Warm)
{
    [JsonPropertyName("vet")]
    public bool Vet { get; init; }

    [JsonPropertyName("fmt")]
    public AgentFormat? Fmt { get; init; }

    /// <summary>The size the agent trims the build cache to after this request (0: never).</summary>
    [JsonPropertyName("cacheBytes")]
    public long CacheBytes { get; init; }
}

internal sealed record AgentFormat([property: JsonPropertyName("imports")] bool Imports);

internal sealed record AgentResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("via")] string? Via = null,
    [property: JsonPropertyName("test")] bool Test = false,
    [property: JsonPropertyName("vet")] string? Vet = null,
    [property: JsonPropertyName("vetStatus")] string? VetStatus = null,
    [property: JsonPropertyName("files")] IReadOnlyDictionary<string, string>? Files = null);

[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentResponse))]
internal sealed partial class AgentJson : JsonSerializerContext;
