using System.Globalization;
using Docker.DotNet.Models;
using Playground.Sandbox.Security;

namespace Playground.Sandbox.Containers;

/// <summary>The create parameters for runner and builder containers: every isolation flag lives here.</summary>
internal static class ContainerSpecs
{
    /// <summary>Builders' user; each runner has its own (<see cref="RunnerUsers"/>).</summary>
    public const int Nobody = 65534;
    private const long CpuPeriod = 100_000;

    // The engine's own core limit is often unlimited; a crashing program must not write a
    // core file through the host's core pattern.
    private static readonly Ulimit NoCoreDumps = new() { Name = "core", Soft = 0, Hard = 0 };

    /// <summary>The engine's create parameters for a <see cref="ContainerSpec"/>: the one place its role becomes flags.</summary>
    public static CreateContainerParameters For(ContainerSpec spec, SandboxOptions o, TimeProvider time) => spec.Role switch
    {
        ContainerRole.Runner => Runner(spec.Image, spec.RunId, spec.Uid, o, time),
        ContainerRole.Builder => Builder(spec.Image, CacheVolumeOf(spec), spec.RunId, o, time),
        ContainerRole.ServingBuilder => Builder(spec.Image, CacheVolumeOf(spec), spec.RunId, o, time, serve: true),
        ContainerRole.WarmingBuilder => WarmingBuilder(spec.Image, CacheVolumeOf(spec), spec.RunId, o, time),
    };

    private static string CacheVolumeOf(ContainerSpec spec) =>
        spec.CacheVolume ?? throw new ArgumentException("A builder needs its toolchain's cache volume.", nameof(spec));

    /// <summary>A runner, as host user <paramref name="uid"/> (its own: see <see cref="RunnerUsers"/>).</summary>
    public static CreateContainerParameters Runner(string image, string runId, int uid, SandboxOptions o, TimeProvider time)
    {
        var host = Hardened(o, o.MemoryBytes, o.PidsLimit, o.TmpfsBytes, uid,
        [
            new Ulimit { Name = "nofile", Soft = o.OpenFilesLimit, Hard = o.OpenFilesLimit },
            new Ulimit { Name = "fsize", Soft = RunnerFileSizeLimit(o), Hard = RunnerFileSizeLimit(o) },
        ]);
        host.CPUPeriod = CpuPeriod;
        host.CPUQuota = (long)Math.Round(o.Cpus * CpuPeriod);
        // The engine's static init (tini) is PID 1, so the program is an ordinary process: a
        // fatal signal kills it (exit 128+signal) instead of being ignored as it is for a
        // namespace's init.
        host.Init = true;
        var spec = Attached(image, SandboxLabels.For("runner", runId, o.InstanceName, time), host, uid);
        // The program's environment is set by the launcher from the hand-off header.
        spec.Env = [];
        // A runner is never stopped gracefully. When the engine itself shuts down, SIGTERM would
        // let the launcher report an ordinary exit (143) for a program the server stopped;
        // SIGKILL ends the container without a report, and the run says what happened.
        spec.StopSignal = "SIGKILL";
        return spec;
    }

    /// <summary>
    /// RLIMIT_FSIZE for runs. The launcher writes the program into a memory file under this
    /// limit, so it is never below the largest binary a build may produce; files in /tmp are
    /// bounded by the tmpfs size anyway.
    /// </summary>
    public static long RunnerFileSizeLimit(SandboxOptions o) => Math.Max(o.FileSizeLimitBytes, o.MaxBinaryBytes);

    /// <summary>Where builders see the module proxy's socket directory.</summary>
    private const string ModuleSocketMount = "/run/goplay-modules";

    /// <summary>The module proxy as the go command in a builder sees it: the agent's loopback relay to the socket.</summary>
    internal const string ModuleProxyUrl = "http://127.0.0.1:8642/gomod";

    /// <summary>
    /// Modules come through the agent's loopback relay to the module proxy's unix socket (the
    /// builder still has no network); without a socket, imports that need modules fail clearly.
    /// </summary>
    private static string[] ModuleEnvironment(SandboxOptions o) => o.ModuleSocketDirectory is null
        ? ["GOPROXY=off", "GOSUMDB=off"]
        :
        [
            "GOPROXY=" + ModuleProxyUrl,
            "GOSUMDB=" + o.ChecksumDatabase,
            "GOPRIVATE=",
            "GONOPROXY=",
            "GONOSUMDB=",
            "GOPLAY_MODULE_SOCKET=" + ModuleSocketMount + "/modules.sock",
        ];

    /// <summary>A builder; with <paramref name="serve"/> it answers one build request after another on its stdin (pooled).</summary>
    public static CreateContainerParameters Builder(string image, string cacheVolume, string runId, SandboxOptions o, TimeProvider time, bool serve = false)
    {
        var host = Hardened(o, o.BuilderMemoryBytes, o.BuilderPidsLimit, o.BuilderTmpfsBytes, Nobody,
        [
            new Ulimit { Name = "fsize", Soft = o.MaxBinaryBytes * 2, Hard = o.MaxBinaryBytes * 2 },
        ]);
        host.NanoCPUs = (long)Math.Round(o.BuilderCpus * 1e9);
        host.Mounts =
        [
            new Mount { Type = "volume", Source = cacheVolume, Target = "/cache", ReadOnly = false },
            // The directory holds only the socket and is not writable by the sandbox user.
            .. (o.ModuleSocketDirectory is { } socketDirectory
                ? [new Mount { Type = "bind", Source = socketDirectory, Target = ModuleSocketMount, ReadOnly = false }]
                : Array.Empty<Mount>()),
        ];
        var spec = Attached(image, SandboxLabels.For("builder", runId, o.InstanceName, time), host, Nobody);
        spec.Cmd = serve ? ["serve"] : null!;
        spec.Env =
        [
            "PATH=/goroot/bin",
            "GOROOT=/goroot",
            "GOCACHE=/cache/go-build",
            "HOME=/tmp",
            "TMPDIR=/tmp",
            "CGO_ENABLED=0",
            "GOOS=linux",
            "GOARCH=amd64",
            "GO111MODULE=on",
            // Only the submitted go.mod decides what is built (go.work files are refused too).
            "GOWORK=off",
            "GOTOOLCHAIN=local",
            "GOFLAGS=-mod=mod",
            "GOTELEMETRY=off",
            .. ModuleEnvironment(o),
        ];
        return spec;
    }

    /// <summary>
    /// A builder that fills a cache volume with the standard library (no user code): the same
    /// isolation, without the CPU quota and with twice the memory, because that work compiles
    /// some 350 packages twice per Go version and the quota and memory reclaim cost it about
    /// a fifth of its time on two cores.
    /// </summary>
    public static CreateContainerParameters WarmingBuilder(string image, string cacheVolume, string runId, SandboxOptions o, TimeProvider time)
    {
        var spec = Builder(image, cacheVolume, runId, o, time);
        var host = spec.HostConfig!;
        host.NanoCPUs = 0;
        host.Memory = host.MemorySwap = 2 * o.BuilderMemoryBytes;
        return spec;
    }

    /// <summary>
    /// A container of either role, as the pipeline drives it: an unprivileged user, stdin and
    /// the output streams attached (stdin closes with the client's), no network.
    /// </summary>
    private static CreateContainerParameters Attached(string image, IDictionary<string, string> labels, HostConfig host, int uid) => new()
    {
        Image = image,
        Labels = labels,
        User = string.Create(CultureInfo.InvariantCulture, $"{uid}:{uid}"),
        WorkingDir = "/tmp",
        // Fixed names, so nothing about the host or the container id shows through /etc.
        Hostname = "play",
        AttachStdin = true,
        AttachStdout = true,
        AttachStderr = true,
        OpenStdin = true,
        StdinOnce = true,
        Tty = false,
        NetworkDisabled = true,
        HostConfig = host,
    };

    /// <summary>
    /// The isolation every sandbox container has, runner and builder alike: no network and no
    /// resolver, no capabilities, no new privileges, the seccomp profile, a read-only root with
    /// a private noexec <c>/tmp</c>, no core dumps, no logs, private IPC, the configured
    /// runtime. Only the sizes differ by role.
    /// </summary>
    private static HostConfig Hardened(SandboxOptions o, long memoryBytes, long pidsLimit, long tmpfsBytes, int uid, Ulimit[] ulimits) => new()
    {
        NetworkMode = "none",
        // Otherwise the engine copies the host's resolver address into /etc/resolv.conf.
        DNS = ["127.0.0.1"],
        ReadonlyRootfs = true,
        CapDrop = ["ALL"],
        SecurityOpt = ["no-new-privileges", "seccomp=" + SeccompProfile.Json],
        Privileged = false,
        Memory = memoryBytes,
        MemorySwap = memoryBytes,
        PidsLimit = pidsLimit,
        Ulimits = [.. ulimits, NoCoreDumps],
        Tmpfs = new Dictionary<string, string>
        {
            ["/tmp"] = TmpfsOptions(tmpfsBytes, uid),
        },
        LogConfig = new LogConfig { Type = "none" },
        Runtime = o.Runtime,
        AutoRemove = false,
        IpcMode = "private",
    };

    // The tmpfs belongs to the container's user: on this engine `mode=1777` is not applied to
    // the mount, while uid/gid are.
    private static string TmpfsOptions(long bytes, int uid) =>
        string.Create(CultureInfo.InvariantCulture, $"rw,noexec,nosuid,nodev,uid={uid},gid={uid},mode=0700,size={bytes}");
}
