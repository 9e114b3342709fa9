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

	nrPtrace      = 101
	nrClone       = 56
	nrFork        = 57
	nrVfork       = 58
	nrExecve      = 59
	nrMemfdCreate = 319
	nrExecveat    = 322
	nrClone3      = 435

	cloneThread = 0x00010000
)

func stmt(code uint16, k uint32) sockFilter { return sockFilter{code: code, k: k} }

func jump(code uint16, k uint32, jt, jf uint8) sockFilter {
	return sockFilter{code: code, jt: jt, jf: jf, k: k}
}

func filter() []sockFilter {
	denied := []uint32{nrExecve, nrFork, nrVfork, nrMemfdCreate, nrPtrace}
	var p []sockFilter
	p = append(p,
		stmt(bpfLdWAbs, 4),
		jump(bpfJeqK, auditArchX86_64, 1, 0),
		stmt(bpfRetK, retKillProcess),
		stmt(bpfLdWAbs, 0),
		jump(bpfJgeK, x32SyscallBit, 0, 1),
		stmt(bpfRetK, retKillProcess),
	)
	// Each denied number jumps forward to the shared EPERM return that
	// follows the list; the distances are counted from the next instruction.
	n := len(denied)
	for i, nr := range denied {
		// Remaining checks after this one, then: clone3 check (1), clone (1),
		// execveat (1), allow (1), then EPERM is the next instruction.
		toEperm := uint8(n - 1 - i + 4)
		p = append(p, jump(bpfJeqK, nr, toEperm, 0))
	}
	p = append(p,
		jump(bpfJeqK, nrClone3, 4, 0),   // -> ENOSYS
		jump(bpfJeqK, nrClone, 4, 0),    // -> clone flags check
		jump(bpfJeqK, nrExecveat, 7, 0), // -> execveat flags check
		stmt(bpfRetK, retAllow),
		stmt(bpfRetK, retErrno|eperm),  // EPERM
		stmt(bpfRetK, retErrno|enosys), // ENOSYS
		// clone: args[0] low word holds the flags.
		stmt(bpfLdWAbs, 16),
		jump(bpfJsetK, cloneThread, 0, 1),
		stmt(bpfRetK, retAllow),
		stmt(bpfRetK, retErrno|eperm),
		// execveat: args[4] low word holds the flags.
		stmt(bpfLdWAbs, 16+8*4),
		jump(bpfJsetK, atEmptyPath, 0, 1),
		stmt(bpfRetK, retAllow),
		stmt(bpfRetK, retErrno|eperm),
	)
	return p
}
