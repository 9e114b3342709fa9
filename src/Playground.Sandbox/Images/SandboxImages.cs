using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;
using Playground.Sandbox.Toolchains;

namespace Playground.Sandbox.Images;

/// <summary>The images and cache volume a run needs, by name.</summary>
public sealed record SandboxImageSet(string RunnerImage, string BuilderImage, string CacheVolume, string GoVersion);

/// <summary>
/// Where the sandbox images of a toolchain come from: their names, and making them exist.
/// Readiness asks only this, so the engine seam's fake needs no image builds.
/// </summary>
internal interface ISandboxImages
{
    /// <summary>The image names and cache volume for a toolchain; <paramref name="helperToolchain"/> builds the launcher and agent.</summary>
    SandboxImageSet Resolve(Toolchain toolchain, Toolchain helperToolchain);

    Task EnsureRunnerAsync(SandboxImageSet set, Toolchain helperToolchain, CancellationToken cancellationToken);

    Task EnsureBuilderAsync(SandboxImageSet set, Toolchain go, Toolchain helperToolchain, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string image, CancellationToken cancellationToken);
}

/// <summary>
/// Creates the sandbox images locally when they are missing: no registry is used. The runner
/// image is <c>FROM scratch</c> with only the static launcher; a builder image holds one Go
/// toolchain (with the C library a dynamically linked <c>go</c> needs), goimports and the
/// build agent. Tags carry a hash of the embedded sources and the Go versions, so a changed
/// launcher, agent or toolchain produces a new image instead of silently reusing an old one.
/// </summary>
internal sealed partial class SandboxImages(DockerEngine engine, IOptions<SandboxOptions> options, ILogger<SandboxImages> logger) : ISandboxImages
{
    public const string RunnerRepository = "goplay-runner";
    public const string BuilderRepository = "goplay-builder";

    /// <summary>The label naming the Go version a builder image or cache volume belongs to, for pruning.</summary>
    public const string GoVersionLabel = "io.goplay.go-version";

    /// <summary>
    /// Names the images for a toolchain without touching the engine. The runner image is shared
    /// by every toolchain (it only starts a static binary), and so is the build agent: both are
    /// built by <paramref name="helperToolchain"/>, the default one, so their tags follow it.
    /// </summary>
    public SandboxImageSet Resolve(Toolchain toolchain, Toolchain helperToolchain)
    {
        var runner = $"{RunnerRepository}:{EmbeddedSources.Hash("launcher", helperToolchain.Version, ZoneInfoStamp())}";
        var builder = $"{BuilderRepository}:{EmbeddedSources.Hash("agent", helperToolchain.Version, toolchain.Version, toolchain.GoRoot, GoImportsStamp())}";
        return new SandboxImageSet(runner, builder, CacheVolumePrefix + toolchain.Version, toolchain.Version);
    }

    public const string CacheVolumePrefix = "goplay-gocache-";

    /// <summary>Creates the runner image when missing; it is the same for every toolchain.</summary>
    public Task EnsureRunnerAsync(SandboxImageSet set, Toolchain helperToolchain, CancellationToken cancellationToken) =>
        DockerEngine.Translate(EnsureRunnerCoreAsync(set, helperToolchain, cancellationToken));

    /// <summary>Creates a toolchain's builder image and cache volume when missing.</summary>
    public Task EnsureBuilderAsync(SandboxImageSet set, Toolchain go, Toolchain helperToolchain, CancellationToken cancellationToken) =>
        DockerEngine.Translate(EnsureBuilderCoreAsync(set, go, helperToolchain, cancellationToken));

    private async Task EnsureRunnerCoreAsync(SandboxImageSet set, Toolchain helperToolchain, CancellationToken cancellationToken)
    {
        await RequireRuntimeAsync(options.Value.Runtime, cancellationToken).ConfigureAwait(false);
        if (await ExistsAsync(set.RunnerImage, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var docker = await engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
        LogCreatingImage(logger, set.RunnerImage);
        var context = new BuildContext();
        await using (context.ConfigureAwait(false))
        {
            await context.AddFileAsync("launcher", await BuildEmbeddedAsync(helperToolchain, "launcher", cancellationToken).ConfigureAwait(false), ExecMode, cancellationToken).ConfigureAwait(false);
            // The zone database, read-only in the image: Debian's Go has none in GOROOT, and
            // without it time.LoadLocation knows only UTC and Local. The right/ and posix/
            // variants are left out (Go never reads them).
            if (Directory.Exists(ZoneInfo))
            {
                await context.AddHostTreeAsync(ZoneInfo, "zoneinfo", rel => rel is "right" or "posix", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await context.AddDirectoryEntryAsync("zoneinfo", cancellationToken).ConfigureAwait(false);
            }

            await context.AddTextAsync("Dockerfile", RunnerDockerfile, cancellationToken).ConfigureAwait(false);
            await BuildImageAsync(docker, context, set.RunnerImage, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureBuilderCoreAsync(SandboxImageSet set, Toolchain go, Toolchain helperToolchain, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(set.BuilderImage, cancellationToken).ConfigureAwait(false))
        {
            var docker = await engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
            LogCreatingImage(logger, set.BuilderImage);
            var context = new BuildContext();
            await using (context.ConfigureAwait(false))
            {
                // One agent for every version, built by the newest toolchain (its parser reads
                // any version's syntax): building it per version cost about a minute of CPU each
                // on a fresh machine. It runs this toolchain's own go, gofmt and compiler, and
                // learns the version from the image (GOPLAY_GO_VERSION).
                await context.AddFileAsync("rootfs/agent", await BuildEmbeddedAsync(helperToolchain, "agent", cancellationToken).ConfigureAwait(false), ExecMode, cancellationToken).ConfigureAwait(false);
                // Precompiled std archives are for the host's cgo configuration; builds with
                // CGO_ENABLED=0 compile std into the cache volume instead, so they are left out.
                await context.AddHostTreeAsync(go.GoRoot, "rootfs/goroot", rel =>
                    rel is "doc" or "test" or "api" or "misc" || rel.StartsWith("pkg/linux_amd64", StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
                foreach (var lib in await SharedLibrariesAsync(go, cancellationToken).ConfigureAwait(false))
                {
                    await context.AddHostFileAsync(lib, "rootfs" + lib, cancellationToken).ConfigureAwait(false);
                }

                if (GoImportsSource() is { } goimports)
                {
                    // For /fmt with imports; Debian's goimports is a static binary.
                    await context.AddHostFileAsync(goimports, "rootfs" + GoImportsPath, cancellationToken).ConfigureAwait(false);
                }

                await context.AddDirectoryEntryAsync("cache", cancellationToken).ConfigureAwait(false);
                await context.AddTextAsync("cache/.keep", string.Empty, cancellationToken).ConfigureAwait(false);
                await context.AddTextAsync("Dockerfile", BuilderDockerfile(go.Version), cancellationToken).ConfigureAwait(false);
                await BuildImageAsync(docker, context, set.BuilderImage, go.Version, cancellationToken).ConfigureAwait(false);
            }
        }

        await EnsureVolumeAsync(set.CacheVolume, go.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the sandbox images that no installed toolchain uses any more (older launchers and
    /// agents, versions no longer configured) and the cache volumes of versions no longer
    /// configured. Whatever a container still uses stays: the engine refuses, and that is fine.
    /// </summary>
    public async Task PruneAsync(ToolchainList installed, CancellationToken cancellationToken)
    {
        if (installed.Default is not { } launcher)
        {
            return;
        }

        var sets = installed.Installed.Select(t => Resolve(t, launcher)).ToArray();
        var keep = sets.SelectMany(s => new[] { s.RunnerImage, s.BuilderImage }).ToHashSet(StringComparer.Ordinal);
        var volumes = sets.Select(s => s.CacheVolume).ToHashSet(StringComparer.Ordinal);
        var docker = await engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [SandboxLabels.Managed + "=true"] = true } };
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters { Filters = filter }, cancellationToken).ConfigureAwait(false);
        foreach (var tag in images.SelectMany(i => i.RepoTags ?? []))
        {
            if ((tag.StartsWith(RunnerRepository + ":", StringComparison.Ordinal) || tag.StartsWith(BuilderRepository + ":", StringComparison.Ordinal)) && !keep.Contains(tag))
            {
                await TryAsync(() => docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters(), cancellationToken), "image " + tag).ConfigureAwait(false);
            }
        }

        var listed = await docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, cancellationToken).ConfigureAwait(false);
        foreach (var volume in listed.Volumes ?? [])
        {
            if (volume.Name.StartsWith(CacheVolumePrefix, StringComparison.Ordinal) && !volumes.Contains(volume.Name))
            {
                await TryAsync(() => docker.Volumes.RemoveAsync(volume.Name, force: false, cancellationToken), "volume " + volume.Name).ConfigureAwait(false);
            }
        }
    }

    private async Task TryAsync(Func<Task> remove, string what)
    {
        try
        {
            await remove().ConfigureAwait(false);
            LogPruned(logger, what);
        }
        catch (DockerApiException e)
        {
            // In use by a container of a running GoPlay, most likely: it stays.
            LogPruneSkipped(logger, what, (int)e.StatusCode);
        }
    }

    /// <summary>
    /// Builds an embedded Go program with a toolchain as a static linux/amd64 binary, once per
    /// process: every version's builder image takes the same agent. A failed build is tried
    /// again by the next caller; a caller that gives up leaves it to finish for the others.
    /// </summary>
    private async Task<byte[]> BuildEmbeddedAsync(Toolchain go, string program, CancellationToken cancellationToken)
    {
        var key = program + "\0" + go.Version + "\0" + go.GoRoot;
        var build = _embedded.GetOrAdd(key, _ => new Lazy<Task<byte[]>>(() =>
            new GoToolchain(go.GoRoot, go.Version).BuildEmbeddedAsync(program, CancellationToken.None)));
        try
        {
            return await build.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (build.Value.IsFaulted)
        {
            _embedded.TryRemove(new KeyValuePair<string, Lazy<Task<byte[]>>>(key, build));
            throw;
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<byte[]>>> _embedded = new(StringComparer.Ordinal);

    /// <summary>Fails closed when the configured OCI runtime (e.g. runsc) is not known to the engine.</summary>
    private async Task RequireRuntimeAsync(string? runtime, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(runtime))
        {
            return;
        }

        var info = await engine.IdempotentAsync((d, ct) => d.System.GetSystemInfoAsync(ct), cancellationToken).ConfigureAwait(false);
        var known = info.Runtimes?.Keys.Order(StringComparer.Ordinal).ToArray() ?? [];
        if (!known.Contains(runtime, StringComparer.Ordinal))
        {
            throw new SandboxSetupException(
                $"The configured container runtime '{runtime}' is not available on this engine (it has: {string.Join(", ", known)}). No code runs until Sandbox:Runtime names an installed runtime.");
        }
    }

    public async Task<bool> ExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await engine.IdempotentAsync((d, ct) => d.Images.InspectImageAsync(image, ct), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task EnsureVolumeAsync(string name, string goVersion, CancellationToken cancellationToken)
    {
        // Creating a volume that exists is a no-op for the local driver. A new, empty volume is
        // filled from the image's /cache on first mount, which makes it owned by 65534.
        var parameters = new VolumesCreateParameters { Name = name, Labels = new Dictionary<string, string> { [SandboxLabels.Managed] = "true", [GoVersionLabel] = goVersion } };
        await engine.IdempotentAsync((d, ct) => d.Volumes.CreateAsync(parameters, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task BuildImageAsync(IDockerClient docker, BuildContext context, string tag, string? goVersion, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var progress = new Progress<JSONMessage>(m =>
        {
            if (!string.IsNullOrEmpty(m.Error?.Message))
            {
                lock (errors)
                {
                    errors.Add(m.Error.Message);
                }
            }
        });
        var tar = await context.CompleteAsync().ConfigureAwait(false);
        await docker.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters
            {
                Tags = [tag],
                Remove = true,
                ForceRemove = true,
                Labels = goVersion is null
                    ? new Dictionary<string, string> { [SandboxLabels.Managed] = "true" }
                    : new Dictionary<string, string> { [SandboxLabels.Managed] = "true", [GoVersionLabel] = goVersion },
            },
            tar,
            authConfigs: null,
            headers: null,
            progress,
            cancellationToken).ConfigureAwait(false);

        if (!await ExistsAsync(tag, cancellationToken).ConfigureAwait(false))
        {
            string detail;
            lock (errors)
            {
                detail = string.Join("; ", errors);
            }

            throw new SandboxSetupException($"Building image {tag} failed: {detail}");
        }

        LogImageCreated(logger, tag);
    }

    /// <summary>The shared libraries (and loader) the toolchain's dynamically linked programs need.</summary>
    private static async Task<IReadOnlyCollection<string>> SharedLibrariesAsync(Toolchain go, CancellationToken cancellationToken)
    {
        var libs = new SortedSet<string>(StringComparer.Ordinal);
        var programs = Directory.EnumerateFiles(Path.Combine(go.GoRoot, "bin"))
            .Concat(Directory.EnumerateFiles(Path.Combine(go.GoRoot, "pkg", "tool", "linux_amd64")));
        foreach (var program in programs)
        {
            string output;
            try
            {
                output = await HostProcess.RunAsync("ldd", [program], null, null, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxSetupException)
            {
                continue; // "not a dynamic executable"
            }

            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var arrow = line.IndexOf("=>", StringComparison.Ordinal);
                var candidate = (arrow >= 0 ? line[(arrow + 2)..] : line).Trim().Split(' ')[0];
                if (candidate.StartsWith('/'))
                {
                    libs.Add(candidate);
                }
            }
        }

        return libs;
    }

    /// <summary>Where golang-golang-x-tools installs goimports, and where builders find it.</summary>
    private const string GoImportsPath = "/usr/bin/goimports";

    /// <summary>
    /// The goimports that goes into builder images: the newer one the set-up unpacks from
    /// golang-golang-x-tools next to the toolchains (its parser reads current syntax, which
    /// bookworm's 0.25 build cannot), else the host's.
    /// </summary>
    private string? GoImportsSource()
    {
        var unpacked = Path.Combine(options.Value.ToolchainDirectory, "x-tools", "usr", "bin", "goimports");
        return File.Exists(unpacked) ? unpacked : File.Exists(GoImportsPath) ? GoImportsPath : null;
    }

    /// <summary>Where Go's time package looks for the zone database on Linux (the host's, from Debian's tzdata).</summary>
    private const string ZoneInfo = "/usr/share/zoneinfo";

    /// <summary>Part of the runner image's tag, so a tzdata upgrade makes a new image: "# version 2025b".</summary>
    private static string ZoneInfoStamp() =>
        File.Exists(ZoneInfo + "/tzdata.zi") ? "tz:" + File.ReadLines(ZoneInfo + "/tzdata.zi").FirstOrDefault() : "tz:none";

    /// <summary>Part of the builder image's tag, so installing or upgrading goimports makes a new image.</summary>
    private string GoImportsStamp() =>
        GoImportsSource() is { } path ? "goimports:" + path + ":" + new FileInfo(path).Length : "goimports:none";

    private const UnixFileMode ExecMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const string RunnerDockerfile = """
        FROM scratch
        COPY launcher /launcher
        COPY zoneinfo/ /usr/share/zoneinfo/
        LABEL io.goplay.managed="true" io.goplay.image="runner"
        USER 65534:65534
        WORKDIR /tmp
        ENTRYPOINT ["/launcher"]
        """;

    private static string BuilderDockerfile(string goVersion)
    {
        // Quoted, as a development build's version has spaces; nothing else may break the line.
        if (goVersion.AsSpan().ContainsAny("\"\\\n$"))
        {
            throw new SandboxSetupException($"The Go version '{goVersion}' cannot be named in an image.");
        }

        return $"""
            FROM scratch
            COPY rootfs/ /
            COPY --chown=65534:65534 cache/ /cache/
            LABEL io.goplay.managed="true" io.goplay.image="builder"
            ENV GOPLAY_GO_VERSION="{goVersion}"
            USER 65534:65534
            WORKDIR /tmp
            ENTRYPOINT ["/agent"]
            """;
    }


    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Creating sandbox image {Image}")]
    private static partial void LogCreatingImage(ILogger logger, string image);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Removed stale sandbox {What}")]
    private static partial void LogPruned(ILogger logger, string what);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Kept stale sandbox {What}: the engine refused its removal ({Status})")]
    private static partial void LogPruneSkipped(ILogger logger, string what, int status);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Created sandbox image {Image}")]
    private static partial void LogImageCreated(ILogger logger, string image);
}
