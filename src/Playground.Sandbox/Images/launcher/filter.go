package main

// The exec-deny filter, as classic BPF over struct seccomp_data:
//
//	offset 0: int nr; offset 4: u32 arch; offset 16 + 8*i: u64 args[i] (little-endian)
//
// Foreign architectures and x32 syscall numbers kill the process; execve,
// fork, vfork, memfd_create and ptrace fail with EPERM; clone3 fails with
// ENOSYS so runtimes fall back to clone; clone is allowed only for threads;
// execveat only with AT_EMPTY_PATH (the launcher's own hand-off).
//
// Classic BPF cannot read the path argument, and the kernel ignores
// AT_EMPTY_PATH when the path is not empty, so execveat can still run an
// executable file by path. What is left to run: the program itself (its memfd),
// /launcher and the engine's init. memfd is denied and every writable mount is
// noexec, so nothing new can be created, and each of those inherits this filter:
// none of them can fork or exec anything else.
//
// The program shares its user with the launcher's parent, which waits for it and
// reports how it ended: a program that stopped or killed that parent hung its run
// until the wall-time limit, reported as a timeout. Signals therefore go only to the
// program's own process (kill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo name
// it; tkill only its main thread; pidfd_send_signal is ENOSYS, so Go falls back to
// kill); prlimit64 changes only its own limits (a parent's CPU limit set to zero
// kills it); and fcntl cannot choose the signal an fd's owner is sent (F_SETSIG,
// F_SETOWN_EX) or make another process that owner (F_SETOWN). Each compares the
// low 32 bits of the argument, which is all of a pid_t the kernel reads.

type sockFilter struct {
	code uint16
	jt   uint8
	jf   uint8
	k    uint32
}

const (
	bpfLdWAbs = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJeqK   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgeK   = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfJsetK  = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfRetK   = 0x06 // BPF_RET | BPF_K

	auditArchX86_64 = 0xc000003e
	x32SyscallBit   = 0x40000000

	retKillProcess = 0x80000000
	retErrno       = 0x00050000
	retAllow       = 0x7fff0000
	eperm          = 1
	enosys         = 38

	nrFcntl            = 72
	nrKill             = 62
	nrPtrace           = 101
	nrRtSigqueueinfo   = 129
	nrClone            = 56
	nrFork             = 57
	nrVfork            = 58
	nrExecve           = 59
	nrTkill            = 200
	nrTgkill           = 234
	nrRtTgsigqueueinfo = 297
	nrPrlimit64        = 302
	nrMemfdCreate      = 319
	nrExecveat         = 322
	nrPidfdSendSignal  = 424
	nrClone3           = 435

	fSetown   = 8
	fSetsig   = 10
	fSetownEx = 15

	cloneThread = 0x00010000
)

// program assembles classic BPF with named jump targets: jumps are forward only and
// resolved when the program is finished.
type program struct {
	code   []sockFilter
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	at     int
	target string
	isTrue bool
}

func (p *program) stmt(code uint16, k uint32) { p.code = append(p.code, sockFilter{code: code, k: k}) }

// jump compares the accumulator with k; an empty target means the next instruction.
func (p *program) jump(code uint16, k uint32, ifTrue, ifFalse string) {
	at := len(p.code)
	p.code = append(p.code, sockFilter{code: code, k: k})
	if ifTrue != "" {
		p.fixups = append(p.fixups, fixup{at, ifTrue, true})
	}
	if ifFalse != "" {
		p.fixups = append(p.fixups, fixup{at, ifFalse, false})
	}
}

func (p *program) label(name string) { p.labels[name] = len(p.code) }

func (p *program) finish() []sockFilter {
	for _, f := range p.fixups {
		distance := p.labels[f.target] - f.at - 1
		if _, ok := p.labels[f.target]; !ok || distance < 0 || distance > 255 {
			panic("filter jump out of range: " + f.target)
		}
		if f.isTrue {
			p.code[f.at].jt = uint8(distance)
		} else {
			p.code[f.at].jf = uint8(distance)
		}
	}
	return p.code
}

// filter builds the filter for a program whose process id is self.
func filter(self uint32) []sockFilter {
	p := &program{labels: map[string]int{}}
	p.stmt(bpfLdWAbs, 4)
	p.jump(bpfJeqK, auditArchX86_64, "", "kill")
	p.stmt(bpfLdWAbs, 0)
	p.jump(bpfJgeK, x32SyscallBit, "kill", "")

	for _, nr := range []uint32{nrExecve, nrFork, nrVfork, nrMemfdCreate, nrPtrace} {
		p.jump(bpfJeqK, nr, "eperm", "")
	}
	p.jump(bpfJeqK, nrClone3, "enosys", "")
	p.jump(bpfJeqK, nrPidfdSendSignal, "enosys", "")
	p.jump(bpfJeqK, nrClone, "clone", "")
	p.jump(bpfJeqK, nrExecveat, "execveat", "")
	for _, nr := range []uint32{nrKill, nrTkill, nrTgkill, nrRtSigqueueinfo, nrRtTgsigqueueinfo} {
		p.jump(bpfJeqK, nr, "first is self", "")
	}
	p.jump(bpfJeqK, nrPrlimit64, "prlimit64", "")
	p.jump(bpfJeqK, nrFcntl, "fcntl", "")
	p.label("allow")
	p.stmt(bpfRetK, retAllow)
	p.label("eperm")
	p.stmt(bpfRetK, retErrno|eperm)
	p.label("enosys")
	p.stmt(bpfRetK, retErrno|enosys)
	p.label("kill")
	p.stmt(bpfRetK, retKillProcess)

	// Jumps go forward only, so each check below ends in verdicts of its own.
	// clone: args[0] low word holds the flags.
	p.label("clone")
	p.stmt(bpfLdWAbs, 16)
	p.jump(bpfJsetK, cloneThread, "", "clone: no")
	p.stmt(bpfRetK, retAllow)
	p.label("clone: no")
	p.stmt(bpfRetK, retErrno|eperm)

	// execveat: args[4] low word holds the flags.
	p.label("execveat")
	p.stmt(bpfLdWAbs, 16+8*4)
	p.jump(bpfJsetK, atEmptyPath, "", "execveat: no")
	p.stmt(bpfRetK, retAllow)
	p.label("execveat: no")
	p.stmt(bpfRetK, retErrno|eperm)

	// fcntl(fd, cmd, arg): cmd is args[1], F_SETOWN's pid is args[2].
	p.label("fcntl")
	p.stmt(bpfLdWAbs, 16+8)
	p.jump(bpfJeqK, fSetsig, "fcntl: no", "")
	p.jump(bpfJeqK, fSetownEx, "fcntl: no", "")
	p.jump(bpfJeqK, fSetown, "", "fcntl: yes")
	p.stmt(bpfLdWAbs, 16+8*2)
	p.jump(bpfJeqK, 0, "fcntl: yes", "")
	p.jump(bpfJeqK, self, "fcntl: yes", "fcntl: no")
	p.label("fcntl: yes")
	p.stmt(bpfRetK, retAllow)
	p.label("fcntl: no")
	p.stmt(bpfRetK, retErrno|eperm)

	// prlimit64(0, …) is the caller itself; any other pid goes on to the next check.
	p.label("prlimit64")
	p.stmt(bpfLdWAbs, 16)
	p.jump(bpfJeqK, 0, "self: yes", "")

	// The target process (or, for tkill, thread) is args[0].
	p.label("first is self")
	p.stmt(bpfLdWAbs, 16)
	p.jump(bpfJeqK, self, "self: yes", "")
	p.stmt(bpfRetK, retErrno|eperm)
	p.label("self: yes")
	p.stmt(bpfRetK, retAllow)
	return p.finish()
}
