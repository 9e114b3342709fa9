using Playground.Sandbox.Containers;
using Playground.Sandbox.Security;

namespace Playground.Sandbox.Tests.Containers;

/// <summary>Invariants 1, 3 and 4 as they are asked of the engine, for both kinds of container.</summary>
public sealed class ContainerSpecsTests
{
    private static readonly SandboxOptions Options = new() { Runtime = "runsc" };

    public static TheoryData<string> Kinds => ["runner", "builder"];

    private static Docker.DotNet.Models.CreateContainerParameters Spec(string kind) => kind == "runner"
        ? ContainerSpecs.Runner("img", "run1", 65534, Options, TimeProvider.System)
        : ContainerSpecs.Builder("img", "cache", "run1", Options, TimeProvider.System);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Spec_LockedDown(string kind)
    {
        var spec = Spec(kind);
        var host = spec.HostConfig!;

        Assert.Equal("65534:65534", spec.User);
        Assert.True(spec.NetworkDisabled);
        Assert.Equal("none", host.NetworkMode);
        Assert.True(host.ReadonlyRootfs);
        Assert.False(host.Privileged);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Contains("no-new-privileges", host.SecurityOpt);
        Assert.Contains("seccomp=" + SeccompProfile.Json, host.SecurityOpt);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.True(host.PidsLimit > 0);
        Assert.Contains(host.Ulimits, u => u.Name == "core" && u.Hard == 0);
        Assert.Contains(host.Ulimits, u => u.Name == "fsize");
        Assert.StartsWith("rw,noexec,nosuid,nodev,", host.Tmpfs!["/tmp"], StringComparison.Ordinal);
        // Program output never reaches the engine's log files on the host.
        Assert.Equal("none", host.LogConfig!.Type);
        Assert.Equal("runsc", host.Runtime);
        Assert.False(host.AutoRemove);
        Assert.Null(host.Binds);
        Assert.Equal("true", spec.Labels[SandboxLabels.Managed]);
        Assert.Equal("run1", spec.Labels[SandboxLabels.RunId]);
    }

    [Fact]
    public void Runner_QuotaTmpfsLimitsFromOptions()
    {
        var o = new SandboxOptions();
        var spec = ContainerSpecs.Runner("img", "r", 201_234, o, TimeProvider.System);
        var host = spec.HostConfig!;

        Assert.Equal(o.MemoryBytes, host.Memory);
        Assert.Equal(50_000, host.CPUQuota);
        Assert.Equal(100_000, host.CPUPeriod);
        Assert.Equal(o.PidsLimit, host.PidsLimit);
        Assert.EndsWith("size=" + o.TmpfsBytes, host.Tmpfs!["/tmp"], StringComparison.Ordinal);
        Assert.Contains(host.Ulimits, u => u.Name == "nofile" && u.Hard == o.OpenFilesLimit);
        Assert.True(host.Init);
        Assert.Empty(spec.Env);

        // Its own user, owning its /tmp; any binary a build may produce fits the file limit
        // the launcher writes it under.
        Assert.Equal("201234:201234", spec.User);
        Assert.Contains("uid=201234,gid=201234,", host.Tmpfs["/tmp"], StringComparison.Ordinal);
        Assert.Contains(host.Ulimits, u => u.Name == "fsize" && u.Hard >= o.MaxBinaryBytes && u.Hard >= o.FileSizeLimitBytes);
    }

    [Fact]
    public void SeccompProfile_DeniesTheListedFamilies()
    {
        foreach (var denied in new[] { "ptrace", "personality", "keyctl", "add_key", "bpf", "userfaultfd", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_setup", "io_submit", "mount", "umount2", "unshare", "setns", "process_vm_readv" })
        {
            Assert.DoesNotContain(denied, SeccompProfile.Allowed);
            Assert.DoesNotContain("\"" + denied + "\"", SeccompProfile.Json, StringComparison.Ordinal);
        }

        Assert.Contains("\"defaultAction\":\"SCMP_ACT_ERRNO\"", SeccompProfile.Json, StringComparison.Ordinal);
        Assert.Equal(SeccompProfile.Allowed.Count, SeccompProfile.Allowed.Distinct().Count());
    }
}
