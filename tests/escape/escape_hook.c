/* escape_hook.c: hostile actions a fully jailed connection process attempts on request.
 *
 * Test-only (see escape_hook.h): linked into build/prong-test and build/prong-lab,
 * never into ./prong. Each action is one attack from SECURITY.md's list, made
 * with the raw system call where libc would hide it, so the outcome shows which
 * layer stopped it: an errno (permissions, the chroot, a seccomp errno rule,
 * Landlock, an rlimit) reported in the body, or a signal (seccomp's SIGSYS)
 * that only the supervisor's child-end log line can tell.
 * Must not: act on any path outside /__escape/. */
#include "escape_hook.h"
#include "escape_seams.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#define PREFIX "/__escape/"

struct parameters {
    long pid;        /* a sibling's or the supervisor's pid */
    char path[1024]; /* a path outside the root */
    char name[64];   /* the action */
    uint64_t value;  /* value=HEX: a word to look for */
};

static void say(int fd, const char *text)
{
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written <= 0)
            return;
        text += written;
        length -= (size_t)written;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* pid=N&path=P from the raw query; P is percent-decoded. */
static void read_parameters(const struct http_request *request, struct parameters *parameters)
{
    const char *query = request->query.data;
    size_t length = request->query.length;
    for (size_t i = 0; query && i < length;) {
        size_t end = i;
        while (end < length && query[end] != '&')
            end++;
        if (end - i > 4 && memcmp(query + i, "pid=", 4) == 0)
            parameters->pid = strtol(query + i + 4, NULL, 10);
        if (end - i > 6 && memcmp(query + i, "value=", 6) == 0)
            parameters->value = strtoull(query + i + 6, NULL, 16);
        if (end - i > 5 && memcmp(query + i, "path=", 5) == 0) {
            size_t out = 0;
            for (size_t j = i + 5; j < end && out + 1 < sizeof parameters->path; j++) {
                if (query[j] == '%' && j + 2 < end && hex_digit(query[j + 1]) >= 0 &&
                    hex_digit(query[j + 2]) >= 0) {
                    parameters->path[out++] =
                        (char)(hex_digit(query[j + 1]) * 16 + hex_digit(query[j + 2]));
                    j += 2;
                } else {
                    parameters->path[out++] = query[j];
                }
            }
            parameters->path[out] = '\0';
        }
        i = end + 1;
    }
}

static void report(int fd, long result, int error_number)
{
    char line[160];
    if (result < 0)
        snprintf(line, sizeof line, "result=errno %s %d\n",
                 strerrorname_np(error_number) ? strerrorname_np(error_number) : "?", error_number);
    else
        snprintf(line, sizeof line, "result=ok %ld\n", result);
    say(fd, line);
}

/* Read what an opened descriptor holds (to show a successful escape's loot). */
static long read_some(int file_fd, int client_fd)
{
    char data[128];
    ssize_t got = read(file_fd, data, sizeof data - 1);
    close(file_fd);
    if (got > 0) {
        data[got] = '\0';
        say(client_fd, "content=");
        say(client_fd, data);
        say(client_fd, "\n");
    }
    return got < 0 ? -1 : 0;
}

static long open_how(const char *path, uint64_t flags)
{
    struct open_how how = {.flags = flags, .mode = (flags & O_CREAT) ? 0600 : 0};
    return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

__attribute__((noinline)) static void overflow_stack(size_t count)
{
    char buffer[16];
    volatile size_t i;
    for (i = 0; i < count; i++)
        ((volatile char *)buffer)[i] = 'A';
    __asm__ volatile("" : : "r"(buffer) : "memory");
}

static uint64_t read_canary(void)
{
    uint64_t value;
    __asm__ volatile("movq %%fs:0x28, %0" : "=r"(value));
    return value;
}

/* The lent scoreboard slot's window is the one shared page among the image's
 * pages: the only one there an alias (mremap, old_size 0) can be made of.
 * Alias it pages long at a scratch mapping: one page is the process's own
 * slot (allowed); two would reach the next child's slot (seccomp refuses). */
static long alias_slot_window(unsigned long pages)
{
    extern char __data_start, _end;
    uintptr_t page = 4096, end = ((uintptr_t)&_end + page - 1) & ~(page - 1);
    void *scratch =
        mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED)
        return -1;
    for (uintptr_t p = (uintptr_t)&__data_start & ~(page - 1); p < end; p += page)
        if (syscall(SYS_mremap, p, 0UL, page, (unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED),
                    scratch) >= 0)
            return syscall(SYS_mremap, p, 0UL, pages * page,
                           (unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED), scratch) < 0
                       ? -1
                       : 0;
    errno = ENOENT;
    return -1;
}

/* One action; returns the system call's result (errno set when negative). */
static long attempt(const struct parameters *parameters, int client_fd)
{
    const char *action = parameters->name;
    pid_t target = (pid_t)parameters->pid;
    char content_path[1100];
    /* Reads go through openat2 without RESOLVE_ flags: the only open the jail
     * allows, and with no help from resolution rules, so the jail alone decides. */
    if (strcmp(action, "read-root-file") == 0) {
        long fd = open_how("index.html", O_RDONLY);
        return fd < 0 ? -1 : read_some((int)fd, client_fd);
    }
    if (strcmp(action, "open-absolute") == 0) {
        long fd = open_how(parameters->path, O_RDONLY);
        return fd < 0 ? -1 : read_some((int)fd, client_fd);
    }
    if (strcmp(action, "open-dotdot") == 0) {
        snprintf(content_path, sizeof content_path, "../../../../../../../..%s", parameters->path);
        long fd = open_how(content_path, O_RDONLY);
        return fd < 0 ? -1 : read_some((int)fd, client_fd);
    }
    if (strcmp(action, "open-write") == 0)
        return syscall(SYS_openat, AT_FDCWD, "index.html", O_WRONLY);
    if (strcmp(action, "open-create") == 0)
        return syscall(SYS_openat, AT_FDCWD, "escape-created", O_WRONLY | O_CREAT, 0600);
    if (strcmp(action, "open-tmpfile") == 0)
        return syscall(SYS_openat, AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0600);
    if (strcmp(action, "create-outside") == 0) {
        /* A new file beside the outside target, in a directory anyone may write
         * (mode 1777, like /tmp): permissions allow it, the jail must not. */
        const char *slash = strrchr(parameters->path, '/');
        int directory_length = slash ? (int)(slash - parameters->path) : 0;
        snprintf(content_path, sizeof content_path, "%.*s/escape-created", directory_length,
                 parameters->path);
        return open_how(content_path, O_WRONLY | O_CREAT | O_EXCL);
    }
    if (strcmp(action, "openat2-write") == 0)
        return open_how("index.html", O_WRONLY);
    if (strcmp(action, "write-root") == 0)
        return open_how("escape-written", O_WRONLY | O_CREAT);
    if (strcmp(action, "execve") == 0) {
        char *argv[] = {(char *)"/bin/sh", NULL};
        return syscall(SYS_execve, "/bin/sh", argv, NULL);
    }
    if (strcmp(action, "clone-newuser") == 0)
        return syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, NULL, NULL, 0L);
    if (strcmp(action, "clone3") == 0) {
        uint64_t arguments[11] = {0};
        arguments[4] = SIGCHLD; /* exit_signal */
        return syscall(SYS_clone3, arguments, sizeof arguments);
    }
    if (strcmp(action, "vfork") == 0)
        return syscall(SYS_vfork);
    if (strcmp(action, "socket-inet") == 0)
        return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    if (strcmp(action, "socket-unix") == 0)
        return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    if (strcmp(action, "connect-loopback") == 0) {
        struct sockaddr_in address = {.sin_family = AF_INET,
                                      .sin_port = htons((uint16_t)parameters->pid),
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return syscall(SYS_connect, client_fd, &address, sizeof address);
    }
    if (strcmp(action, "ptrace") == 0)
        return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, target, NULL, NULL);
    if (strcmp(action, "kill") == 0)
        return syscall(SYS_kill, target, SIGKILL);
    if (strcmp(action, "tgkill-abort") == 0)
        return syscall(SYS_tgkill, target, target, SIGABRT);
    if (strcmp(action, "tgkill-kill") == 0)
        return syscall(SYS_tgkill, target, target, SIGKILL);
    if (strcmp(action, "process-vm-readv") == 0) {
        char data[16];
        struct iovec local = {data, sizeof data}, remote = {(void *)0x400000, sizeof data};
        return syscall(SYS_process_vm_readv, target, &local, 1L, &remote, 1L, 0L);
    }
    if (strcmp(action, "prlimit-other") == 0) {
        struct rlimit none = {0, 0};
        return syscall(SYS_prlimit64, target, RLIMIT_CPU, &none, NULL);
    }
    /* The supervisor runs at nice -5 so that new connections are not starved
     * (supervisor.c); a jailed process must neither take that priority for
     * itself nor push the supervisor down, which needs no privilege between
     * processes of one user. */
    if (strcmp(action, "renice-other") == 0)
        return syscall(SYS_setpriority, PRIO_PROCESS, target, 19);
    if (strcmp(action, "raise-priority") == 0)
        return syscall(SYS_setpriority, PRIO_PROCESS, 0, -5);
    if (strcmp(action, "realtime") == 0) {
        struct sched_param first = {.sched_priority = 1};
        return syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &first);
    }
    if (strcmp(action, "raise-rlimit") == 0) {
        struct rlimit more = {1 << 20, 1 << 20};
        return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &more, NULL);
    }
    if (strcmp(action, "setuid-root") == 0)
        return syscall(SYS_setuid, 0);
    if (strcmp(action, "capset") == 0) {
        struct {
            uint32_t version;
            int pid;
        } header = {0x20080522, 0};
        uint32_t data[6] = {~0u, ~0u, 0, ~0u, ~0u, 0};
        return syscall(SYS_capset, &header, data);
    }
    if (strcmp(action, "replace-filter") == 0) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog program = {1, &allow};
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
    }
    if (strcmp(action, "prctl-filter") == 0) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog program = {1, &allow};
        return syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0L, 0L);
    }
    if (strcmp(action, "chroot") == 0)
        return syscall(SYS_chroot, "..");
    if (strcmp(action, "mount") == 0)
        return syscall(SYS_mount, "none", "/", "tmpfs", 0L, NULL);
    if (strcmp(action, "unshare-user") == 0)
        return syscall(SYS_unshare, CLONE_NEWUSER);
    if (strcmp(action, "mmap-exec") == 0)
        return syscall(SYS_mmap, NULL, 4096L, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1L, 0L);
    if (strcmp(action, "mprotect-exec") == 0) {
        static char page[8192] __attribute__((aligned(4096)));
        return syscall(SYS_mprotect, page, 4096L, PROT_READ | PROT_EXEC);
    }
    if (strcmp(action, "mremap-alias-own") == 0)
        return alias_slot_window(1);
    if (strcmp(action, "mremap-alias-next") == 0)
        return alias_slot_window(2);
    if (strcmp(action, "ioctl-tiocsti") == 0) {
        char byte = 'x';
        return syscall(SYS_ioctl, 0, TIOCSTI, &byte);
    }
    if (strcmp(action, "io-uring-setup") == 0) {
        char parameters_block[120] = {0};
        return syscall(SYS_io_uring_setup, 8, parameters_block);
    }
    if (strcmp(action, "bpf") == 0)
        return syscall(SYS_bpf, 0, NULL, 0);
    if (strcmp(action, "userfaultfd") == 0)
        return syscall(SYS_userfaultfd, 0);
    if (strcmp(action, "keyctl") == 0)
        return syscall(SYS_keyctl, 0, 0L, 0L, 0L, 0L);
    if (strcmp(action, "int80") == 0) {
        long result = 20; /* getpid on i386 */
        __asm__ volatile("int $0x80" : "+a"(result) : : "memory");
        return result;
    }
    if (strcmp(action, "x32") == 0)
        return syscall(SYS_getpid | 0x40000000);
    if (strcmp(action, "abort") == 0)
        abort();
    if (strcmp(action, "stack-smash") == 0) {
        overflow_stack(64);
        return 0;
    }
    if (strcmp(action, "segfault") == 0) {
        volatile int *nothing = NULL;
        return *nothing;
    }
    if (strcmp(action, "canary") == 0) {
        char line[64];
        snprintf(line, sizeof line, "canary=%016llx\n", (unsigned long long)read_canary());
        say(client_fd, line);
        return 0;
    }
    if (strcmp(action, "getpid") == 0)
        return syscall(SYS_getpid);
    struct seam_parameters seam = {action, parameters->pid, parameters->path, parameters->value};
    return escape_seams_attempt(&seam, client_fd);
}

bool escape_hook_handle(const struct http_request *request, int client_fd)
{
    size_t prefix = sizeof PREFIX - 1;
    if (request->path_length <= prefix || memcmp(request->path, PREFIX, prefix) != 0)
        return false;
    struct parameters parameters = {0};
    snprintf(parameters.name, sizeof parameters.name, "%s", request->path + prefix);
    read_parameters(request, &parameters);
    char line[128];
    say(client_fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
    snprintf(line, sizeof line, "pid=%ld\naction=%s\n", (long)getpid(), parameters.name);
    say(client_fd, line);
    errno = 0;
    long result = attempt(&parameters, client_fd);
    if (result == 0 &&
        strstr("fork clone-glibc-fork clone-newuser clone3 vfork", parameters.name) &&
        getpid() != (pid_t)strtol(line + 4, NULL, 10))
        _exit(0); /* a process the attack managed to create leaves at once */
    if (result == -2 && errno == EINVAL) {
        say(client_fd, "result=unknown-action\n");
        return true;
    }
    report(client_fd, result, errno);
    return true;
}
