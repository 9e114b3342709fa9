using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playground.Sandbox.Containers;

namespace Playground.Sandbox.Images;

/// <summary>The images and cache volume a run needs, by name.</summary>
public sealed record SandboxImageSet(string RunnerImage, string BuilderImage, string CacheVolume, string GoVersion);

/// <summary>
/// Creates the sandbox images locally when they are missing: no registry is used. The runner
/// image is <c>FROM scratch</c> with only the static launcher; the builder image holds the
/// host's Go toolchain (with the C library its dynamically linked <c>go</c> needs) and the
/// build agent. Tags carry a hash of the embedded sources and the Go version, so a changed
/// launcher or toolchain produces a new image instead of silently reusing an old one.
/// </summary>
internal sealed partial class SandboxImages(DockerEngine engine, IOptions<SandboxOptions> options, ILogger<SandboxImages> logger)
{
    public const string RunnerRepository = "goplay-runner";
    public const string BuilderRepository = "goplay-builder";

    // A reference, so concurrent readers see it whole or not at all.
    private Tuple<SandboxImageSet, GoToolchain>? _resolved;

    /// <summary>
    /// Names the images for the host toolchain without touching the engine. The toolchain is
    /// asked once per process (readiness probes call this), since it is what the images were
    /// built from for as long as the process runs.
    /// </summary>
    public async Task<(SandboxImageSet Set, GoToolchain Toolchain)> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _resolved) is { } known)
        {
            return (known.Item1, known.Item2);
        }

        var go = await GoToolchain.DiscoverAsync(options.Value.GoRoot, cancellationToken).ConfigureAwait(false);
        var runner = $"{RunnerRepository}:{EmbeddedSources.Hash("launcher", go.Version)}";
        var builder = $"{BuilderRepository}:{EmbeddedSources.Hash("agent", go.Version, go.GoRoot, GoImportsStamp())}";
        var volume = "goplay-gocache-" + go.Version;
        var set = new SandboxImageSet(runner, builder, volume, go.Version);
        Volatile.Write(ref _resolved, Tuple.Create(set, go));
        return (set, go);
    }

    public async Task<SandboxImageSet> EnsureAsync(CancellationToken cancellationToken)
    {
        var (set, go) = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        var docker = await engine.GetClientAsync(cancellationToken).ConfigureAwait(false);
        await RequireRuntimeAsync(options.Value.Runtime, cancellationToken).ConfigureAwait(false);

        if (!await ExistsAsync(set.RunnerImage, cancellationToken).ConfigureAwait(false))
        {
            LogCreatingImage(logger, set.RunnerImage);
            var context = new BuildContext();
            await using (context.ConfigureAwait(false))
            {
                await context.AddFileAsync("launcher", await go.BuildEmbeddedAsync("launcher", cancellationToken).ConfigureAwait(false), ExecMode, cancellationToken).ConfigureAwait(false);
                await context.AddTextAsync("Dockerfile", RunnerDockerfile, cancellationToken).ConfigureAwait(false);
                await BuildImageAsync(docker, context, set.RunnerImage, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!await ExistsAsync(set.BuilderImage, cancellationToken).ConfigureAwait(false))
        {
            LogCreatingImage(logger, set.BuilderImage);
            var context = new BuildContext();
            await using (context.ConfigureAwait(false))
            {
                await context.AddFileAsync("rootfs/agent", await go.BuildEmbeddedAsync("agent", cancellationToken).ConfigureAwait(false), ExecMode, cancellationToken).ConfigureAwait(false);
                // Precompiled std archives are for the host's cgo configuration; builds with
                // CGO_ENABLED=0 compile std into the cache volume instead, so they are left out.
                await context.AddHostTreeAsync(go.GoRoot, "rootfs/goroot", rel =>
                    rel is "doc" or "test" or "api" or "misc" || rel.StartsWith("pkg/linux_amd64", StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
                foreach (var lib in await SharedLibrariesAsync(go, cancellationToken).ConfigureAwait(false))
                {
                    await context.AddHostFileAsync(lib, "rootfs" + lib, cancellationToken).ConfigureAwait(false);
                }

                if (File.Exists(GoImportsPath))
                {
                    // For /fmt with imports; Debian's goimports is a static binary.
                    await context.AddHostFileAsync(GoImportsPath, "rootfs" + GoImportsPath, cancellationToken).ConfigureAwait(false);
                }

                await context.AddDirectoryEntryAsync("cache", cancellationToken).ConfigureAwait(false);
                await context.AddTextAsync("cache/.keep", string.Empty, cancellationToken).ConfigureAwait(false);
                await context.AddTextAsync("Dockerfile", BuilderDockerfile, cancellationToken).ConfigureAwait(false);
                await BuildImageAsync(docker, context, set.BuilderImage, cancellationToken).ConfigureAwait(false);
            }
        }

        await EnsureVolumeAsync(set.CacheVolume, cancellationToken).ConfigureAwait(false);
        return set;
    }

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

    private async Task EnsureVolumeAsync(string name, CancellationToken cancellationToken)
    {
        // Creating a volume that exists is a no-op for the local driver. A new, empty volume is
        // filled from the image's /cache on first mount, which makes it owned by 65534.
        var parameters = new VolumesCreateParameters { Name = name, Labels = new Dictionary<string, string> { [SandboxLabels.Managed] = "true" } };
        await engine.IdempotentAsync((d, ct) => d.Volumes.CreateAsync(parameters, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task BuildImageAsync(IDockerClient docker, BuildContext context, string tag, CancellationToken cancellationToken)
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
                Labels = new Dictionary<string, string> { [SandboxLabels.Managed] = "true" },
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
    private static async Task<IReadOnlyCollection<string>> SharedLibrariesAsync(GoToolchain go, CancellationToken cancellationToken)
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

    /// <summary>Where golang-golang-x-tools installs goimports; copied into the builder image when present.</summary>
    private const string GoImportsPath = "/usr/bin/goimports";

    /// <summary>Part of the builder image's tag, so installing or upgrading goimports makes a new image.</summary>
    private static string GoImportsStamp() =>
        File.Exists(GoImportsPath) ? "goimports:" + new FileInfo(GoImportsPath).Length : "goimports:none";

    private const UnixFileMode ExecMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const string RunnerDockerfile = """
        FROM scratch
        COPY launcher /launcher
        LABEL io.goplay.managed="true" io.goplay.image="runner"
        USER 65534:65534
        WORKDIR /tmp
        ENTRYPOINT ["/launcher"]
        """;

    private const string BuilderDockerfile = """
        FROM scratch
        COPY rootfs/ /
        COPY --chown=65534:65534 cache/ /cache/
        LABEL io.goplay.managed="true" io.goplay.image="builder"
        USER 65534:65534
        WORKDIR /tmp
        ENTRYPOINT ["/agent"]
        """;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Creating sandbox image {Image}")]
    private static partial void LogCreatingImage(ILogger logger, string image);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Created sandbox image {Image}")]
    private static partial void LogImageCreated(ILogger logger, string image);
}
