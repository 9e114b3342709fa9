using System.Text.Json;
using System.Text.Json.Nodes;

namespace Playground.Sandbox.Security;

/// <summary>
/// The seccomp allow-list passed to the engine (as JSON content, through the API) for
/// builder and runner containers. Anything not listed fails with EPERM; only x86_64 is
/// listed, so other architectures' syscalls are refused too.
/// </summary>
/// <remarks>
/// It follows the shape of the engine's default profile for an unprivileged container and
/// leaves out, on top of what that profile reserves for capabilities we drop anyway:
/// ptrace and process_vm_*, personality, keyctl, bpf, userfaultfd, perf_event_open,
/// io_uring_*, mount/umount, unshare/setns, and socket families other than unix and inet.
/// It also leaves out Linux AIO (io_setup and the rest): its contexts come from one host-wide
/// pool (fs.aio-max-nr), which one run could reserve whole, and Go never uses it. Pools that
/// are per user (inotify instances, message queue bytes) are kept apart by giving each runner
/// its own user id (Containers/RunnerUsers.cs).
/// The profile must allow execve and clone: runc applies it before it starts the
/// container's first process. Exec is denied to user code by the launcher's own filter.
/// </remarks>
public static class SeccompProfile
{
    private const int Eperm = 1;
    private const int Enosys = 38;

    // Namespace flags (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET):
    // clone is allowed only when none is set.
    private const long CloneNamespaceFlags = 0x7E020000;

    private const int AfUnix = 1;
    private const int AfInet = 2;
    private const int AfInet6 = 10;

    /// <summary>Syscalls allowed unconditionally, grouped by what they are for.</summary>
    internal static readonly IReadOnlyList<string> Allowed =
    [
        // Processes, threads, exec (see remarks) and exit
        "execve", "execveat", "fork", "vfork", "exit", "exit_group", "wait4", "waitid", "kill", "tkill", "tgkill",
        "getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setpgid", "setsid", "set_tid_address",
        "set_robust_list", "get_robust_list", "rseq", "arch_prctl", "prctl", "seccomp", "capget", "capset",
        "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
        "getrlimit", "setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority", "times", "umask", "uname",
        "sysinfo", "getcpu", "restart_syscall", "pidfd_open", "pidfd_send_signal", "membarrier",
        "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
        "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
        "sched_rr_get_interval", "sched_getattr", "sched_setattr", "ioprio_get", "ioprio_set",
        // Memory
        "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "mlock", "mlock2", "munlock",
        "mlockall", "munlockall", "remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect", "memfd_create",
        // Signals and time
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4", "pause", "alarm",
        "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
        "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "futex", "futex_waitv",
        // Files and directories
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "preadv2", "pwritev", "pwritev2",
        "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "dup", "dup2", "dup3", "fcntl",
        "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64", "readahead",
        "truncate", "ftruncate", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
        "access", "faccessat", "faccessat2", "getcwd", "chdir", "fchdir", "getdents", "getdents64",
        "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat",
        "symlink", "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
        "fchownat", "lchown", "utime", "utimes", "utimensat", "futimesat", "mknod", "mknodat",
        "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
        "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
        "copy_file_range", "sendfile", "splice", "tee", "vmsplice", "ioctl",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
        // Polling, pipes, events (no asynchronous I/O: see remarks)
        "pipe", "pipe2", "eventfd", "eventfd2", "poll", "ppoll", "select", "pselect6",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
        // System V and POSIX IPC (private to the container's IPC namespace)
        "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
        "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
        "mq_notify", "mq_getsetattr",
        // Sockets (creation is restricted by family below)
        "socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown", "getsockname", "getpeername",
        "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
        "getrandom",
    ];

    /// <summary>The profile as the JSON text the engine expects after <c>seccomp=</c>.</summary>
    public static string Json { get; } = Build();

    private static string Build()
    {
        var rules = new JsonArray
        {
            new JsonObject { ["names"] = Names(Allowed), ["action"] = "SCMP_ACT_ALLOW" },
            // Threads and vfork-style spawns, but no new namespaces.
            new JsonObject
            {
                ["names"] = Names(["clone"]),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray { Arg(0, CloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ") },
            },
            // ENOSYS, not EPERM, so runtimes fall back to clone.
            new JsonObject { ["names"] = Names(["clone3"]), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = Enosys },
        };
        foreach (var family in new[] { AfUnix, AfInet, AfInet6 })
        {
            rules.Add(new JsonObject
            {
                ["names"] = Names(["socket"]),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray { Arg(0, family, 0, "SCMP_CMP_EQ") },
            });
        }

        var profile = new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ERRNO",
            ["defaultErrnoRet"] = Eperm,
            ["architectures"] = new JsonArray { "SCMP_ARCH_X86_64" },
            ["syscalls"] = rules,
        };
        return profile.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static JsonArray Names(IEnumerable<string> names) => new(names.Select(n => (JsonNode)n).ToArray());

    private static JsonObject Arg(int index, long value, long valueTwo, string op) =>
        new() { ["index"] = index, ["value"] = value, ["valueTwo"] = valueTwo, ["op"] = op };
}
