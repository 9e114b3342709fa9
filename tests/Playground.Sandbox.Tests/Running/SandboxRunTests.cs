using System.Diagnostics;
using System.Threading.Channels;
using Playground.Testing;
using Playground.Sandbox.Runs;
using Playground.Sandbox.Tests.Infrastructure;

namespace Playground.Sandbox.Tests.Running;

/// <summary>Runs real programs through the real engine and toolchain.</summary>
[Collection(DockerTests.Name)]
public sealed class SandboxRunTests(SandboxFixture fixture)
{
    private readonly IRunService _runs = fixture.Create().Runs;

    [Fact]
    public async Task Run_HelloWorld_StdoutThenExitedZero()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "fmt"

            func main() { fmt.Println("Hello, playground") }
            """);

        Assert.Equal([RunEventKind.Building, RunEventKind.Built, RunEventKind.Stdout, RunEventKind.Exit], run.Events.Select(e => e.Kind));
        Assert.Equal("Hello, playground\n", run.Stdout);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(0, run.Final.ExitCode);
        Assert.True(run.Final.BinaryBytes > 0);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_PeakMemory_ReportedFromTheProgramsOwnAccounting()
    {
        var small = await RunRecording.RunAsync(_runs, "package main\n\nfunc main() {}\n");
        var large = await RunRecording.RunAsync(_runs, """
            package main

            import "fmt"

            func main() {
            	b := make([]byte, 96<<20)
            	for i := range b {
            		b[i] = 1
            	}
            	fmt.Println(len(b))
            }
            """);

        Assert.Equal(RunOutcome.Exited, small.Final.Outcome);
        Assert.InRange(small.Final.PeakMemoryBytes ?? 0, 256 << 10, 16 << 20);
        Assert.Equal("100663296\n", large.Stdout);
        Assert.InRange(large.Final.PeakMemoryBytes ?? 0, 96L << 20, 200L << 20);
    }

    [Fact]
    public async Task Run_CompileError_BuildErrorWithRelativePositions()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            func main() {
            	x = 1
            }
            """);

        Assert.Equal(RunEventKind.Error, run.Final.Kind);
        Assert.Equal(RunOutcome.BuildError, run.Final.Outcome);
        Assert.Matches(@"^\./prog\.go:4:2: undefined: x\n$", run.Final.Data);
        Assert.DoesNotContain("# play", run.Final.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", run.Final.Data, StringComparison.Ordinal);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_OsExit3_ExitCode3()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "os"

            func main() { os.Exit(3) }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(3, run.Final.ExitCode);
    }

    [Fact]
    public async Task Run_Panic_ExitCode2WithPanicOnStderr()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            func main() { panic("boom") }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(2, run.Final.ExitCode);
        Assert.Contains("panic: boom", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stdout);
    }

    [Fact]
    public async Task Run_FatalSignal_Exited128PlusSignal()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "syscall"

            func main() { syscall.Kill(syscall.Getpid(), syscall.SIGKILL); select {} }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(128 + 9, run.Final.ExitCode);
    }

    [Fact]
    public async Task Run_InfiniteLoop_TimeoutAtWallLimit()
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:RunWallTime"] = "00:00:03" }).Runs;

        var run = await RunRecording.RunAsync(runs, """
            package main

            func main() { for {} }
            """);

        Assert.Equal(RunOutcome.Timeout, run.Final.Outcome);
        Assert.InRange(run.Final.RunMs!.Value, 3000, 5000);
        Assert.Contains("3 s time limit", run.Final.Data, StringComparison.Ordinal);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_BuildOverTimeLimit_BuildTimeout()
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:BuildTimeout"] = "00:00:00.050" }).Runs;

        var run = await RunRecording.RunAsync(runs, """
            package main

            import "fmt"

            func main() { fmt.Println("never built") }
            """);

        Assert.Equal(RunEventKind.Error, run.Final.Kind);
        Assert.Equal(RunOutcome.BuildTimeout, run.Final.Outcome);
        Assert.StartsWith("timeout running go build", run.Final.Data, StringComparison.Ordinal);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_TouchOneGiB_Oom()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "fmt"

            func main() {
            	b := make([]byte, 1<<30)
            	for i := 0; i < len(b); i += 4096 {
            		b[i] = 1
            	}
            	fmt.Println("survived", len(b))
            }
            """);

        Assert.Equal(RunOutcome.Oom, run.Final.Outcome);
        Assert.DoesNotContain("survived", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("out of memory", run.Final.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OutputFlood_OutputLimit()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import "os"

            func main() {
            	line := make([]byte, 1024)
            	for i := range line {
            		line[i] = 'x'
            	}
            	for {
            		os.Stdout.Write(line)
            	}
            }
            """);

        Assert.Equal(RunOutcome.OutputLimit, run.Final.Outcome);
        Assert.Equal(1 << 20, run.Stdout.Length);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_ExecForkAndNetwork_DeniedWhileProgramContinues()
    {
        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"fmt"
            	"net"
            	"os"
            	"os/exec"
            	"sync"
            	"syscall"
            	"time"
            )

            func main() {
            	fmt.Println("exec.Command:", exec.Command("/bin/true").Run())
            	fmt.Println("syscall.Exec:", syscall.Exec("/bin/true", []string{"true"}, nil))
            	_, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
            	fmt.Println("os.StartProcess:", err)
            	_, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
            	fmt.Println("fork:", errno)
            	_, _, errno = syscall.RawSyscall(syscall.SYS_VFORK, 0, 0, 0)
            	fmt.Println("vfork:", errno)
            	c, err := net.DialTimeout("tcp", "1.1.1.1:80", 2*time.Second)
            	fmt.Println("dial error:", err != nil, c == nil)
            	var wg sync.WaitGroup
            	sum := 0
            	var mu sync.Mutex
            	for i := 1; i <= 100; i++ {
            		wg.Add(1)
            		go func(n int) { defer wg.Done(); mu.Lock(); sum += n; mu.Unlock() }(i)
            	}
            	wg.Wait()
            	fmt.Println("goroutines:", sum)
            }
            """);

        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(0, run.Final.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("exec.Command: fork/exec /bin/true: operation not permitted", lines[0]);
        Assert.Equal("syscall.Exec: operation not permitted", lines[1]);
        Assert.Equal("os.StartProcess: fork/exec /bin/true: operation not permitted", lines[2]);
        Assert.Equal("fork: operation not permitted", lines[3]);
        Assert.Equal("vfork: operation not permitted", lines[4]);
        Assert.Equal("dial error: true true", lines[5]);
        Assert.Equal("goroutines: 5050", lines[6]);
    }

    [Fact]
    public async Task Run_Stdin_ProgramReadsUntilEof()
    {
        var stdin = Channel.CreateUnbounded<string>();
        await stdin.Writer.WriteAsync("alpha\nbeta\n");
        await stdin.Writer.WriteAsync("gamma\n");
        stdin.Writer.Complete();

        var run = await RunRecording.RunAsync(_runs, """
            package main

            import (
            	"bufio"
            	"fmt"
            	"os"
            )

            func main() {
            	s := bufio.NewScanner(os.Stdin)
            	n := 0
            	for s.Scan() {
            		n++
            		fmt.Println(n, s.Text())
            	}
            	fmt.Println("EOF after", n)
            }
            """, new RunInput(RunInput.Utf8(stdin.Reader.ReadAllAsync())));

        Assert.Equal("1 alpha\n2 beta\n3 gamma\nEOF after 3\n", run.Stdout);
        Assert.Equal(0, run.Final.ExitCode);
    }

    [Fact]
    public async Task Run_StdinOverCap_ProgramSeesEofAtCap()
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:StdinLimitBytes"] = "100000" }).Runs;
        var stdin = Channel.CreateUnbounded<string>();
        var chunk = new string('a', 9999) + "\n";
        for (var i = 0; i < 30; i++)
        {
            await stdin.Writer.WriteAsync(chunk);
        }

        stdin.Writer.Complete();

        var run = await RunRecording.RunAsync(runs, """
            package main

            import (
            	"fmt"
            	"io"
            	"os"
            )

            func main() {
            	b, err := io.ReadAll(os.Stdin)
            	fmt.Println(len(b), err)
            }
            """, new RunInput(RunInput.Utf8(stdin.Reader.ReadAllAsync())));

        Assert.Equal("100000 <nil>\n", run.Stdout);
    }

    [Fact]
    public async Task Run_Kill_KilledAndContainerRemoved()
    {
        using var kill = new CancellationTokenSource();
        var events = new List<RunEvent>();
        var request = new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = SleeperSource } };

        await foreach (var e in _runs.RunAsync(request, new RunInput(null, kill.Token), CancellationToken.None))
        {
            events.Add(e);
            if (e.Kind == RunEventKind.Stdout)
            {
                await kill.CancelAsync();
            }
        }

        Assert.Equal(RunOutcome.Killed, events[^1].Outcome);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task Run_Abandoned_ContainerGoneWithinOneSecond()
    {
        using var abandon = new CancellationTokenSource();
        var request = new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = SleeperSource } };
        var stopwatch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in _runs.RunAsync(request, RunInput.None, abandon.Token))
            {
                if (e.Kind == RunEventKind.Stdout)
                {
                    Assert.Single(await DockerCheck.ManagedContainersAsync());
                    stopwatch.Start();
                    await abandon.CancelAsync();
                }
            }
        });

        await DockerCheck.WaitForNoContainersAsync(TimeSpan.FromSeconds(5));
        var removedAfter = stopwatch.Elapsed;

        Assert.Empty(await DockerCheck.ManagedContainersAsync());
        Assert.True(removedAfter < TimeSpan.FromSeconds(1), $"container removed after {removedAfter.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Run_UnsafeFileName_RejectedBeforeAnyContainer()
    {
        var run = await RunRecording.RunAsync(_runs, new RunRequest { Files = new Dictionary<string, string> { ["../x.go"] = "package main" } });

        var final = Assert.Single(run.Events);
        Assert.Equal(RunOutcome.Rejected, final.Outcome);
        Assert.Equal("invalid file name \"../x.go\"", final.Data);
    }

    [Fact]
    public async Task Run_Args_PassedToProgram()
    {
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string>
            {
                ["prog.go"] = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Printf(\"%q\", os.Args[1:]) }\n",
            },
            Args = ["-n", "two words", "ü"],
        });

        Assert.Equal("[\"-n\" \"two words\" \"ü\"]", run.Stdout);
    }

    [Fact]
    public async Task Run_Playback_FakeClockSleepsCostNothingDelaysInNanoseconds()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string>
            {
                ["prog.go"] = """
                    package main

                    import (
                    	"fmt"
                    	"os"
                    	"time"
                    )

                    func main() {
                    	fmt.Println(time.Now())
                    	time.Sleep(time.Hour)
                    	fmt.Println("an hour later")
                    	fmt.Fprintln(os.Stderr, "to stderr")
                    	os.Exit(3)
                    }
                    """,
            },
            Mode = RunMode.Playback,
        });

        var output = run.Events.Where(e => e.Kind is RunEventKind.Stdout or RunEventKind.Stderr).ToList();
        Assert.Equal(
            [
                (RunEventKind.Stdout, "2009-11-10 23:00:00 +0000 UTC m=+0.000000001\n", 0L),
                (RunEventKind.Stdout, "an hour later\n", 3_600_000_000_000L),
                // The fake clock moves a nanosecond per write, so writes keep their order.
                (RunEventKind.Stderr, "to stderr\n", 1L),
            ],
            output.Select(e => (e.Kind, e.Data, e.DelayNs ?? -1)).ToList());
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(3, run.Final.ExitCode);
        // An hour of fake time in far less than the playback limit of wall time.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Run_PlaybackBusyLoop_TimeoutAtPlaybackLimit()
    {
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Files = new Dictionary<string, string> { ["prog.go"] = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"start\")\n\tfor {\n\t}\n}\n" },
            Mode = RunMode.Playback,
        });

        Assert.Equal("start\n", run.Stdout);
        Assert.Equal(RunOutcome.Timeout, run.Final.Outcome);
        Assert.Contains("5 s time limit", run.Final.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MultiFileTxtarWithGoMod_BuildsAllFiles()
    {
        var run = await RunRecording.RunAsync(_runs, new RunRequest
        {
            Source = """
                package main

                import (
                	"fmt"

                	"example.com/demo/greet"
                )

                func main() { fmt.Println(greet.Hello("txtar")) }
                -- go.mod --
                module example.com/demo

                go 1.19
                -- greet/greet.go --
                package greet

                func Hello(name string) string { return "hello, " + name }
                """,
        });

        Assert.Equal("hello, txtar\n", run.Stdout);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
    }

    private const string SleeperSource = """
        package main

        import (
        	"fmt"
        	"time"
        )

        func main() {
        	fmt.Println("started")
        	time.Sleep(time.Minute)
        }
        """;
}
