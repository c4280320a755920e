/*
 * broker-spawn-helper: starts target programs for the broker.
 *
 * The broker is a multi-threaded .NET process, where fork() is unsafe; this helper is a small
 * single-threaded process the broker starts once, so it may fork freely. For each request it
 * creates the program with clone3(CLONE_PARENT | CLONE_INTO_CGROUP): the program is born inside its
 * session's cgroup (nothing it starts can escape before a later move) and it is the broker's own
 * child, so the broker observes and reaps it with a pidfd and waitpid as before. Between fork and
 * exec, the child becomes a session leader, takes its terminal or pipes as stdio, switches to the
 * session's account (supplementary groups dropped, capabilities cleared, no new privileges),
 * refuses TIOCSTI through a seccomp filter, resets signals and closes every other descriptor.
 * Whatever fails before exec is reported to the broker as a stage and an errno.
 *
 * The broker talks to it over a Unix stream socket on fd 3 (see SpawnHelper.cs for the other side
 * of the protocol). When the broker goes away the socket reads end of file and the helper exits.
 *
 * Usage: broker-spawn-helper            (fd 3 is the broker's socket)
 *        broker-spawn-helper --exit     (exits 0 at once: the broker's probe of a session cgroup)
 *        broker-spawn-helper --legacy-clone   (never uses clone3, as on kernels or sandboxes without it)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BROKER_SOCKET 3
#define MAGIC 0x31485342u /* "BSH1" */
#define OP_SPAWN 1u
#define OP_CLEAN_ACCOUNT 2u

#define F_TERMINAL 0x01u       /* fds: [terminal, script?]; otherwise [stdin, stdout, stderr, script?] */
#define F_SCRIPT 0x02u         /* the last fd becomes fd 3 of the program */
#define F_SWITCH_ACCOUNT 0x04u /* become uid:gid with no supplementary groups and no capabilities */
#define F_TIOCSTI_OPTIONAL 0x08u /* the kernel refuses TIOCSTI itself: a missing seccomp is no failure */
#define F_SWEEP_SHARED 0x10u   /* cleaning: also remove the account's files in shared places and its IPC */

#define MAX_FDS 4
#define MAX_STRINGS_BYTES (16u * 1024u * 1024u)
#define EXEC_PATIENCE_MS 30000
#define MAX_SWEEP_DEPTH 8
#define MAX_WIPE_DEPTH 128

/* Stages reported with an errno; SpawnHelper.cs names them. */
enum stage {
    ST_OK = 0,
    ST_PROTOCOL = 1,
    ST_CGROUP = 2,
    ST_CLONE = 3,
    ST_CGROUP_MOVE = 4,
    ST_SIGNALS = 5,
    ST_SETSID = 6,
    ST_TERMINAL = 7,
    ST_STDIO = 8,
    ST_SCRIPT = 9,
    ST_GROUPS = 10,
    ST_GID = 11,
    ST_UID = 12,
    ST_CAPABILITIES = 13,
    ST_NO_NEW_PRIVS = 14,
    ST_SECCOMP = 15,
    ST_CHDIR = 16,
    ST_CLOSE = 17,
    ST_EXEC = 18,
    ST_TIMEOUT = 19,
    ST_KILL = 20,
    ST_HOME = 21,
    ST_SWEEP = 22,
};

struct request {
    uint32_t magic;
    uint32_t op;
    uint32_t flags;
    uint32_t uid;
    uint32_t gid;
    uint32_t umask;
    uint32_t argc;
    uint32_t envc;
    uint32_t strings_bytes;
};

struct reply {
    int32_t pid;
    int32_t stage;
    int32_t error;
    int32_t detail;
};

struct failure {
    int32_t stage;
    int32_t error;
};

struct job {
    const struct request *req;
    int fds[MAX_FDS];
    int nfds;
    const char *path;
    const char *cwd;
    const char *cgroup;
    char **argv;
    char **envp;
    char **dirs; /* cleaning: shared places to sweep */
    const char *home;
    int report; /* write end of the failure pipe, in the child */
    int go;     /* read end of the go pipe (legacy clone into a cgroup), or -1 */
};

static int legacy_clone;

static void close_quietly(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
}

/* ---------------------------------------------------------------- child side (after clone) */

static __attribute__((noreturn)) void child_fail(const struct job *job, int stage)
{
    struct failure f = { stage, errno };
    ssize_t ignored = write(job->report, &f, sizeof f);
    (void)ignored;
    _exit(127);
}

/* The kernel's struct sigaction (handler, flags, restorer, mask): the same on x86-64 and arm64. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

static int reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) {
        return -1;
    }
    /* The system call itself, not sigaction(3): the C library refuses to touch the two real-time signals it keeps
       for itself (32 and 33), and an ignored disposition of them would survive exec. */
    struct kernel_sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.handler = SIG_DFL;
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) {
            continue;
        }
        if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask) != 0) {
            return -1;
        }
    }
    return 0;
}

static int drop_capabilities(void)
{
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        return -1;
    }
    return (int)syscall(SYS_capset, &header, data);
}

static int switch_account(const struct job *job, int *stage)
{
    uid_t uid = (uid_t)job->req->uid;
    gid_t gid = (gid_t)job->req->gid;
    *stage = ST_GROUPS;
    if (setgroups(0, NULL) != 0) {
        return -1;
    }
    *stage = ST_GID;
    if (setresgid(gid, gid, gid) != 0) {
        return -1;
    }
    *stage = ST_UID;
    if (setresuid(uid, uid, uid) != 0) {
        return -1;
    }
    /* From a non-root account with capabilities (ambient, for a broker run that way) they would survive. */
    *stage = ST_CAPABILITIES;
    if (drop_capabilities() != 0) {
        return -1;
    }
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0) {
        return -1;
    }
    if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid || getgroups(0, NULL) != 0) {
        *stage = ST_UID;
        errno = EPERM;
        return -1;
    }
    return 0;
}

/*
 * TIOCSTI pushes bytes into a terminal's input queue as if typed: a program in a line-mode
 * session could make its own shell run a command the broker never decided. The filter refuses
 * that ioctl with EPERM for the native and compat system call tables; the command is compared in
 * its low 32 bits, as the kernel reads it (a filter on all 64 bits is bypassed with high bits set).
 */
static int refuse_tiocsti(void)
{
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_IOCTL 16
#define X32_IOCTL (0x40000000 | 514)
#define X32_COMMON_IOCTL (0x40000000 | 16)
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_IOCTL 54
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_IOCTL 29
#define X32_IOCTL NATIVE_IOCTL
#define X32_COMMON_IOCTL NATIVE_IOCTL
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_IOCTL 54
#else
#error "broker-spawn-helper: no seccomp filter for this architecture"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG1_LOW offsetof(struct seccomp_data, args[1])
#else
#define ARG1_LOW (offsetof(struct seccomp_data, args[1]) + 4)
#endif
    struct sock_filter code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 2, 0),
        /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 6, 0),
        /* 3 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_IOCTL, 5, 0),
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_IOCTL, 4, 0),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_COMMON_IOCTL, 3, 0),
        /* 8 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_IOCTL, 0, 2),
        /* 11 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LOW),
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
        /* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog program = { (unsigned short)(sizeof code / sizeof code[0]), code };
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}

/* Closes every descriptor from `first` up, except `keep` (the failure pipe, close-on-exec). */
static int close_from(int first, int keep)
{
    if (keep > first && syscall(SYS_close_range, (unsigned)first, (unsigned)(keep - 1), 0u) != 0) {
        goto slow;
    }
    if (syscall(SYS_close_range, (unsigned)(keep >= first ? keep + 1 : first), ~0u, 0u) != 0) {
        goto slow;
    }
    return 0;
slow:
    if (errno != ENOSYS) {
        return -1;
    }
    struct rlimit limit;
    long max = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (long)limit.rlim_cur : 65536;
    for (long fd = first; fd < max; fd++) {
        if (fd != keep) {
            close((int)fd);
        }
    }
    return 0;
}

static __attribute__((noreturn)) void run_program(const struct job *job)
{
    const struct request *req = job->req;
    if (reset_signals() != 0) {
        child_fail(job, ST_SIGNALS);
    }
    if (job->go >= 0) {
        /* Legacy clone: wait until the helper has moved this process into its cgroup. */
        char byte;
        if (read(job->go, &byte, 1) != 1) {
            child_fail(job, ST_CGROUP_MOVE);
        }
    }
    if (setsid() < 0) {
        child_fail(job, ST_SETSID);
    }
    if (req->flags & F_TERMINAL) {
        /* A session leader without a terminal takes this one as its controlling terminal. */
        if (ioctl(job->fds[0], TIOCSCTTY, 0) != 0) {
            child_fail(job, ST_TERMINAL);
        }
        for (int i = 0; i < 3; i++) {
            if (dup2(job->fds[0], i) < 0) {
                child_fail(job, ST_STDIO);
            }
        }
    } else {
        /* Received descriptors are all above 3 (0-2 and the socket were open), so no dup2 clobbers another's source. */
        for (int i = 0; i < 3; i++) {
            if (dup2(job->fds[i], i) < 0) {
                child_fail(job, ST_STDIO);
            }
        }
    }
    int first_closed = 3;
    if (req->flags & F_SCRIPT) {
        if (dup2(job->fds[job->nfds - 1], 3) < 0) {
            child_fail(job, ST_SCRIPT);
        }
        first_closed = 4;
    }
    umask((mode_t)req->umask);
    if (req->flags & F_SWITCH_ACCOUNT) {
        int stage;
        if (switch_account(job, &stage) != 0) {
            child_fail(job, stage);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        child_fail(job, ST_NO_NEW_PRIVS);
    }
    if (refuse_tiocsti() != 0 && !((req->flags & F_TIOCSTI_OPTIONAL) && (errno == EINVAL || errno == ENOSYS))) {
        child_fail(job, ST_SECCOMP);
    }
    if (job->cwd[0] != '\0' && chdir(job->cwd) != 0) {
        child_fail(job, ST_CHDIR);
    }
    if (close_from(first_closed, job->report) != 0) {
        child_fail(job, ST_CLOSE);
    }
    execve(job->path, job->argv, job->envp);
    child_fail(job, ST_EXEC);
}

/* ------------------------------------------------- cleaning an account's leftovers (as the account) */

static int wipe_at(int parent, const char *name, dev_t device, int depth);

/* Removes everything inside the directory `dir` (an open descriptor, consumed). Returns the number of failures. */
static int wipe_contents(int dir, dev_t device, int depth)
{
    int failures = 0;
    DIR *listing = fdopendir(dir);
    if (listing == NULL) {
        close_quietly(dir);
        return 1;
    }
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        failures += wipe_at(dirfd(listing), entry->d_name, device, depth + 1);
    }
    closedir(listing);
    return failures;
}

/* Removes `name` under `parent`, recursively for a directory, never following a symbolic link. */
static int wipe_at(int parent, const char *name, dev_t device, int depth)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno == ENOENT ? 0 : 1;
    }
    if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != device || depth > MAX_WIPE_DEPTH) {
            return 1;
        }
        int dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0 && errno == EACCES) {
            /* The account may have taken its own permissions away: give them back. */
            if (fchmodat(parent, name, 0700, 0) == 0) {
                dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            }
        }
        if (dir < 0) {
            return 1;
        }
        if ((st.st_mode & 0700) != 0700) {
            fchmod(dir, 0700);
        }
        int failures = wipe_contents(dir, device, depth);
        if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
            failures++;
        }
        return failures;
    }
    return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : 1;
}

/* In a shared place, removes what belongs to `uid`; looks for more inside world-writable directories. */
static int sweep(int dir, uid_t uid, dev_t device, int depth)
{
    int failures = 0;
    DIR *listing = fdopendir(dir);
    if (listing == NULL) {
        close_quietly(dir);
        return 0;
    }
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        struct stat st;
        if (fstatat(dirfd(listing), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        if (st.st_uid == uid) {
            failures += wipe_at(dirfd(listing), entry->d_name, st.st_dev, 0);
        } else if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH) && st.st_dev == device && depth < MAX_SWEEP_DEPTH) {
            int inner = openat(dirfd(listing), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (inner >= 0) {
                failures += sweep(inner, uid, device, depth + 1);
            }
        }
    }
    closedir(listing);
    return failures;
}

/* Removes the System V IPC objects `uid` owns, listed in /proc/sysvipc/{shm,msg,sem}. */
static int remove_ipc(uid_t uid)
{
    static const char *const files[] = { "/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem" };
    int failures = 0;
    for (int kind = 0; kind < 3; kind++) {
        FILE *table = fopen(files[kind], "re");
        if (table == NULL) {
            continue;
        }
        char line[1024];
        int uid_column = -1;
        if (fgets(line, sizeof line, table) != NULL) {
            int column = 0;
            for (char *save = NULL, *word = strtok_r(line, " \t\n", &save); word != NULL; word = strtok_r(NULL, " \t\n", &save), column++) {
                if (strcmp(word, "uid") == 0) {
                    uid_column = column;
                }
            }
        }
        while (uid_column >= 0 && fgets(line, sizeof line, table) != NULL) {
            long id = -1, owner = -1;
            int column = 0;
            for (char *save = NULL, *word = strtok_r(line, " \t\n", &save); word != NULL; word = strtok_r(NULL, " \t\n", &save), column++) {
                if (column == 1) {
                    id = strtol(word, NULL, 10);
                } else if (column == uid_column) {
                    owner = strtol(word, NULL, 10);
                }
            }
            if (id < 0 || owner != (long)uid) {
                continue;
            }
            int rc = kind == 0 ? shmctl((int)id, IPC_RMID, NULL) : kind == 1 ? msgctl((int)id, IPC_RMID, NULL) : semctl((int)id, 0, IPC_RMID);
            if (rc != 0 && errno != EINVAL && errno != EIDRM) {
                failures++;
            }
        }
        fclose(table);
    }
    return failures;
}

/* Whether a live (not zombie) process other than this one has `uid` as its real, effective, saved or file uid. */
static int account_has_processes(uid_t uid)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL) {
        return 1;
    }
    int found = 0;
    pid_t self = getpid();
    struct dirent *entry;
    while (!found && (entry = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long)self) {
            continue;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
        FILE *status = fopen(path, "re");
        if (status == NULL) {
            continue;
        }
        char line[256];
        int zombie = 0;
        long ids[4] = { -1, -1, -1, -1 };
        while (fgets(line, sizeof line, status) != NULL) {
            char state = 0;
            if (strncmp(line, "State:", 6) == 0 && sscanf(line + 6, " %c", &state) == 1) {
                zombie = state == 'Z' || state == 'X';
            } else if (strncmp(line, "Uid:", 4) == 0) {
                sscanf(line + 4, "%ld %ld %ld %ld", &ids[0], &ids[1], &ids[2], &ids[3]);
                break;
            }
        }
        fclose(status);
        for (int i = 0; i < 4 && !zombie; i++) {
            found |= ids[i] == (long)uid;
        }
    }
    closedir(proc);
    return found;
}

/*
 * Runs as the account itself, so that nothing the account planted (a symbolic link, a directory it
 * cannot leave) can make a privileged process touch anything but the account's own files. The exit
 * status is 0, or the stage that failed (the broker treats the account as unclean).
 */
static __attribute__((noreturn)) void clean_account(const struct job *job)
{
    const struct request *req = job->req;
    if (reset_signals() != 0) {
        _exit(ST_SIGNALS);
    }
    int stage;
    if (switch_account(job, &stage) != 0) {
        _exit(stage);
    }
    /* kill(-1) as the account reaches every process of the account and nothing else. Its result says nothing (it
       succeeds while any other process exists, signalled or not), so /proc tells when they are all gone. */
    int gone = 0;
    for (int attempt = 0; attempt < 2000 && !gone; attempt++) {
        if (kill(-1, SIGKILL) != 0 && errno != ESRCH) {
            _exit(ST_KILL);
        }
        gone = !account_has_processes((uid_t)req->uid);
        if (!gone) {
            struct timespec pause = { 0, 1000 * 1000 };
            nanosleep(&pause, NULL);
        }
    }
    if (!gone) {
        _exit(ST_KILL);
    }
    int failures = 0;
    if (job->home[0] != '\0') {
        int home = open(job->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (home < 0 || fstat(home, &st) != 0 || st.st_uid != req->uid) {
            _exit(ST_HOME);
        }
        fchmod(home, 0700);
        if (wipe_contents(home, st.st_dev, 0) != 0) {
            _exit(ST_HOME);
        }
        int again = open(job->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (again < 0 || mkdirat(again, "tmp", 0700) != 0) {
            _exit(ST_HOME);
        }
        close(again);
    }
    if (req->flags & F_SWEEP_SHARED) {
        for (char **dir = job->dirs; *dir != NULL; dir++) {
            int shared = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            struct stat st;
            if (shared >= 0 && fstat(shared, &st) == 0) {
                failures += sweep(shared, (uid_t)req->uid, st.st_dev, 0);
            } else {
                close_quietly(shared);
            }
        }
        failures += remove_ipc((uid_t)req->uid);
    }
    _exit(failures == 0 ? 0 : ST_SWEEP);
}

/* ------------------------------------------------------------------------------ helper side */

/* clone3 with CLONE_PARENT (and CLONE_INTO_CGROUP when a cgroup is given); the legacy path uses clone(2). */
static pid_t clone_child(int cgroup, int *moved_by_kernel)
{
    *moved_by_kernel = 0;
    if (!legacy_clone) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        /* With CLONE_PARENT the child's exit signal is the helper's own (SIGCHLD, to the broker); clone3 wants 0 here. */
        args.flags = CLONE_PARENT;
        if (cgroup >= 0) {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = (uint64_t)cgroup;
        }
        long pid = syscall(SYS_clone3, &args, sizeof args);
        *moved_by_kernel = pid >= 0 && cgroup >= 0;
        return (pid_t)pid;
    }
    return (pid_t)syscall(SYS_clone, (unsigned long)CLONE_PARENT, 0UL, 0UL, 0UL, 0UL);
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    ssize_t length = (ssize_t)strlen(text);
    ssize_t written = write(fd, text, (size_t)length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == length ? 0 : -1;
}

static struct reply start(struct job *job)
{
    struct reply reply = { 0, ST_OK, 0, 0 };
    int cgroup = -1;
    if (job->cgroup[0] != '\0') {
        cgroup = open(job->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgroup < 0) {
            reply.stage = ST_CGROUP;
            reply.error = errno;
            return reply;
        }
    }
    int report[2], go[2] = { -1, -1 };
    if (pipe2(report, O_CLOEXEC) != 0) {
        reply.stage = ST_CLONE;
        reply.error = errno;
        close_quietly(cgroup);
        return reply;
    }
    int use_go = cgroup >= 0 && legacy_clone;
    if (use_go && pipe2(go, O_CLOEXEC) != 0) {
        reply.stage = ST_CLONE;
        reply.error = errno;
        close(report[0]);
        close(report[1]);
        close_quietly(cgroup);
        return reply;
    }
    job->report = report[1];
    job->go = go[0];
    int moved = 0;
    pid_t pid = clone_child(cgroup, &moved);
    if (pid == 0) {
        if (job->req->op == OP_CLEAN_ACCOUNT) {
            clean_account(job);
        }
        run_program(job);
    }
    int clone_error = errno;
    close(report[1]);
    close_quietly(go[0]);
    if (pid < 0) {
        reply.stage = ST_CLONE;
        reply.error = clone_error;
        close(report[0]);
        close_quietly(go[1]);
        close_quietly(cgroup);
        return reply;
    }
    reply.pid = pid;
    if (cgroup >= 0 && !moved) {
        char procs[PATH_MAX];
        char number[32];
        snprintf(procs, sizeof procs, "%s/cgroup.procs", job->cgroup);
        snprintf(number, sizeof number, "%d", (int)pid);
        if (write_text(procs, number) != 0) {
            reply.stage = ST_CGROUP_MOVE;
            reply.error = errno;
            kill(pid, SIGKILL);
            close(go[1]);
            close(report[0]);
            close(cgroup);
            return reply;
        }
        char byte = 1;
        if (write(go[1], &byte, 1) != 1) {
            reply.stage = ST_CGROUP_MOVE;
            reply.error = errno;
            kill(pid, SIGKILL);
        }
    }
    close_quietly(go[1]);
    close_quietly(cgroup);
    if (job->req->op == OP_CLEAN_ACCOUNT || reply.stage != ST_OK) {
        /* A cleaning reports through its exit status, which the broker reads when it reaps it. */
        close(report[0]);
        return reply;
    }
    /* The failure pipe closes at exec (success) or carries the stage that failed. */
    struct pollfd wait_for = { report[0], POLLIN, 0 };
    int ready;
    do {
        ready = poll(&wait_for, 1, EXEC_PATIENCE_MS);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
        kill(pid, SIGKILL);
        reply.stage = ST_TIMEOUT;
        reply.error = ETIMEDOUT;
        close(report[0]);
        return reply;
    }
    struct failure failure;
    ssize_t got;
    do {
        got = read(report[0], &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof failure) {
        reply.stage = failure.stage;
        reply.error = failure.error;
    }
    close(report[0]);
    return reply;
}

static int read_fully(int fd, void *buffer, size_t length)
{
    char *p = buffer;
    while (length > 0) {
        ssize_t got = read(fd, p, length);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return -1;
        }
        p += got;
        length -= (size_t)got;
    }
    return 0;
}

/* Reads the header and the descriptors sent with it. Returns 0, 1 at end of file, -1 on error. */
static int receive_header(struct request *req, int *fds, int *nfds)
{
    char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct iovec iov = { req, sizeof *req };
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got;
    do {
        got = recvmsg(BROKER_SOCKET, &message, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got == 0) {
        return 1;
    }
    if (got < 0) {
        return -1;
    }
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (*nfds < MAX_FDS) {
                    fds[(*nfds)++] = fd;
                } else {
                    close(fd);
                }
            }
        }
    }
    if (message.msg_flags & MSG_CTRUNC) {
        return -1;
    }
    if ((size_t)got < sizeof *req && read_fully(BROKER_SOCKET, (char *)req + got, sizeof *req - (size_t)got) != 0) {
        return -1;
    }
    return 0;
}

/* Splits `count` NUL-terminated strings off `*cursor`; NULL when the block holds fewer. */
static char **take_strings(char **cursor, const char *end, uint32_t count)
{
    char **list = calloc((size_t)count + 1, sizeof *list);
    if (list == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        char *nul = memchr(*cursor, '\0', (size_t)(end - *cursor));
        if (nul == NULL) {
            free(list);
            return NULL;
        }
        list[i] = *cursor;
        *cursor = nul + 1;
    }
    return list;
}

static int send_reply(const struct reply *reply)
{
    const char *p = (const char *)reply;
    size_t left = sizeof *reply;
    while (left > 0) {
        ssize_t sent = send(BROKER_SOCKET, p, left, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return -1;
        }
        p += sent;
        left -= (size_t)sent;
    }
    return 0;
}

/* One request: returns 0 to go on, 1 at the broker's end of file, -1 when the stream cannot be trusted any more. */
static int serve_one(void)
{
    struct request req;
    struct job job;
    memset(&job, 0, sizeof job);
    job.req = &req;
    job.report = -1;
    job.go = -1;
    int status = receive_header(&req, job.fds, &job.nfds);
    if (status != 0) {
        for (int i = 0; i < job.nfds; i++) {
            close(job.fds[i]);
        }
        return status;
    }
    struct reply reply = { 0, ST_PROTOCOL, EPROTO, 0 };
    char *strings = NULL;
    int result = 0;
    if (req.magic != MAGIC || req.strings_bytes > MAX_STRINGS_BYTES || req.argc > 1u << 20 || req.envc > 1u << 20) {
        result = -1;
        goto done;
    }
    strings = malloc((size_t)req.strings_bytes + 1);
    if (strings == NULL || read_fully(BROKER_SOCKET, strings, req.strings_bytes) != 0) {
        result = -1;
        goto done;
    }
    strings[req.strings_bytes] = '\0';
    char *cursor = strings;
    const char *end = strings + req.strings_bytes;
    if (req.op == OP_SPAWN) {
        int wanted = ((req.flags & F_TERMINAL) ? 1 : 3) + ((req.flags & F_SCRIPT) ? 1 : 0);
        char **fixed = take_strings(&cursor, end, 3);
        if (fixed == NULL) {
            goto done;
        }
        job.path = fixed[0];
        job.cwd = fixed[1];
        job.cgroup = fixed[2];
        free(fixed);
        job.argv = take_strings(&cursor, end, req.argc);
        job.envp = take_strings(&cursor, end, req.envc);
        if (job.nfds != wanted || job.argv == NULL || job.envp == NULL || req.argc == 0) {
            goto done;
        }
        reply = start(&job);
    } else if (req.op == OP_CLEAN_ACCOUNT) {
        char **fixed = take_strings(&cursor, end, 1);
        if (fixed == NULL) {
            goto done;
        }
        job.home = fixed[0];
        free(fixed);
        job.dirs = take_strings(&cursor, end, req.argc);
        job.path = "";
        job.cwd = "";
        job.cgroup = "";
        /* kill(-1) as root, or as the helper's own account, would reach far more than one account's leftovers. */
        if (job.nfds != 0 || job.dirs == NULL || !(req.flags & F_SWITCH_ACCOUNT) || req.uid == 0 || req.gid == 0 || req.uid == getuid()) {
            goto done;
        }
        reply = start(&job);
    }
done:
    for (int i = 0; i < job.nfds; i++) {
        close(job.fds[i]);
    }
    free(job.argv);
    free(job.envp);
    free(job.dirs);
    free(strings);
    if (send_reply(&reply) != 0) {
        return -1;
    }
    return result;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--exit") == 0) {
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--legacy-clone") == 0) {
        legacy_clone = 1;
    } else if (argc != 1) {
        fprintf(stderr, "usage: broker-spawn-helper [--exit | --legacy-clone] (started by the broker with its socket on fd 3)\n");
        return 2;
    }
    struct stat st;
    if (fstat(BROKER_SOCKET, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "broker-spawn-helper: fd 3 is not the broker's socket; this program is started by the broker\n");
        return 2;
    }
    /* Descriptors received from the broker must never land on 0-2, where a child's dup2 would clobber them. */
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
            return 1;
        }
    }
    /* No PR_SET_PDEATHSIG: it fires when the broker thread that started the helper ends, and .NET retires pool
       threads. The helper leaves when its socket reads end of file, which happens when the broker process is gone. */
    /* clone3 with too small a size is EINVAL where it exists; some container runtimes' seccomp profiles answer
       ENOSYS, and then clone(2) with a move before the child may run is used instead. */
    if (!legacy_clone && syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS) {
        legacy_clone = 1;
    }
    for (;;) {
        int status = serve_one();
        if (status != 0) {
            return status > 0 ? 0 : 1;
        }
    }
}
