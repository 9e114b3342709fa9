using Playground.Sandbox.Tests.Infrastructure;
using Playground.Testing;

namespace Playground.Sandbox.Tests.Security;

[Collection(DockerTests.Name)]
public sealed class IsolationTests(SandboxFixture fixture)
{
    private const string Prober = """
        package main

        import (
        	"fmt"
        	"os"
        	"sort"
        	"strings"
        	"time"
        )

        func main() {
        	me := os.Args[1]
        	os.WriteFile("/tmp/marker-"+me, []byte(me), 0o600)
        	// Both runs are alive at the same time while they look around.
        	time.Sleep(1500 * time.Millisecond)
        	entries, _ := os.ReadDir("/tmp")
        	files := []string{}
        	for _, e := range entries {
        		files = append(files, e.Name())
        	}
        	procs, _ := os.ReadDir("/proc")
        	cmds := []string{}
        	for _, p := range procs {
        		if b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline"); err == nil && p.Name()[0] >= '0' && p.Name()[0] <= '9' {
        			cmds = append(cmds, strings.Split(string(b), "\x00")[0])
        		}
        	}
        	sort.Strings(cmds)
        	fmt.Println(strings.Join(files, ","))
        	fmt.Println(strings.Join(cmds, ","))
        }
        """;

    [Fact]
    // The engine's init, the launcher waiting to report the program's end, and the program.
    public async Task ConcurrentRuns_SeeOnlyTheirOwnFilesAndProcesses()
    {
        var runs = fixture.Create().Runs;

        var results = await Task.WhenAll(
            RunRecording.RunAsync(runs, new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = Prober }, Args = ["a"] }),
            RunRecording.RunAsync(runs, new RunRequest { Files = new Dictionary<string, string> { ["prog.go"] = Prober }, Args = ["b"] }));

        Assert.Equal("marker-a\n/launcher,/sbin/docker-init,prog\n", results[0].Stdout);
        Assert.Equal("marker-b\n/launcher,/sbin/docker-init,prog\n", results[1].Stdout);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }

    [Fact]
    public async Task UnknownRuntime_FailsClosedWithClearReason()
    {
        var runs = fixture.Create(new Dictionary<string, string?> { ["Sandbox:Runtime"] = "no-such-runtime" }).Runs;

        var run = await RunRecording.RunAsync(runs, "package main\n\nfunc main() { println(\"must not run\") }\n");

        var final = Assert.Single(run.Events);
        Assert.Equal(RunOutcome.Internal, final.Outcome);
        Assert.StartsWith("The sandbox is not ready: The configured container runtime 'no-such-runtime' is not available on this engine", final.Data, StringComparison.Ordinal);
        Assert.Empty(await DockerCheck.ManagedContainersAsync());
    }
}
