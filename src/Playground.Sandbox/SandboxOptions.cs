using Microsoft.Extensions.Options;

namespace Playground.Sandbox;

/// <summary>Sandbox limits and engine settings, bound from the <c>Sandbox</c> configuration section.</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>Docker engine endpoint; null uses <c>DOCKER_HOST</c> or the local socket.</summary>
    public string? DockerEndpoint { get; set; }

    /// <summary>Engine API version such as <c>1.41</c>; null negotiates with the engine.</summary>
    public string? DockerApiVersion { get; set; }

    /// <summary>OCI runtime for runner and builder containers (for example <c>runsc</c> for gVisor); null uses the engine default.</summary>
    public string? Runtime { get; set; }

    /// <summary>GOROOT of the <c>host</c> toolchain entry; null asks <c>go env GOROOT</c> of the <c>go</c> on PATH.</summary>
    public string? GoRoot { get; set; }

    /// <summary>
    /// The Go toolchains runs may choose from, each with its own builder image, build cache and
    /// warm builders; the newest installed one is the default. An entry is a Debian release
    /// (<c>1.27</c>: <c>golang-1.27-go</c>, unpacked by the set-up under <see cref="ToolchainDirectory"/>),
    /// <c>host</c> (the host's Go, see <see cref="GoRoot"/>; left out quietly when the host has none)
    /// or an absolute GOROOT path. Null means <see cref="DefaultToolchains"/>.
    /// </summary>
    public string[]? Toolchains { get; set; }

    /// <summary>Every Go release the Debian archive carries as <c>golang-1.NN-go</c>, and the host's Go.</summary>
    public static IReadOnlyList<string> DefaultToolchains { get; } = ["1.27", "1.26", "1.25", "1.24", "1.23", "1.22", "1.21", "host"];

    /// <summary>Where the set-up unpacks the Debian toolchains, one folder per release (<c>1.27/usr/lib/go-1.27</c>).</summary>
    public string ToolchainDirectory { get; set; } = "/var/lib/goplay/toolchains";

    /// <summary>
    /// How many of the newest installed versions keep <see cref="BuilderPoolSize"/> warm builders;
    /// every other ready version keeps one, and builds beyond that start a builder on demand.
    /// </summary>
    public int WarmToolchains { get; set; } = 2;

    /// <summary>How long a run waits for its Go version to be prepared before it is refused with a retry time.</summary>
    public TimeSpan PreparingWaitTime { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The configured toolchain entries: <see cref="Toolchains"/> when set, else the defaults.</summary>
    internal IReadOnlyList<string> EffectiveToolchains => Toolchains is { Length: > 0 } configured ? configured : DefaultToolchains;

    public TimeSpan RunWallTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Wall-clock limit for a playback run. Sleeps cost no wall time there, so a program that
    /// needs more is busy-looping; 5 s as the official playground.
    /// </summary>
    public TimeSpan PlaybackWallTime { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan BuildTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public long MemoryBytes { get; set; } = 256L << 20;

    /// <summary>CPU for one run, in cores (0.5 = half a core).</summary>
    public double Cpus { get; set; } = 0.5;

    public long PidsLimit { get; set; } = 64;

    public long OutputLimitBytes { get; set; } = 1L << 20;

    public long TmpfsBytes { get; set; } = 16L << 20;

    /// <summary>RLIMIT_NOFILE for runs.</summary>
    public long OpenFilesLimit { get; set; } = 256;

    /// <summary>RLIMIT_FSIZE for runs: no single file can outgrow /tmp anyway.</summary>
    public long FileSizeLimitBytes { get; set; } = 16L << 20;

    public long StdinLimitBytes { get; set; } = 1L << 20;

    public long MaxSourceBytes { get; set; } = 512L << 10;

    public int MaxFiles { get; set; } = 20;

    public long MaxBinaryBytes { get; set; } = 64L << 20;

    public long BuilderMemoryBytes { get; set; } = 1L << 30;

    public double BuilderCpus { get; set; } = Environment.ProcessorCount;

    public long BuilderPidsLimit { get; set; } = 512;

    public long BuilderTmpfsBytes { get; set; } = 384L << 20;

    /// <summary>
    /// Size of each Go version's build-cache volume: builders trim it to nine-tenths, oldest
    /// entries first, once it is over (at most once a minute); the standard library and vet
    /// facts the warm-up produced are never trimmed. 0: never trimmed.
    /// </summary>
    public long BuildCacheBytes { get; set; } = 2L << 30;

    /// <summary>How long a run may keep producing output after its process exited before the stream is cut.</summary>
    public TimeSpan DrainTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Names this process's containers (label <c>io.goplay.owner</c>). Every process sharing an
    /// engine needs its own name: at start-up the janitor removes the containers carrying it.
    /// </summary>
    public string InstanceName { get; set; } = Environment.MachineName;

    public TimeSpan JanitorInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The first of the host user ids runner containers run as, each container its own, so
    /// the kernel's per-user limits (inotify instances, POSIX message queue bytes, pipe
    /// buffers, processes) are never shared between two runs. No host account needs them.
    /// </summary>
    public int RunnerUserFirst { get; set; } = 200_000;

    /// <summary>How many user ids from <see cref="RunnerUserFirst"/> runners use, in turn.</summary>
    public int RunnerUserCount { get; set; } = 65_536;

    /// <summary>Started runner containers kept waiting, so a run skips container start-up; 0 turns the pool off.</summary>
    public int RunnerPoolSize { get; set; } = Environment.ProcessorCount;

    /// <summary>Long-lived builder containers (one build at a time each); 0 builds every program in a new container.</summary>
    public int BuilderPoolSize { get; set; } = Environment.ProcessorCount;

    /// <summary>Memory for built binaries kept for identical programs (least recently used evicted first).</summary>
    public long BinaryCacheBytes { get; set; } = 256L << 20;

    /// <summary>
    /// A host directory holding the module proxy's unix socket (<c>modules.sock</c>), mounted into
    /// builders; unset: builders get <c>GOPROXY=off</c> and only the standard library builds.
    /// Set by the host from the <c>Modules</c> section, not usually by hand.
    /// </summary>
    public string? ModuleSocketDirectory { get; set; }

    /// <summary>GOSUMDB for builders when modules are on: a database served through the module route, or off.</summary>
    public string ChecksumDatabase { get; set; } = "off";

    /// <summary>Any playground container older than this is removed; null means build timeout + run wall time + 5 minutes.</summary>
    public TimeSpan? MaxContainerLifetime { get; set; }

    internal TimeSpan EffectiveMaxContainerLifetime => MaxContainerLifetime ?? BuildTimeout + RunWallTime + TimeSpan.FromMinutes(5);
}

/// <summary>Checks the options as a whole at start-up, so a bad limit fails the host instead of a run.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions o)
    {
        var errors = new List<string>();
        void Positive(string field, double value)
        {
            if (value <= 0)
            {
                errors.Add($"Sandbox:{field} must be positive.");
            }
        }

        Positive(nameof(o.RunWallTime), o.RunWallTime.TotalMilliseconds);
        Positive(nameof(o.PlaybackWallTime), o.PlaybackWallTime.TotalMilliseconds);
        Positive(nameof(o.BuildTimeout), o.BuildTimeout.TotalMilliseconds);
        Positive(nameof(o.MemoryBytes), o.MemoryBytes);
        Positive(nameof(o.Cpus), o.Cpus);
        Positive(nameof(o.PidsLimit), o.PidsLimit);
        Positive(nameof(o.OutputLimitBytes), o.OutputLimitBytes);
        Positive(nameof(o.TmpfsBytes), o.TmpfsBytes);
        Positive(nameof(o.OpenFilesLimit), o.OpenFilesLimit);
        Positive(nameof(o.FileSizeLimitBytes), o.FileSizeLimitBytes);
        Positive(nameof(o.StdinLimitBytes), o.StdinLimitBytes);
        if (o.RunnerUserFirst < 1000 || o.RunnerUserCount < 64 || (long)o.RunnerUserFirst + o.RunnerUserCount > int.MaxValue)
        {
            errors.Add("Sandbox:RunnerUserFirst must be at least 1000 (clear of system accounts) and Sandbox:RunnerUserCount at least 64, within 32-bit user ids.");
        }

        Positive(nameof(o.MaxSourceBytes), o.MaxSourceBytes);
        Positive(nameof(o.MaxFiles), o.MaxFiles);
        Positive(nameof(o.MaxBinaryBytes), o.MaxBinaryBytes);
        Positive(nameof(o.BuilderMemoryBytes), o.BuilderMemoryBytes);
        Positive(nameof(o.BuilderCpus), o.BuilderCpus);
        Positive(nameof(o.BuilderPidsLimit), o.BuilderPidsLimit);
        Positive(nameof(o.BuilderTmpfsBytes), o.BuilderTmpfsBytes);
        Positive(nameof(o.JanitorInterval), o.JanitorInterval.TotalMilliseconds);
        Positive(nameof(o.PreparingWaitTime), o.PreparingWaitTime.TotalMilliseconds);
        if (o.BuilderPoolSize < 0)
        {
            errors.Add("Sandbox:BuilderPoolSize must not be negative (0 turns the pool off).");
        }

        if (o.RunnerPoolSize < 0)
        {
            errors.Add("Sandbox:RunnerPoolSize must not be negative (0 turns the pool off).");
        }

        if (o.BinaryCacheBytes < 0)
        {
            errors.Add("Sandbox:BinaryCacheBytes must not be negative (0 turns the cache off).");
        }

        if (o.BuildCacheBytes < 0)
        {
            errors.Add("Sandbox:BuildCacheBytes must not be negative (0: never trimmed).");
        }
        if (o.WarmToolchains < 0)
        {
            errors.Add("Sandbox:WarmToolchains must not be negative.");
        }

        foreach (var entry in o.EffectiveToolchains)
        {
            if (!Toolchains.ToolchainEntry.TryParse(entry, out _))
            {
                errors.Add($"Sandbox:Toolchains: \"{entry}\" is not a Go release such as 1.27, \"host\" or an absolute GOROOT path.");
            }
        }

        if (string.IsNullOrWhiteSpace(o.InstanceName))
        {
            errors.Add("Sandbox:InstanceName must not be empty.");
        }

        if (o.MaxContainerLifetime is { } lifetime && lifetime < o.RunWallTime + o.BuildTimeout)
        {
            errors.Add("Sandbox:MaxContainerLifetime must be at least Sandbox:RunWallTime + Sandbox:BuildTimeout, or live runs would be removed.");
        }

        // tmpfs pages are charged to the container's memory cgroup: a tmpfs as large
        // as the limit would let a program OOM itself by writing files, and leave no
        // room for the program.
        if (o.TmpfsBytes >= o.MemoryBytes / 2)
        {
            errors.Add("Sandbox:TmpfsBytes must be less than half of Sandbox:MemoryBytes (tmpfs pages count against the memory limit).");
        }

        if (o.BuilderTmpfsBytes >= o.BuilderMemoryBytes / 2)
        {
            errors.Add("Sandbox:BuilderTmpfsBytes must be less than half of Sandbox:BuilderMemoryBytes.");
        }

        if (o.MemoryBytes < 32L << 20)
        {
            errors.Add("Sandbox:MemoryBytes must be at least 32 MiB: the Go runtime needs room to start.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
