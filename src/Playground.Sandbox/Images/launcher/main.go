// Command launcher is the entrypoint of the runner image. It reads the user's
// binary from stdin into a memfd, installs the exec-deny seccomp filter and
// hands over with execveat, so the filter is in force before the first
// instruction of user code. The rest of stdin stays in the pipe and becomes the
// program's stdin.
//
// It runs as two processes. The parent reads the hand-off, starts itself again
// as the child with the memfd as fd 3, waits for the program and reports how it
// ended; the child installs the filter and becomes the program. The report is a
// trailer on both stdout and stderr:
//
//	"\x00goplay-exit:" | 32 hex nonce | ":" | 3-digit status | ":" | 10-digit peak RSS in KiB | "\n"
//
// It lets the sandbox answer the moment the program ends instead of waiting for
// the engine to tear the container down (about 0.2 s here), and a trailer on
// each stream proves that all of that stream's output has arrived. The nonce
// comes from the hand-off, so the program cannot forge a trailer: it never sees
// the header, and the parent is non-dumpable, so its memory cannot be read
// through /proc. Status is the exit code, or 128+signal. The peak resident memory comes from
// the kernel's accounting of the child (wait4's rusage), so it is the program's own.
//
// Wire format on stdin (all integers big-endian):
//
//	"GPL2" | 16-byte nonce
//	       | uint32 argc | argc × (uint32 len | bytes)
//	       | uint32 envc | envc × (uint32 len | bytes)
//	       | uint64 size | binary | program stdin…
//
// The program's environment is exactly the list in the header: the container's
// own environment (PATH and HOSTNAME added by the engine) is not passed on.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"
)

const (
	maxArgs       = 256
	maxArgBytes   = 4096
	maxBinarySize = 1 << 30

	sysMemfdCreate = 319
	sysSeccomp     = 317
	sysExecveat    = 322

	prSetDumpable          = 4
	prSetNoNewPrivs        = 38
	seccompSetModeFilter   = 1
	seccompFilterFlagTsync = 1
	atEmptyPath            = 0x1000
	mfdCloexec             = 0x1

	// childArg as argv[1] selects the child role; argv[2:] are the program's arguments.
	childArg = "goplay-launcher-child"
	// programFd is where the child finds the memfd.
	programFd = 3
)

// exitLauncher is distinct from anything a Go program normally returns so the
// sandbox can tell a hand-off failure from the user's own exit code; the
// message on stderr says what failed.
const exitLauncher = 125

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goplay-launcher: "+format+"\n", args...)
	os.Exit(exitLauncher)
}

func readU32(r io.Reader) uint32 {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		fail("reading header: %v", err)
	}
	return binary.BigEndian.Uint32(b[:])
}

func readStrings(r io.Reader, count uint32) []string {
	out := make([]string, 0, count)
	for i := uint32(0); i < count; i++ {
		n := readU32(r)
		if n > maxArgBytes {
			fail("header string too long")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			fail("reading header: %v", err)
		}
		out = append(out, string(buf))
	}
	return out
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		child()
		return
	}
	parent()
}

// parent reads the hand-off, starts the child and reports the program's end.
func parent() {
	// First, before the nonce is in memory: a non-dumpable process's /proc/<pid>/mem
	// and friends are closed to other processes of the same user, such as the program.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0); errno != 0 {
		fail("prctl(DUMPABLE): %v", errno)
	}

	// os.Stdin is unbuffered, so ReadFull consumes exactly the header and the
	// binary and leaves the program's stdin in the pipe.
	in := os.Stdin
	var magic [4]byte
	if _, err := io.ReadFull(in, magic[:]); err != nil || string(magic[:]) != "GPL2" {
		fail("bad hand-off header")
	}
	var nonce [16]byte
	if _, err := io.ReadFull(in, nonce[:]); err != nil {
		fail("reading header: %v", err)
	}
	argc := readU32(in)
	if argc > maxArgs {
		fail("too many arguments")
	}
	args := readStrings(in, argc)
	envc := readU32(in)
	if envc > maxArgs {
		fail("too many environment variables")
	}
	env := readStrings(in, envc)
	var sz [8]byte
	if _, err := io.ReadFull(in, sz[:]); err != nil {
		fail("reading size: %v", err)
	}
	size := binary.BigEndian.Uint64(sz[:])
	if size == 0 || size > maxBinarySize {
		fail("bad binary size %d", size)
	}

	name, _ := syscall.BytePtrFromString("prog")
	fd, _, errno := syscall.RawSyscall(sysMemfdCreate, uintptr(unsafe.Pointer(name)), mfdCloexec, 0)
	if errno != 0 {
		fail("memfd_create: %v", errno)
	}
	mem := os.NewFile(fd, "prog")
	if _, err := io.CopyN(mem, in, int64(size)); err != nil {
		fail("receiving binary: %v", err)
	}

	// Signals the engine's init forwards go on to the program, as when it was PID 2.
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	pid, err := syscall.ForkExec("/proc/self/exe", append([]string{"prog", childArg}, args...), &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2, fd},
	})
	if err != nil {
		fail("starting the program: %v", err)
	}
	mem.Close()
	go func() {
		for sig := range signals {
			syscall.Kill(pid, sig.(syscall.Signal))
		}
	}()

	var status syscall.WaitStatus
	var usage syscall.Rusage
	for {
		_, err := syscall.Wait4(pid, &status, 0, &usage)
		if err != syscall.EINTR {
			break
		}
	}
	code := status.ExitStatus()
	if status.Signaled() {
		code = 128 + int(status.Signal())
	}
	peakKiB := usage.Maxrss
	if peakKiB < 0 || peakKiB > 9999999999 {
		peakKiB = 0
	}
	trailer := []byte(fmt.Sprintf("\x00goplay-exit:%x:%03d:%010d\n", nonce, code, peakKiB))
	os.Stdout.Write(trailer)
	os.Stderr.Write(trailer)
	os.Exit(code)
}

// child installs the filter and becomes the program.
func child() {
	// Everything from prctl to execveat must happen on one OS thread: the
	// filter is synchronised to all threads, but the exec replaces this one.
	runtime.LockOSThread()

	argv := append([]string{"prog"}, os.Args[2:]...)
	env := os.Environ()
	// The program must not inherit a descriptor of its own binary; execveat
	// opens the file before close-on-exec descriptors are closed.
	syscall.CloseOnExec(programFd)

	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); errno != 0 {
		fail("prctl(NO_NEW_PRIVS): %v", errno)
	}
	// The process id stays the same across execveat: this is the program's.
	prog := filter(uint32(syscall.Getpid()))
	fprog := struct {
		len    uint16
		_      [6]byte
		filter *sockFilter
	}{len: uint16(len(prog)), filter: &prog[0]}
	// With TSYNC, a thread that cannot be synchronised makes the call return that
	// thread's id with errno 0 and no filter installed: anything but 0 is a failure.
	if r1, _, errno := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFilterFlagTsync, uintptr(unsafe.Pointer(&fprog))); errno != 0 || r1 != 0 {
		fail("seccomp: result %d, %v", r1, errno)
	}

	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		fail("argv: %v", err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		fail("envp: %v", err)
	}
	empty, _ := syscall.BytePtrFromString("")
	_, _, errno := syscall.RawSyscall6(sysExecveat, programFd, uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), atEmptyPath, 0)
	fail("execveat: %v", errno)
}
