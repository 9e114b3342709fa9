using Microsoft.Extensions.DependencyInjection;
using Playground.Sandbox.Runs;
using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Security;

/// <summary>
/// The hostile-program table of SECURITY.md, one test per row, against the real engine.
/// Each asserts the outcome, what the user sees, and that no container remains.
/// </summary>
[Collection(DockerTests.Name)]
public sealed class HostileProgramTests(SandboxFixture fixture) : IAsyncLifetime
{
    private readonly IRunService _runs = fixture.Create().Runs;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => Assert.Empty(await DockerCheck.ManagedContainersAsync());

    [Fact]
    public async Task Row01_ExecAndStartProcess_DeniedProgramContinues()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"os/exec"
            	"syscall"
            )

            func main() {
            	fmt.Println(exec.Command("/bin/sh", "-c", "echo pwned").Run())
            	fmt.Println(syscall.Exec("/bin/sh", []string{"sh"}, nil))
            	_, err := os.StartProcess("/bin/sh", []string{"sh"}, &os.ProcAttr{})
            	fmt.Println(err)
            	fmt.Println("still here")
            }
            """);

        Assert.Equal(
            "fork/exec /bin/sh: operation not permitted\noperation not permitted\nfork/exec /bin/sh: operation not permitted\nstill here\n",
            run.Stdout);
        Assert.Equal(0, run.Final.ExitCode);
    }

    [Fact]
    public async Task Row02_ForkLoop_EveryForkEperm()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"syscall"
            )

            func main() {
            	denied := 0
            	for i := 0; i < 1000; i++ {
            		r, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
            		if r == 0 && errno == 0 {
            			syscall.Exit(42) // a child: must never happen
            		}
            		if errno == syscall.EPERM {
            			denied++
            		}
            	}
            	// A process-creating clone (no CLONE_THREAD) is refused too.
            	_, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
            	fmt.Println(denied, errno)
            }
            """);

        Assert.Equal("1000 operation not permitted\n", run.Stdout);
        Assert.Equal(0, run.Final.ExitCode);
    }

    [Fact]
    public async Task Row03_ThreadBomb_PidsLimitStopsItAndRunIsReported()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"runtime"
            	"time"
            )

            func main() {
            	for i := 0; i < 10000; i++ {
            		go func() {
            			runtime.LockOSThread()
            			time.Sleep(time.Hour)
            		}()
            	}
            	time.Sleep(time.Hour)
            }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(2, run.Final.ExitCode);
        Assert.Contains("failed to create new OS thread", run.Stderr, StringComparison.Ordinal);
        await AssertHealthyAfterAsync();
    }

    [Fact]
    public async Task Row04_MemoryBomb_Oom()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            func main() {
            	var chunks [][]byte
            	for i := 0; i < 1024; i++ {
            		c := make([]byte, 1<<20)
            		for j := range c {
            			c[j] = byte(j)
            		}
            		chunks = append(chunks, c)
            	}
            	println(len(chunks))
            }
            """);

        Assert.Equal(RunOutcome.Oom, run.Final.Outcome);
        Assert.Equal("Program ran out of memory (limit 256 MiB) and was killed.\n", run.Final.Data);
    }

    [Fact]
    public async Task Row05_FillTmp_EnospcAtTmpfsSizeAndNextRunSeesEmptyTmp()
    {
        var fill = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	chunk := make([]byte, 1<<20)
            	total := 0
            	for i := 0; ; i++ {
            		err := os.WriteFile(fmt.Sprintf("/tmp/fill-%d", i), chunk, 0o600)
            		if err != nil {
            			fmt.Println(err)
            			break
            		}
            		total += len(chunk)
            	}
            	fmt.Println(total >> 20)
            }
            """);
        var next = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	entries, err := os.ReadDir("/tmp")
            	fmt.Println(len(entries), err)
            }
            """);

        var lines = fill.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("no space left on device", lines[0], StringComparison.Ordinal);
        Assert.InRange(int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), 14, 16);
        Assert.Equal("0 <nil>\n", next.Stdout);
    }

    [Fact]
    public async Task Row06_CopyOfSelfInTmp_CannotBeExecuted()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"syscall"
            	"unsafe"
            )

            func main() {
            	self, _ := os.ReadFile("/proc/self/exe")
            	fmt.Println(os.WriteFile("/tmp/copy", self, 0o755))
            	fmt.Println(syscall.Exec("/tmp/copy", []string{"copy"}, nil))
            	// execveat with AT_EMPTY_PATH passes the filter; the noexec mount stops it.
            	fd, _ := syscall.Open("/tmp/copy", syscall.O_RDONLY, 0)
            	empty, _ := syscall.BytePtrFromString("")
            	argv, _ := syscall.SlicePtrFromStrings([]string{"copy"})
            	_, _, errno := syscall.Syscall6(322, uintptr(fd), uintptr(unsafe.Pointer(empty)), uintptr(unsafe.Pointer(&argv[0])), 0, 0x1000, 0)
            	fmt.Println(errno)
            }
            """);

        Assert.Equal("<nil>\noperation not permitted\npermission denied\n", run.Stdout);
    }

    [Fact]
    public async Task Row07_MemfdCreateAndExecveat_Denied()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"syscall"
            	"unsafe"
            )

            func main() {
            	name, _ := syscall.BytePtrFromString("x")
            	fd, _, errno := syscall.Syscall(319, uintptr(unsafe.Pointer(name)), 0, 0)
            	fmt.Println(int(fd), errno)
            }
            """);

        Assert.Equal("-1 operation not permitted\n", run.Stdout);
    }

    [Fact]
    public async Task Row08_OutputFlood_OutputLimitPromptly()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "os"

            func main() {
            	b := make([]byte, 64<<10)
            	for i := range b {
            		b[i] = 'y'
            	}
            	for {
            		os.Stderr.Write(b)
            	}
            }
            """);

        Assert.Equal(RunOutcome.OutputLimit, run.Final.Outcome);
        Assert.Equal(1 << 20, run.Stderr.Length);
        Assert.Equal("Program produced more than 1 MiB of output and was killed.\n", run.Final.Data);
        // The cap is reached within milliseconds of the start; the run must end within a second of it.
        Assert.True(run.Final.RunMs < 1500, $"run took {run.Final.RunMs} ms");
    }

    [Theory]
    [InlineData("for {}")]
    [InlineData("time.Sleep(time.Hour)")]
    public async Task Row09_RunsForever_TimeoutAtWallLimit(string body)
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:RunWallTime"] = "00:00:02" }).Runs;

        var run = await RunRecording.RunAsync(runs, "package main\n\nimport \"time\"\n\nvar _ = time.Now\n\nfunc main() { " + body + " }\n");

        Assert.Equal(RunOutcome.Timeout, run.Final.Outcome);
        Assert.Equal("Program exceeded the 2 s time limit and was killed.\n", run.Final.Data);
        Assert.InRange(run.Final.RunMs!.Value, 2000, 3500);
    }

    [Fact]
    public async Task Row09_SelectForever_GoDeadlockMessage()
    {
        var run = await RunRecording.RunAsync(_runs, "package main\n\nfunc main() { select {} }\n");

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(2, run.Final.ExitCode);
        Assert.Contains("fatal error: all goroutines are asleep - deadlock!", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row10_Network_EveryAttemptFails()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"net"
            	"time"
            )

            func main() {
            	for _, target := range []string{"1.1.1.1:80", "172.17.0.1:2375", "169.254.169.254:80", "[2606:4700::1111]:80"} {
            		_, err := net.DialTimeout("tcp", target, time.Second)
            		fmt.Println("tcp", target, err != nil)
            	}
            	u, err := net.Dial("udp", "8.8.8.8:53")
            	if err == nil {
            		_, err = u.Write([]byte("x"))
            	}
            	fmt.Println("udp", err != nil)
            	_, err = net.LookupHost("example.com")
            	fmt.Println("dns", err != nil)
            	// Listing interfaces needs a netlink socket, which the profile refuses.
            	ifaces, _ := net.Interfaces()
            	names := []string{}
            	for _, i := range ifaces {
            		names = append(names, i.Name)
            	}
            	fmt.Println("interfaces", names)
            }
            """);

        Assert.Equal(
            "tcp 1.1.1.1:80 true\ntcp 172.17.0.1:2375 true\ntcp 169.254.169.254:80 true\ntcp [2606:4700::1111]:80 true\nudp true\ndns true\ninterfaces []\n",
            run.Stdout);
    }

    [Fact]
    public async Task Row11_HostSecrets_AbsentOrDeniedAndNothingFromTheHost()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	for _, p := range []string{"/etc/shadow", "/proc/kcore", "/proc/1/environ", "/etc/hostname", "/etc/resolv.conf", "/var/run/docker.sock", "/root"} {
            		b, err := os.ReadFile(p)
            		fmt.Printf("%s %q %v\n", p, b, err != nil)
            	}
            	fw, _ := os.ReadDir("/sys/firmware")
            	fmt.Println("/sys/firmware", len(fw))
            }
            """);

        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/etc/shadow \"\" true", lines[0]);
        Assert.Equal("/proc/kcore \"\" true", lines[1]);
        // PID 1 is the engine's init; its environment holds only the engine's fixed defaults.
        Assert.Matches("^/proc/1/environ \"PATH=[^\"]*HOSTNAME=play\\\\x00HOME=/\\\\x00\" false$", lines[2]);
        Assert.Equal("/etc/hostname \"play\\n\" false", lines[3]);
        // The engine must not copy the host's resolver into the sandbox: empty or loopback only.
        Assert.Matches("^/etc/resolv.conf \"(nameserver 127\\.0\\.0\\.1\\\\n)?\" false$", lines[4]);
        Assert.Equal("/var/run/docker.sock \"\" true", lines[5]);
        Assert.Equal("/root \"\" true", lines[6]);
        Assert.Equal("/sys/firmware 0", lines[7]);
    }

    [Fact]
    public async Task Row11_Environment_ExactAllowList()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"strings"
            )

            func main() { fmt.Print(strings.Join(os.Environ(), "\n")) }
            """);

        Assert.Equal("HOME=/tmp\nTMPDIR=/tmp\nPATH=/\nTZ=UTC\nGOMAXPROCS=1", run.Stdout);
    }

    [Fact]
    public async Task Row12_KernelAttackSurface_Eperm()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"syscall"
            )

            func main() {
            	calls := []struct {
            		name string
            		nr   uintptr
            		a    [3]uintptr
            	}{
            		{"ptrace", 101, [3]uintptr{0, 0, 0}},             // PTRACE_TRACEME
            		{"mount", 165, [3]uintptr{0, 0, 0}},
            		{"umount2", 166, [3]uintptr{0, 0, 0}},
            		{"unshare", 272, [3]uintptr{0x10000000, 0, 0}},   // CLONE_NEWUSER
            		{"setns", 308, [3]uintptr{0, 0, 0}},
            		{"keyctl", 250, [3]uintptr{0, 0, 0}},
            		{"add_key", 248, [3]uintptr{0, 0, 0}},
            		{"bpf", 321, [3]uintptr{0, 0, 0}},
            		{"io_uring_setup", 425, [3]uintptr{8, 0, 0}},
            		{"userfaultfd", 323, [3]uintptr{0, 0, 0}},
            		{"perf_event_open", 298, [3]uintptr{0, 0, 0}},
            		{"personality", 135, [3]uintptr{0x0040000, 0, 0}}, // ADDR_NO_RANDOMIZE
            		{"raw socket", 41, [3]uintptr{2, 3, 1}},          // AF_INET, SOCK_RAW, ICMP
            		{"packet socket", 41, [3]uintptr{17, 3, 0}},      // AF_PACKET
            		{"netlink socket", 41, [3]uintptr{16, 3, 0}},     // AF_NETLINK
            	}
            	for _, c := range calls {
            		_, _, errno := syscall.RawSyscall(c.nr, c.a[0], c.a[1], c.a[2])
            		fmt.Println(c.name, errno == syscall.EPERM)
            	}
            }
            """);

        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(15, lines.Length);
        Assert.All(lines, line => Assert.EndsWith(" true", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Row13_ProcSelfStatus_NoNewPrivsNoCapsNobody()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"strings"
            )

            func main() {
            	b, _ := os.ReadFile("/proc/self/status")
            	for _, l := range strings.Split(string(b), "\n") {
            		for _, k := range []string{"NoNewPrivs:", "CapEff:", "CapPrm:", "CapBnd:", "Uid:", "Gid:", "Seccomp:"} {
            			if strings.HasPrefix(l, k) {
            				fmt.Println(strings.Join(strings.Fields(l), " "))
            			}
            		}
            	}
            }
            """);

        Assert.Contains("NoNewPrivs: 1\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapEff: 0000000000000000\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapPrm: 0000000000000000\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapBnd: 0000000000000000\n", run.Stdout, StringComparison.Ordinal);
        // A user id of its own from the runner range (not root, not any host account).
        var o = new SandboxOptions();
        var uid = int.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"Uid: (\d+) \1 \1 \1\n").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(uid, o.RunnerUserFirst, o.RunnerUserFirst + o.RunnerUserCount - 1);
        Assert.Contains($"Gid: {uid} {uid} {uid} {uid}\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp: 2\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row14_WriterStillPrintingWhenMainReturns_EndsPromptly()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"time"
            )

            func main() {
            	go func() {
            		for i := 0; ; i++ {
            			fmt.Println("tick", i)
            			time.Sleep(time.Millisecond)
            		}
            	}()
            	time.Sleep(200 * time.Millisecond)
            	fmt.Println("main returns")
            }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(0, run.Final.ExitCode);
        Assert.True(run.Final.RunMs < 1500, $"run took {run.Final.RunMs} ms");
        Assert.Equal(RunEventKind.Exit, run.Events[^1].Kind);
        Assert.Contains("main returns\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row15_TooManyOpenFiles_EmfileAtLimit()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            )

            func main() {
            	var files []*os.File
            	for {
            		f, err := os.Open("/proc/self/status")
            		if err != nil {
            			fmt.Println(len(files), err)
            			return
            		}
            		files = append(files, f)
            	}
            }
            """);

        var parts = run.Stdout.Split(' ', 2);
        Assert.InRange(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 240, 256);
        Assert.Equal("open /proc/self/status: too many open files\n", parts[1]);
    }

    [Fact]
    public async Task Row16_CompileTimeBomb_OutOfMemoryOrTimeoutAndBuilderStaysUsable()
    {
        // An 8 GiB slice literal: the compiler is killed for the builder's memory (this was
        // told as a build error with no message), or the build time runs out first.
        var run = await RunRecording.RunAsync(_runs, """
            package main

            var huge = []int{1 << 30: 1}

            func main() { println(len(huge)) }
            """);

        Assert.Contains(run.Final.Outcome, new RunOutcome?[] { RunOutcome.Oom, RunOutcome.BuildTimeout });
        Assert.Equal(RunEventKind.Error, run.Final.Kind);
        Assert.Matches("^(go build ran out of memory|timeout running go build)", run.Final.Data);
        await AssertHealthyAfterAsync();
    }

    [Fact]
    public async Task Row17_HugeBinary_RejectedAboveCap()
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:MaxBinaryBytes"] = (8L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) }).Runs;

        var run = await RunRecording.RunAsync(runs, """
            package main

            var blob = [12 << 20]byte{1, 2, 3}

            func main() { println(blob[1]) }
            """);

        Assert.Equal(RunOutcome.BuildError, run.Final.Outcome);
        Assert.Matches(@"^The program's binary is 1\d MiB, over the 8 MiB limit\.\n$", run.Final.Data);
    }

    [Theory]
    [InlineData("module play\n\ngo 1.99\n", null, "go.mod:3: go.mod requires go 1.99, newer than every Go version on this server (go1.27.")]
    [InlineData("module play\n\ngo 1.27\n", "1.26", "go.mod:3: go.mod requires go 1.27, but this run uses go1.26.")]
    // Go 1.21 and later read a toolchain line as advice (GOTOOLCHAIN=local: no download); 1.19 cannot.
    [InlineData("module play\n\ngo 1.19\n\ntoolchain go1.22.0\n", "host", "go.mod:5: toolchain lines need Go 1.21 or later; this run uses go1.19")]
    [InlineData("module play\n\ngo 1.19\n\nreplace example.com/x => ../outside\n", null, "go.mod:5: replace to ../outside points outside the submitted files.")]
    [InlineData("module play\n\ngo 1.19\n\nreplace (\n\texample.com/x => /etc\n)\n", null, "go.mod:6: replace to an absolute path (/etc) is not allowed")]
    // Three ways past a line-by-line reading: an escaped slash, a quoted "//" (not a comment
    // inside a string) and a block opened without a space.
    [InlineData("module play\n\ngo 1.19\n\nreplace example.com/x => \"\\x2fgoroot/src\"\n", null, "go.mod:5: replace to an absolute path (/goroot/src) is not allowed")]
    [InlineData("module play\n\ngo 1.19\n\nreplace example.com/x => \"//goroot/src\"\n", null, "go.mod:5: replace to an absolute path (//goroot/src) is not allowed")]
    [InlineData("module play\n\ngo 1.19\n\nreplace(\n\texample.com/x => ../../goroot/src\n)\n", null, "go.mod:6: replace to ../../goroot/src points outside the submitted files.")]
    public async Task Row18_GoModAskingForTheOutside_ClearBuildErrorBeforeBuilding(string goMod, string? goVersion, string expected)
    {
        if (goVersion == "host")
        {
            goVersion = (await ConfiguredToolchains.PrepareAsync(fixture.Create(), "host")).Images.GoVersion;
        }

        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string> { ["prog.go"] = "package main\n\nfunc main() {}\n", ["go.mod"] = goMod },
            GoVersion = goVersion,
        });

        var final = Assert.Single(run.Events);
        Assert.Equal(RunOutcome.BuildError, final.Outcome);
        Assert.StartsWith(expected, final.Data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("add_amd64.s", "TEXT ·add(SB),$0\n", ".s files are not supported")]
    [InlineData("hello.c", "int x;\n", ".c files are not supported")]
    [InlineData("blob.syso", "\x7fELF", ".syso files are not supported")]
    [InlineData("cgo.go", "package main\n\n// int x = 1;\nimport \"C\"\n", "cgo (import \"C\") is not supported")]
    [InlineData("cgo2.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"C\"\n)\n", "cgo (import \"C\") is not supported")]
    public async Task Row19_AssemblyCgoSyso_RejectedBeforeBuilding(string name, string body, string expected)
    {
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string> { ["prog.go"] = "package main\n\nfunc main() {}\n", [name] = body },
        });

        var final = Assert.Single(run.Events);
        Assert.Equal(RunOutcome.Rejected, final.Outcome);
        Assert.Contains(expected, final.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row20_OversizedOrHostileInput_RejectedBeforeAnyContainer()
    {
        var cases = new List<RunRequest>
        {
            new() { Source = "package main\nfunc main() {}\n//" + new string('x', 10_000_000) },
            new() { Files = Enumerable.Range(0, 10_000).ToDictionary(i => $"f{i}.go", _ => "package main\n") },
            new() { Files = new Dictionary<string, string> { ["../x.go"] = "package main\n" } },
            new() { Files = new Dictionary<string, string> { ["/etc/x.go"] = "package main\n" } },
            new() { Files = new Dictionary<string, string> { ["a/../../b.go"] = "package main\n" } },
            // A file that is also another's folder crashed the build agent (internal, with a path).
            new() { Files = new Dictionary<string, string> { ["prog.go"] = "package main\nfunc main() {}\n", ["a"] = "x", ["a/b.go"] = "package a\n" } },
        };
        var expected = new[]
        {
            "source too large (10000031 bytes exceeds limit of ",
            "too many files (10000 exceeds limit of 20)",
            "invalid file name \"../x.go\"",
            "invalid file name \"/etc/x.go\"",
            "invalid file name \"a/../../b.go\"",
            "conflict file/dir name \"a\" and \"a/b.go\"",
        };

        for (var i = 0; i < cases.Count; i++)
        {
            var run = await RunRecording.RunAsync(_runs, cases[i]);

            // Rejected outright: no building event, so no container was ever created.
            var final = Assert.Single(run.Events);
            Assert.Equal(RunOutcome.Rejected, final.Outcome);
            Assert.Contains(expected[i], final.Data, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ExitTrailer_ForgedOrReadFromTheLauncher_CannotEndTheRun()
    {
        // The launcher reports the program's end with a trailer carrying a per-run nonce
        // (Images/launcher/main.go). A program that prints a trailer of its own is just
        // output, and the nonce cannot be read from the launcher's memory or environment.
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"time"
            )

            func main() {
            	fmt.Print("\x00goplay-exit:00000000000000000000000000000000:000:0000000000\n")
            	fmt.Fprint(os.Stderr, "\x00goplay-exit:00000000000000000000000000000000:000:0000000000\n")
            	for _, f := range []string{"mem", "environ", "maps"} {
            		_, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", os.Getppid(), f))
            		fmt.Println(f, err != nil && os.IsPermission(err))
            	}
            	time.Sleep(200 * time.Millisecond)
            	fmt.Println("still running")
            	os.Exit(4)
            }
            """);

        Assert.Equal(
            "\0goplay-exit:00000000000000000000000000000000:000:0000000000\nmem true\nenviron true\nmaps true\nstill running\n",
            run.Stdout);
        Assert.Equal("\0goplay-exit:00000000000000000000000000000000:000:0000000000\n", run.Stderr);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(4, run.Final.ExitCode);
    }

    [Fact]
    public async Task Row21_HundredMegabytesOfStdin_CappedAndToldWhy()
    {
        var stdin = HundredMegabytes();

        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"io"
            	"os"
            )

            func main() {
            	n, err := io.Copy(io.Discard, os.Stdin)
            	fmt.Println(n, err)
            }
            """, new RunInput(RunInput.Utf8(stdin)));

        Assert.Equal("1048576 <nil>\n", run.Stdout);
        Assert.Contains("[goplay] stdin limit of 1 MiB reached", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, run.Final.ExitCode);
    }

    [Fact]
    public async Task Row25_GoWork_RefusedBeforeBuilding()
    {
        // A go.work's use and replace lines are read by the go command like go.mod's.
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string>
            {
                ["prog.go"] = "package main\n\nfunc main() {}\n",
                ["go.mod"] = "module play\n\ngo 1.19\n",
                ["go.work"] = "go 1.19\n\nuse .\n\nreplace example.com/x => /goroot/src\n",
            },
        });

        var final = Assert.Single(run.Events);
        Assert.Equal(RunOutcome.BuildError, final.Outcome);
        Assert.StartsWith("go.work: go.work files are not supported", final.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row22_AioReservingTheHostPool_Refused()
    {
        // fs.aio-max-nr is one pool for the whole host: a run that reserved it made io_setup
        // fail for every process, root included.
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"syscall"
            	"unsafe"
            )

            func main() {
            	var ctx uintptr
            	_, _, errno := syscall.Syscall(syscall.SYS_IO_SETUP, 65536, uintptr(unsafe.Pointer(&ctx)), 0)
            	fmt.Println(errno)
            }
            """);

        Assert.Equal("operation not permitted\n", run.Stdout);
        Assert.Equal(0, run.Final.ExitCode);
    }

    [Fact]
    public async Task Row23_InotifyInstancesHeldByOneRun_DoNotStarveAnother()
    {
        // Per-user kernel limits (here fs.inotify.max_user_instances, 128 by default) were
        // shared by every run: all ran as uid 65534.
        var hold = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var request = new RunRequest
        {
            Source = """
                package main

                import (
                	"fmt"
                	"io"
                	"os"
                	"syscall"
                )

                func main() {
                	n := 0
                	for ; n < 4096; n++ {
                		if _, err := syscall.InotifyInit1(0); err != nil {
                			break
                		}
                	}
                	fmt.Println("holding", n)
                	io.Copy(io.Discard, os.Stdin)
                }
                """,
        };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var holder = _runs.RunAsync(request, new RunInput(RunInput.Utf8(hold.Reader.ReadAllAsync())), limit.Token).GetAsyncEnumerator(limit.Token);
        var held = "";
        RunEvent? final = null;
        try
        {
            // The holder has taken every instance its user may have (or 4096) when it says so.
            while (!held.Contains('\n', StringComparison.Ordinal) && await holder.MoveNextAsync())
            {
                held += holder.Current.Kind == RunEventKind.Stdout ? holder.Current.Data : "";
                final = holder.Current.IsFinal ? holder.Current : null;
            }

            Assert.Null(final);
            Assert.Matches(@"^holding \d+\n$", held);

            var other = await RunRecording.RunAsync(_runs, """
                package main

                import (
                	"fmt"
                	"syscall"
                )

                func main() {
                	_, err := syscall.InotifyInit1(0)
                	fmt.Println(err)
                }
                """);
            Assert.Equal("<nil>\n", other.Stdout);
        }
        finally
        {
            hold.Writer.Complete();
            while (await holder.MoveNextAsync())
            {
                final = holder.Current;
            }

            await holder.DisposeAsync();
        }

        Assert.Equal(RunOutcome.Exited, final?.Outcome);
    }

    [Fact]
    public async Task Row24_BinaryAboveTheRunnersFileLimit_StillRuns()
    {
        // The launcher writes the program into a memory file under the runner's file-size
        // limit (16 MiB); a 21 MiB binary built, then its run hung for 100 s and ended internal.
        var run = await RunRecording.RunAsync(_runs, """
            package main

            var blob = [21 << 20]byte{1, 2, 3}

            func main() { println(len(blob), blob[2]) }
            """, limit: TimeSpan.FromSeconds(90));

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal("22020096 3\n", run.Stderr);
    }

    [Fact]
    public async Task Row26_SignalsAndLimitsAimedAtTheLauncher_Refused()
    {
        // The program shares its user with the launcher's parent, which reports how the run
        // ended: stopping that parent hung the run until the wall time, told as a timeout.
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"os/signal"
            	"syscall"
            	"unsafe"
            )

            func try(name string, trap uintptr, a ...uintptr) {
            	a = append(a, 0, 0, 0, 0)
            	_, _, errno := syscall.RawSyscall6(trap, a[0], a[1], a[2], a[3], 0, 0)
            	fmt.Println(name, uintptr(errno))
            }

            func main() {
            	parent := uintptr(os.Getppid())
            	stop := uintptr(syscall.SIGSTOP)
            	var info [128]byte
            	var zero [2]uint64
            	try("kill parent", syscall.SYS_KILL, parent, stop)
            	try("kill every process", syscall.SYS_KILL, ^uintptr(0), uintptr(syscall.SIGKILL))
            	try("kill own group", syscall.SYS_KILL, 0, stop)
            	try("kill init", syscall.SYS_KILL, 1, uintptr(syscall.SIGTERM))
            	try("tkill parent", syscall.SYS_TKILL, parent, stop)
            	try("tgkill parent", syscall.SYS_TGKILL, parent, parent, stop)
            	try("sigqueue parent", syscall.SYS_RT_SIGQUEUEINFO, parent, stop, uintptr(unsafe.Pointer(&info)))
            	try("tgsigqueue parent", 297, parent, parent, stop, uintptr(unsafe.Pointer(&info)))
            	dir, err := syscall.Open(fmt.Sprintf("/proc/%d", parent), syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
            	fmt.Println("open /proc/parent", err)
            	try("pidfd_send_signal parent", 424, uintptr(dir), stop)
            	try("prlimit parent cpu", syscall.SYS_PRLIMIT64, parent, 0, uintptr(unsafe.Pointer(&zero)))
            	var fds [2]int
            	syscall.Pipe(fds[:])
            	try("F_SETOWN parent", syscall.SYS_FCNTL, uintptr(fds[0]), 8, parent)
            	try("F_SETSIG", syscall.SYS_FCNTL, uintptr(fds[0]), 10, stop)

            	// Its own process stays reachable, through the os package too.
            	self := uintptr(os.Getpid())
            	try("kill self", syscall.SYS_KILL, self, 0)
            	try("tgkill self", syscall.SYS_TGKILL, self, self, 0)
            	try("F_SETOWN self", syscall.SYS_FCNTL, uintptr(fds[0]), 8, self)
            	var limit syscall.Rlimit
            	fmt.Println("getrlimit", syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit))
            	got := make(chan os.Signal, 1)
            	signal.Notify(got, syscall.SIGUSR1)
            	me, _ := os.FindProcess(os.Getpid())
            	fmt.Println("signal self", me.Signal(syscall.SIGUSR1), <-got)
            	os.Exit(3)
            }
            """);

        Assert.Equal("""
            kill parent 1
            kill every process 1
            kill own group 1
            kill init 1
            tkill parent 1
            tgkill parent 1
            sigqueue parent 1
            tgsigqueue parent 1
            open /proc/parent <nil>
            pidfd_send_signal parent 38
            prlimit parent cpu 1
            F_SETOWN parent 1
            F_SETSIG 1
            kill self 0
            tgkill self 0
            F_SETOWN self 0
            getrlimit <nil>
            signal self <nil> user defined signal 1

            """, run.Stdout);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(3, run.Final.ExitCode);
        Assert.True(run.Final.RunMs < 10_000, $"the run took {run.Final.RunMs} ms");
    }

    [Fact]
    public async Task Row27_CompilerOutOfMemory_ToldAsOom()
    {
        // A string constant doubled 26 times is 1 GiB once the compiler needs its length (Go
        // 1.27 refuses constants over 2e9 bytes, this one it tries to build). The compiler, killed for the builder's memory limit, printed nothing: the run read as a
        // clean build of a program with no output.
        var run = await RunRecording.RunAsync(SmallBuilders().Runs, new RunRequest { Source = "package main\n\n" + StringBomb(26) + "\nfunc main() { println(len(s26)) }\n" }, limit: TimeSpan.FromSeconds(120));

        Assert.True(run.Final.Outcome == RunOutcome.Oom, $"{run.Final.Outcome}: {run.Final.Data}");
        Assert.Equal("go build ran out of memory: this program needs more than the build limit of 384 MiB to build.\n", run.Final.Data);
        Assert.DoesNotContain(run.Events, e => e.Kind == RunEventKind.Built);
        await AssertHealthyAfterAsync();
    }

    [Fact]
    public async Task Row28_VetOutOfMemory_FindingsUnknownProgramRuns()
    {
        // go build leaves _test.go files out; go vet type-checks them, and runs out of memory.
        var run = await RunRecording.RunAsync(SmallBuilders().Runs, new RunRequest { Source = VetBomb, WithVet = true }, limit: TimeSpan.FromSeconds(120));

        var vet = Assert.Single(run.Events, e => e.Kind == RunEventKind.Vet);
        Assert.Equal("go vet ran out of memory: this program needs more than the build limit of 384 MiB to vet. Its findings are unknown.\n", vet.Data);
        Assert.True(vet.VetUnfinished);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal("built\n", run.Stderr);
    }

    [Fact]
    public async Task Row29_VetPastTheBuildTime_FindingsUnknownNeverNone()
    {
        // A vet that timed out was reported as no findings (VetOK) and cached.
        var sandbox = fixture.Create(new Dictionary<string, string?> { ["Sandbox:BuildTimeout"] = "00:00:04" });
        var run = await RunRecording.RunAsync(sandbox.Runs, new RunRequest { Source = VetBomb, WithVet = true }, limit: TimeSpan.FromSeconds(90));

        var vet = Assert.Single(run.Events, e => e.Kind == RunEventKind.Vet);
        Assert.Equal("timeout running go vet (limit 4 s, with the build): its findings are unknown\n", vet.Data);
        Assert.True(vet.VetUnfinished);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);

        // /vet alone says the same, not an empty (clean) answer.
        var files = SourceFiles.Resolve(new RunRequest { Source = VetBomb }, new SandboxOptions()).Files!;
        var answer = await sandbox.Services.GetRequiredService<IVetService>().VetAsync(files, null, "row29", CancellationToken.None);
        Assert.Equal("timeout running go vet (limit 4 s, with the build): its findings are unknown\n", answer);
    }

    /// <summary>
    /// Builders with less memory and more time than the defaults: the bombs below grow by
    /// about 65 MB a second, and would reach 1 GiB only after the default 15 s build limit.
    /// </summary>
    private SandboxInstance SmallBuilders() => fixture.Create(new Dictionary<string, string?>
    {
        ["Sandbox:BuilderMemoryBytes"] = (384L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:BuilderTmpfsBytes"] = (128L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:BuildTimeout"] = "00:01:00",
    });

    /// <summary>
    /// A program that builds and runs, with a test file whose type-check needs gigabytes: go
    /// vet compares two constant strings of 1 GiB and 512 MiB byte by byte.
    /// </summary>
    private static readonly string VetBomb =
        "-- prog.go --\npackage main\n\nfunc main() { println(\"built\") }\n-- bomb_test.go --\npackage main\n\n" + StringBomb(26) + "\nconst less = s26 < s25\n";

    /// <summary>Constants s0 … s<paramref name="doublings"/>, each twice the one before, from 16 bytes.</summary>
    private static string StringBomb(int doublings) =>
        "const s0 = \"0123456789abcdef\"\n" + string.Concat(Enumerable.Range(1, doublings).Select(i => $"const s{i} = s{i - 1} + s{i - 1}\n"));

    private static async IAsyncEnumerable<string> HundredMegabytes()
    {
        var chunk = new string('z', 1 << 20);
        for (var i = 0; i < 100; i++)
        {
            yield return chunk;
            await Task.Yield();
        }
    }

    /// <summary>After a hostile run, an ordinary program still builds and runs normally.</summary>
    private async Task AssertHealthyAfterAsync()
    {
        var run = await RunRecording.RunAsync(_runs, "package main\n\nfunc main() { println(\"ok\") }\n");
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal("ok\n", run.Stderr);
    }
}
