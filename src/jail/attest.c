/* attest.c: read each role's security state from /proc and print it as JSON lines.
 *
 * The state that matters is the one the kernel reports, not the one prong
 * believes it set, so everything here comes from /proc/<pid>/status (proc(5):
 * ids, groups, capability sets, NoNewPrivs, Seccomp), /proc/<pid>/root and
 * /proc/<pid>/limits, read by the monitor while it still may (readlink of
 * another user's /proc/<pid>/root needs privilege), except the monitor's own
 * line, read after its lock-down. Must not: print a layer as present unless
 * /proc shows it. */
#include "jail/attest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail/proc_status.h"

enum role { ROLE_MONITOR, ROLE_SUPERVISOR, ROLE_CHILD, ROLE_COUNT };
static const char *const ROLE_NAMES[ROLE_COUNT] = {"monitor", "supervisor", "child"};

struct limits {
    long long processes, open_files, file_size, core_file_size, cpu_seconds,
        address_space; /* -1 unlimited, -2 unknown */
};

struct observation {
    long pid;
    struct proc_status status;
    char root[PATH_MAX];
    struct limits limits;
    int sockets; /* socket descriptors held beside the allowed ones (monitor, child; -1: unseen) */
    char problems[1024];
};

static struct observation observed[ROLE_COUNT];
static struct attest_expectations expected;
static pid_t helper = -1;
static int helper_pipe = -1;

static void problem(struct observation *observation, const char *text)
{
    size_t used = strlen(observation->problems);
    snprintf(observation->problems + used, sizeof observation->problems - used, "%s\"%s\"",
             used ? ", " : "", text);
}

static long long limit_value(const char *text)
{
    if (strncmp(text, "unlimited", 9) == 0)
        return -1;
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    return end == text ? -2 : value;
}

/* /proc/<pid>/limits: "Max open files     16     16     files". */
static void read_limits(long pid, struct limits *limits)
{
    *limits = (struct limits){-2, -2, -2, -2, -2, -2};
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%ld/limits", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length <= 0)
        return;
    text[length] = '\0';
    static const struct {
        const char *name;
        size_t offset;
    } FIELDS[] = {
        {"Max processes", offsetof(struct limits, processes)},
        {"Max open files", offsetof(struct limits, open_files)},
        {"Max file size", offsetof(struct limits, file_size)},
        {"Max core file size", offsetof(struct limits, core_file_size)},
        {"Max cpu time", offsetof(struct limits, cpu_seconds)},
        {"Max address space", offsetof(struct limits, address_space)},
    };
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
            size_t name_length = strlen(FIELDS[i].name);
            if (strncmp(line, FIELDS[i].name, name_length) == 0 && line[name_length] == ' ') {
                /* the soft limit is the column starting at 26 */
                const char *value =
                    line + 26 < line + strlen(line) ? line + 26 : line + strlen(line);
                *(long long *)((char *)limits + FIELDS[i].offset) = limit_value(value);
            }
        }
        line = next;
    }
}

/* Socket descriptors of pid other than the allowed ones (-1 entries unused). */
static int count_sockets(long pid, const int allowed[3])
{
    char directory[64], link[96], target[128];
    int sockets = 0;
    snprintf(directory, sizeof directory, "/proc/%ld/fd", pid);
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(link, sizeof link, "%s/%d", directory, fd);
        ssize_t length = readlink(link, target, sizeof target - 1);
        if (length > 0 && fd != allowed[0] && fd != allowed[1] && fd != allowed[2]) {
            target[length] = '\0';
            sockets += strncmp(target, "socket:", 7) == 0;
        }
    }
    return sockets;
}

static int observe(enum role role, long pid)
{
    struct observation *observation = &observed[role];
    observation->pid = pid;
    if (proc_status_read(pid, &observation->status) != 0)
        return -1;
    char link[64];
    snprintf(link, sizeof link, "/proc/%ld/root", pid);
    ssize_t length = readlink(link, observation->root, sizeof observation->root - 1);
    observation->root[length > 0 ? length : 0] = '\0';
    read_limits(pid, &observation->limits);
    return 0;
}

/* A connection from a helper process, so that a connection process exists. */
static int start_helper(const char *host, unsigned port, char *error, size_t error_size)
{
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        snprintf(error, error_size, "attest: cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    helper = fork();
    if (helper < 0) {
        snprintf(error, error_size, "attest: cannot fork the helper: %s", strerror(errno));
        return -1;
    }
    if (helper == 0) {
        close(pipe_fds[1]);
        struct sockaddr_storage address = {0};
        socklen_t length;
        if (strchr(host, ':')) {
            struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            inet_pton(AF_INET6, host, &v6->sin6_addr);
            length = sizeof *v6;
        } else {
            struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
            v4->sin_family = AF_INET;
            v4->sin_port = htons((uint16_t)port);
            inet_pton(AF_INET, host, &v4->sin_addr);
            length = sizeof *v4;
        }
        int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, length) != 0)
            _exit(1);
        char byte;
        while (read(pipe_fds[0], &byte, 1) > 0) {
        }
        _exit(0);
    }
    close(pipe_fds[0]);
    helper_pipe = pipe_fds[1];
    return 0;
}

static long wait_for_child(pid_t supervisor)
{
    char path[96], text[256];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)supervisor, (long)supervisor);
    for (int attempt = 0; attempt < 500; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t length = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (length > 0) {
            text[length] = '\0';
            long pid = strtol(text, NULL, 10);
            if (pid > 0)
                return pid;
        }
        struct timespec pause = {0, 10000000};
        nanosleep(&pause, NULL);
    }
    return -1;
}

int attest_collect(pid_t supervisor, const char *host, unsigned port,
                   const struct attest_expectations *expect, char *error, size_t error_size)
{
    expected = *expect;
    if (start_helper(host, port, error, error_size) != 0)
        return -1;
    long child = wait_for_child(supervisor);
    if (child < 0) {
        snprintf(error, error_size, "attest: no connection process appeared");
        return -1;
    }
    /* Let the child finish its own narrowing before reading it: its phase is
     * "waiting for a head" only once it is serving, so give it a moment. */
    struct timespec settle = {0, 100000000};
    nanosleep(&settle, NULL);
    if (observe(ROLE_SUPERVISOR, supervisor) != 0 || observe(ROLE_CHILD, child) != 0) {
        snprintf(error, error_size, "attest: cannot read /proc for the supervisor or the child");
        return -1;
    }
    snprintf(observed[ROLE_MONITOR].root, sizeof observed[ROLE_MONITOR].root, "/");
    const int allowed[3] = {expected.notify_fd, expected.channel_fds[0], expected.channel_fds[1]};
    observed[ROLE_MONITOR].sockets = count_sockets((long)getpid(), allowed);
    /* A connection process holds its log channel (2) and its client (3), no
     * listener and no --metrics socket. Its descriptors are visible to the
     * monitor only while it may still read them; unseen is said, not passed. */
    char client_link[64], target[64];
    snprintf(client_link, sizeof client_link, "/proc/%ld/fd/3", child);
    const int child_allowed[3] = {2, 3, -1};
    observed[ROLE_CHILD].sockets =
        readlink(client_link, target, sizeof target) > 0 ? count_sockets(child, child_allowed) : -1;
    return 0;
}

static void check_jailed(struct observation *observation, bool child)
{
    const struct proc_status *status = &observation->status;
    if (expected.capabilities) {
        for (int i = 0; i < 4; i++) {
            if (status->uid[i] != (long)expected.run_uid)
                problem(observation, "a uid is not the run user's");
            if (status->gid[i] != (long)expected.run_gid)
                problem(observation, "a gid is not the run user's");
        }
        if (status->group_count != expected.expected_groups)
            problem(observation, "supplementary groups remain");
        if (status->cap_effective || status->cap_permitted || status->cap_inheritable ||
            status->cap_ambient)
            problem(observation, "capabilities remain");
        if (expected.started_as_root && status->cap_bounding)
            problem(observation, "the bounding set is not empty");
    }
    if (status->no_new_privs != 1)
        problem(observation, "no_new_privs is not set");
    if (expected.seccomp && status->seccomp != 2)
        problem(observation, "no seccomp filter");
    /* Without CAP_SYS_PTRACE (an ordinary or service user, a container's root)
     * another process's root cannot be read: "root_visible": false says so. */
    bool root_hidden = observation->root[0] == '\0';
    if (expected.chroot && !root_hidden && strcmp(observation->root, expected.root_path) != 0)
        problem(observation, "its root is not the document root");
    if (observation->limits.file_size != 0)
        problem(observation, "RLIMIT_FSIZE is not 0");
    if (observation->limits.core_file_size != 0)
        problem(observation, "RLIMIT_CORE is not 0");
    if (child && observation->limits.processes != 0)
        problem(observation, "RLIMIT_NPROC is not 0");
    if (child && observation->limits.open_files != (long long)expected.child_max_files)
        problem(observation, "RLIMIT_NOFILE is not the connection process's");
    if (child && observation->sockets > 0)
        problem(observation, "it holds a socket besides its client and the log channel");
}

static void check_monitor(struct observation *observation)
{
    const struct proc_status *status = &observation->status;
    if (status->uid[1] != (long)expected.monitor_uid)
        problem(observation, "its uid changed");
    if (status->cap_effective || status->cap_permitted || status->cap_inheritable ||
        status->cap_ambient)
        problem(observation, "capabilities remain");
    if (expected.started_as_root && status->cap_bounding)
        problem(observation, "the bounding set is not empty");
    if (status->no_new_privs != 1)
        problem(observation, "no_new_privs is not set");
    if (status->seccomp != 2)
        problem(observation, "no seccomp filter");
    if (observation->sockets != 0)
        problem(observation, "it holds a socket besides the log channel and systemd's");
    if (status->uid[1] == 0)
        problem(observation, "it runs as root");
}

/* Lines are built in memory and written with write(2): after its lock-down the
 * monitor's filter has no fstat, which stdio would call on first output. */
static char output[8192];
static size_t output_length;

static void out(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int written =
        vsnprintf(output + output_length, sizeof output - output_length, format, arguments);
    va_end(arguments);
    if (written > 0)
        output_length += (size_t)written < sizeof output - output_length
                             ? (size_t)written
                             : sizeof output - output_length - 1;
}

static void print_ids(const char *key, const long ids[4])
{
    out(", \"%s\": [%ld, %ld, %ld, %ld]", key, ids[0], ids[1], ids[2], ids[3]);
}

static void print_line(enum role role)
{
    const struct observation *observation = &observed[role];
    const struct proc_status *status = &observation->status;
    out("{\"role\": \"%s\", \"pid\": %ld", ROLE_NAMES[role], observation->pid);
    print_ids("uid", status->uid);
    print_ids("gid", status->gid);
    out(", \"groups\": %d", status->group_count);
    out(", \"cap_inheritable\": \"%016llx\", \"cap_permitted\": \"%016llx\", \"cap_effective\": "
        "\"%016llx\", "
        "\"cap_bounding\": \"%016llx\", \"cap_ambient\": \"%016llx\"",
        (unsigned long long)status->cap_inheritable, (unsigned long long)status->cap_permitted,
        (unsigned long long)status->cap_effective, (unsigned long long)status->cap_bounding,
        (unsigned long long)status->cap_ambient);
    out(", \"no_new_privs\": %d, \"seccomp\": %d, \"seccomp_filters\": %d", status->no_new_privs,
        status->seccomp, status->seccomp_filters);
    out(", \"root_visible\": %s", observation->root[0] ? "true" : "false");
    out(", \"root\": \"");
    for (const char *p = observation->root; *p; p++) {
        if (*p == '"' || *p == '\\')
            out("\\%c", *p);
        else
            out("%c", (unsigned char)*p < 0x20 ? '?' : *p);
    }
    out("\"");
    if (role != ROLE_MONITOR)
        out(", \"limits\": {\"processes\": %lld, \"open_files\": %lld, \"file_size\": %lld, "
            "\"core_file_size\": %lld, "
            "\"cpu_seconds\": %lld, \"address_space\": %lld}",
            observation->limits.processes, observation->limits.open_files,
            observation->limits.file_size, observation->limits.core_file_size,
            observation->limits.cpu_seconds, observation->limits.address_space);
    if (role != ROLE_SUPERVISOR) /* it holds listeners and clients by design */
        out(", \"sockets\": %d", observation->sockets);
    out(", \"landlock\": {\"kernel_abi\": %d, \"configured\": %s, \"weak_accepted\": %s, "
        "\"visible_in_proc\": false}",
        expected.landlock_abi, expected.landlock && expected.landlock_abi > 0 ? "true" : "false",
        expected.landlock_weak_accepted ? "true" : "false");
    out(", \"ok\": %s, \"problems\": [%s]}\n", observation->problems[0] ? "false" : "true",
        observation->problems);
}

int attest_report(void)
{
    struct observation *monitor = &observed[ROLE_MONITOR];
    monitor->pid = (long)getpid();
    if (proc_status_read(monitor->pid, &monitor->status) != 0)
        problem(monitor, "cannot read its own /proc status");
    check_monitor(monitor);
    check_jailed(&observed[ROLE_SUPERVISOR], false);
    check_jailed(&observed[ROLE_CHILD], true);
    int failed = 0;
    for (int role = 0; role < ROLE_COUNT; role++) {
        print_line((enum role)role);
        failed |= observed[role].problems[0] != '\0';
    }
    for (size_t done = 0; done < output_length;) {
        ssize_t written = write(STDOUT_FILENO, output + done, output_length - done);
        if (written <= 0)
            return 1;
        done += (size_t)written;
    }
    return failed ? 1 : 0;
}

void attest_release(void)
{
    if (helper_pipe >= 0)
        close(helper_pipe);
    helper_pipe = -1;
}
