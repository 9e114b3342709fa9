using Playground.Sandbox.Tests.Infrastructure;

namespace Playground.Sandbox.Tests.Security;

/// <summary>The launcher's filter against syscall numbers of other ABIs: the process is killed (SIGSYS, exit 159).</summary>
[Collection(DockerTests.Name)]
public sealed class LauncherFilterTests(SandboxFixture fixture)
{
    private const int KilledBySigsys = 128 + 31;

    [Fact]
    public async Task X32SyscallNumber_ProcessKilled()
    {
        var run = await RunRecording.RunAsync(fixture.Create().Runs, """
            package main

            import (
            	"fmt"
            	"os"
            	"syscall"
            )

            func main() {
            	fmt.Println("before")
            	os.Stdout.Sync()
            	// getpid through the x32 ABI: bit 30 set on the x86_64 number.
            	syscall.RawSyscall(39|0x40000000, 0, 0, 0)
            	fmt.Println("survived")
            }
            """);

        Assert.Equal("before\n", run.Stdout);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.Equal(KilledBySigsys, run.Final.ExitCode);
    }

    [Fact]
    public async Task I386Int80_ProcessKilled()
    {
        var run = await RunRecording.RunAsync(fixture.Create().Runs, """
            package main

            import (
            	"fmt"
            	"syscall"
            	"unsafe"
            )

            func main() {
            	// mov eax, 20 (getpid in the i386 table); int 0x80; ret
            	code, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
            	if err != nil {
            		fmt.Println("mmap:", err)
            		return
            	}
            	copy(code, []byte{0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3})
            	fv := &struct{ fn uintptr }{uintptr(unsafe.Pointer(&code[0]))}
            	f := *(*func())(unsafe.Pointer(&fv))
            	fmt.Println("before")
            	f()
            	fmt.Println("survived")
            }
            """);

        // The i386 call never returns to the program. Where the kernel offers 32-bit entry, the
        // filter kills the process (SIGSYS). Some kernels (this project's VMs among them) fault
        // int 0x80 before seccomp sees it: the Go runtime then dies of SIGSEGV at that instruction.
        Assert.Equal("before\n", run.Stdout);
        Assert.Equal(RunOutcome.Exited, run.Final.Outcome);
        Assert.True(
            run.Final.ExitCode == KilledBySigsys || (run.Final.ExitCode == 2 && run.Stderr.Contains("signal SIGSEGV", StringComparison.Ordinal)),
            $"exit {run.Final.ExitCode}: {run.Stderr}");
    }
}
