/* main.c: prong's start-up order, written once, in order, in this one place.
 *
 * Three roles (docs/architecture.md): the monitor (the process as started:
 * logs, signals, exit status; no socket, no capability), the supervisor (jailed:
 * accepts, caps, forks, reaps) and one connection process per connection
 * (inherits the supervisor's jail, narrows it, serves, exits). Each step below
 * is checked; any failure ends the process with one clear line (fail closed):
 * exit 2 before serving, 1 after.
 * Must not: hold anything here but the order of the steps; each step's work
 * lives in its module. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "jail/attest.h"
#include "process/client_table.h"
#include "config.h"
#include "process/connection.h"
#include "jail/docroot.h"
#include "process/listener.h"
#include "process/log.h"
#include "static/mime.h"
#include "process/monitor.h"
#include "process/prefault.h"
#include "jail/privileges.h"
#include "jail/proc_status.h"
#include "static/response.h"
#include "jail/sandbox.h"
#include "jail/seccomp_policy.h"
#include "static/static_files.h"
#include "process/supervisor.h"

#ifdef PRONG_SANITIZER_BUILD
#define SANITIZER_BUILD 1
#else
#define SANITIZER_BUILD 0
#endif

#define EXIT_SETUP 2
#define EXIT_CHILD_SETUP 70 /* a connection process could not complete its jail */

struct startup {
    struct config config;
    struct run_user user;
    int root_fd;
    char root_path[PATH_MAX];
    struct listener listeners[LISTENER_SOCKETS_MAX];
    size_t listener_count;
    struct sock_fprog jail_filter, monitor_filter;
    struct log_target access_log, error_log;
    int notify_fd;
    int log_directory_fds[2];
    size_t log_directory_count;
    int channel[2]; /* the log channel: [0] the monitor reads, [1] everyone else writes */
    int control[2]; /* monitor -> supervisor: [0] supervisor reads, [1] monitor writes */
    int null_fd;
    int landlock_abi;
    bool started_as_root;
    int expected_groups; /* supplementary groups left after the drop: 0, or (an ordinary user's) its
                            own */
};

static struct startup startup;
static char error[512];

/* One line on standard error, whatever the message quotes (a path with a
 * newline must not forge a second "prong:" line), then exit 2. */
static void fail_setup(const char *message)
{
    char line[sizeof error];
    size_t length = 0;
    for (; length < sizeof line - 1 && message[length]; length++) {
        unsigned char byte = (unsigned char)message[length];
        line[length] = (char)(byte < 0x20 || byte == 0x7f ? '?' : byte);
    }
    line[length] = '\0';
    fprintf(stderr, "prong: %s\n", line);
    exit(EXIT_SETUP);
}

/* ---------------------------------------------------------------- connection process */

/* Children forked from one process share its stack canary, which byte-by-byte
 * brute force (BROP) exploits; each connection process gets its own, drawn by
 * the supervisor (0 when it could not: then drawn here). Frames already on the
 * stack keep the old value, so this runs in a function that never returns,
 * called from one that never returns (SECURITY.md, "Canaries"). */
__attribute__((no_stack_protector, noinline)) static void renew_stack_canary(uint64_t canary)
{
    if (canary == 0 && getrandom(&canary, sizeof canary, 0) != (ssize_t)sizeof canary)
        _exit(EXIT_CHILD_SETUP);
    canary &= ~(uint64_t)0xff; /* glibc keeps the low byte zero: a string overread cannot leak it */
    __asm__ volatile("movq %0, %%fs:0x28" : : "r"(canary) : "memory");
}

/* Serving a file and logging it (the access log is on by default: two 4 KiB
 * line buffers on the way to the channel) reaches about 8.7 KiB below this
 * frame. A page populated but never written costs about what its fault would
 * (a page allocated and zeroed), so this covers that path, not the deepest. */
#define CHILD_STACK_PREFAULT_BYTES 9216u

/* Returns before the canary is renewed, so its own check (if any) still matches. */
PREFAULT_CHILD_START_CODE static void populate_working_pages(struct scoreboard_slot *slot)
{
    char *frame = __builtin_frame_address(0);
    struct prefault_range writable[2] = {
        {frame - CHILD_STACK_PREFAULT_BYTES, CHILD_STACK_PREFAULT_BYTES},
        {slot, sizeof *slot},
    };
    (void)prefault_child(writable,
                         sizeof writable /
                             sizeof writable[0]); /* a refusal only costs speed (prefault.h) */
}

static void fail_child(const char *step)
{
    log_error("connection process: %s; ending it", step);
    _exit(EXIT_CHILD_SETUP);
}

/* The connection process: inherited jail (chroot, no capabilities, no_new_privs,
 * not dumpable, Landlock, the jail filter), then its own narrowing, then serve. */
PREFAULT_CHILD_START_CODE __attribute__((no_stack_protector, noreturn)) static void
start_connection_process(const struct child_start *start)
{
    /* 1. Its working pages in a few calls instead of a fault each: what main
     * noted at start-up (the image's code and constants, the vDSO, the statics
     * connection processes write, the hot connection state), the stack it is
     * about to use and its scoreboard slot (prefault.h). Only speed depends on it. */
    populate_working_pages(start->slot);
    /* 2. Its own stack canary, before any function that checks one returns. */
    renew_stack_canary(start->canary);
    log_set_role("child");
    /* 3. Hold only the client socket (as descriptor 3) and the log channel (2).
     * Its scoreboard slot is the only one it maps (scoreboard.h). */
    if ((start->client_fd != 3 && dup2(start->client_fd, 3) != 3) || close_range(4, ~0u, 0) != 0)
        fail_child("cannot arrange its descriptors");
    /* 4. No processes, few files, bounded CPU (memory and file writes: the
     * supervisor's limits, inherited). SIGXCPU at the soft CPU limit names the
     * cause in the log; the hard one, a second later, kills a process that ignores it. */
    const struct config *config = &startup.config;
    if (LAYER_APPLIED(config, LAYER_CHILD_LIMITS) &&
        (sandbox_lower_limit(RLIMIT_NPROC, 0, 0) != 0 ||
         sandbox_lower_limit(RLIMIT_NOFILE, CHILD_MAX_FILES, CHILD_MAX_FILES) != 0 ||
         sandbox_lower_limit(RLIMIT_CPU, config->child_cpu_seconds,
                             config->child_cpu_seconds + 1) != 0))
        fail_child("cannot lower its resource limits");
    /* 5. Its own Landlock domain: no signal to, no abstract socket of, any other
     * process (its siblings and the supervisor are outside it). */
    if (LAYER_APPLIED(config, LAYER_LANDLOCK) &&
        sandbox_landlock_scope_self(startup.landlock_abi, error, sizeof error) < 0)
        fail_child(error);
    /* 6. Serve, then exit. */
    char client[64];
    listener_format_host((const struct sockaddr *)&start->peer, client, sizeof client);
    bool trusted = false;
    for (size_t i = 0; i < config->trusted_proxy_count && !trusted; i++)
        trusted = cidr_contains(&config->trusted_proxies[i], (const struct sockaddr *)&start->peer);
    struct connection_context context = {
        .client_fd = 3,
        .client = client,
        .client_is_trusted_proxy = trusted,
        .accepted_ns = start->accepted_ns,
        .slot = start->slot,
    };
    connection_serve(&context);
    atomic_store(&context.slot->log_drops, log_dropped_count());
    _exit(0);
}

/* ---------------------------------------------------------------- supervisor */

static void close_monitor_descriptors(void)
{
    close(startup.channel[0]);
    close(startup.control[1]);
    if (startup.access_log.fd >= 0)
        close(startup.access_log.fd);
    if (startup.error_log.fd >= 0)
        close(startup.error_log.fd);
    for (size_t i = 0; i < startup.log_directory_count; i++)
        close(startup.log_directory_fds[i]);
    if (startup.notify_fd >= 0)
        close(startup.notify_fd);
}

static int supervisor_fail(const char *step)
{
    log_error("%s", step);
    return EXIT_SETUP;
}

/* The longest a child may wait in one phase for its client: the backstop
 * allows this plus a margin. A later head's deadline counts too (leaving it out
 * cut off a head still within --next-head-timeout when that was the longest). */
static uint32_t longest_read_deadline_ms(const struct config *config)
{
    uint32_t longest = config->head_timeout_ms;
    if (config->idle_timeout_ms > longest)
        longest = config->idle_timeout_ms;
    if (config->next_head_timeout_ms > longest)
        longest = config->next_head_timeout_ms;
    return longest;
}

/* The supervisor's start-up: become the run user, enter the jail, narrow it,
 * then serve. Returns the process's exit code. */
static int run_supervisor(void)
{
    const struct config *config = &startup.config;
    log_set_role("supervisor");
    /* 1. Descriptors: the log channel on 2, /dev/null on 0 and 1, nothing of the monitor's. */
    if (dup2(startup.channel[1], STDERR_FILENO) != STDERR_FILENO ||
        dup2(startup.null_fd, STDIN_FILENO) != 0 || dup2(startup.null_fd, STDOUT_FILENO) != 1)
        return supervisor_fail("cannot arrange the supervisor's descriptors");
    log_use_channel(STDERR_FILENO);
    close(startup.channel[1]);
    close(startup.null_fd);
    close_monitor_descriptors();
    /* 2. Its own process group: a terminal's ^C reaches the monitor, which decides. */
    if (setpgid(0, 0) != 0)
        return supervisor_fail("cannot leave the terminal's process group");
    /* 3. Room for every child's socket, set while that may still raise it. */
    rlim_t files = (rlim_t)config->max_children * 2 + 64;
    if (sandbox_set_limit(RLIMIT_NOFILE, files, error, sizeof error) != 0)
        return supervisor_fail(error);
    /* Ahead of its children on the CPU, also set while that is allowed. */
    if (supervisor_raise_priority(error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 4. The run user, keeping only CAP_SYS_CHROOT; started by an ordinary user
     * without it, a user namespace of its own provides it. */
    bool drop_privileges = LAYER_APPLIED(config, LAYER_CAPABILITIES);
    if (drop_privileges && privileges_drop_to_user(&startup.user, error, sizeof error) != 0)
        return supervisor_fail(error);
    if (LAYER_APPLIED(config, LAYER_CHROOT) && !privileges_can_chroot() &&
        sandbox_enter_user_namespace(error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 5. The jail: chroot into the document root, then drop the last capability. */
    if (LAYER_APPLIED(config, LAYER_CHROOT)
            ? sandbox_enter_root(startup.root_fd, error, sizeof error) != 0
            : fchdir(startup.root_fd) != 0)
        return supervisor_fail(
            LAYER_APPLIED(config, LAYER_CHROOT) ? error : "cannot enter the document root");
    if (drop_privileges && privileges_drop_all(error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 6. no_new_privs, not dumpable; no file writes, no core files. */
    if (sandbox_lock_process(error, sizeof error) != 0 ||
        sandbox_set_limit(RLIMIT_FSIZE, 0, error, sizeof error) != 0 ||
        sandbox_set_limit(RLIMIT_CORE, 0, error, sizeof error) != 0)
        return supervisor_fail(error);
    /* The connection processes' address-space limit, set once here and inherited
     * (the supervisor itself stays far below it). Not in the sanitizer build: ASan
     * reserves terabytes of address space (mk/sanitize.mk). */
    if (!SANITIZER_BUILD && sandbox_set_limit(RLIMIT_AS, (rlim_t)config->child_memory_mb << 20,
                                              error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 7. Landlock: read beneath the root only, no TCP bind/connect, scoped signals. */
    if (LAYER_APPLIED(config, LAYER_LANDLOCK) &&
        sandbox_landlock_read_only(startup.root_fd, error, sizeof error) < 0)
        return supervisor_fail(error);
    /* 8. The event loop's descriptors and tables, while they may still be made. */
    struct supervisor_settings settings = {
        .listeners = startup.listeners,
        .listener_count = startup.listener_count,
        .control_fd = startup.control[0],
        .log_fd = STDERR_FILENO,
        .max_children = config->max_children,
        .max_per_ip = config->max_per_ip,
        .max_connection_rate = config->max_connection_rate,
        .grace_ms = config->grace_ms,
        .log_children = config->log_children,
        .report_status = startup.notify_fd >= 0,
        .crash_limit = config->crash_limit,
        .crash_block_ms = config->crash_block_ms,
        .head_deadline_ms = longest_read_deadline_ms(config),
        .start_child = start_connection_process,
    };
    if (supervisor_prepare(&settings, error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 9. The seccomp filter, exported before the drop; default action: kill. */
    if (LAYER_APPLIED(config, LAYER_SECCOMP) &&
        sandbox_install_filter(&startup.jail_filter, error, sizeof error) != 0)
        return supervisor_fail(error);
    /* 10. Tell the monitor, which checks all of this from outside before 'G'. */
    log_send(LOG_STREAM_READY, "ready", 5);
    return supervisor_run();
}

/* ---------------------------------------------------------------- monitor */

/* The supervisor's state read from /proc by the monitor: the drop and the jail
 * must be visible from outside, or nothing is served. */
static int verify_supervisor(pid_t pid)
{
    const struct config *config = &startup.config;
    struct proc_status status;
    if (proc_status_read((long)pid, &status) != 0) {
        snprintf(error, sizeof error, "cannot read the supervisor's /proc status");
        return -1;
    }
    bool ids = true, dropped = LAYER_KEPT(config, LAYER_CAPABILITIES);
    for (int i = 0; i < 4; i++)
        ids = ids && status.uid[i] == (long)startup.user.uid &&
              status.gid[i] == (long)startup.user.gid;
    bool bounding_cleared = !startup.started_as_root || status.cap_bounding == 0;
    bool capabilities_dropped = status.group_count == startup.expected_groups &&
                                status.cap_effective == 0 && status.cap_permitted == 0 &&
                                status.cap_inheritable == 0 && status.cap_ambient == 0 &&
                                bounding_cleared;
    bool filtered = status.seccomp == 2 || !LAYER_KEPT(config, LAYER_SECCOMP);
    if ((dropped && (!ids || !capabilities_dropped)) || status.no_new_privs != 1 || !filtered) {
        snprintf(error, sizeof error,
                 "the supervisor's jail is not as configured (uid %ld gid %ld groups %d CapEff "
                 "%llx CapBnd %llx "
                 "NoNewPrivs %d Seccomp %d)",
                 status.uid[0], status.gid[0], status.group_count,
                 (unsigned long long)status.cap_effective, (unsigned long long)status.cap_bounding,
                 status.no_new_privs, status.seccomp);
        return -1;
    }
    char link[64], root[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%ld/root", (long)pid);
    ssize_t length = readlink(link, root, sizeof root - 1);
    const char *expected_root = LAYER_KEPT(config, LAYER_CHROOT) ? startup.root_path : "/";
    /* Reading another process's root needs ptrace access: a monitor without
     * CAP_SYS_PTRACE (an ordinary user, systemd's service user, root in a
     * container's default capability set) may not read it for a non-dumpable
     * supervisor. The escape tests, run in those modes too, show the chroot. */
    if (length < 0 && (errno == EACCES || errno == EPERM))
        return 0;
    if (length < 0 || (root[length] = '\0', strcmp(root, expected_root) != 0)) {
        snprintf(error, sizeof error, "the supervisor's root is not the document root");
        return -1;
    }
    return 0;
}

/* The monitor's own narrowing, once the supervisor is checked: no capability,
 * no_new_privs, Landlock (write beneath the log directories), its filter. */
static void lock_down_monitor(void)
{
    if (privileges_drop_all(error, sizeof error) != 0 ||
        sandbox_lock_process(error, sizeof error) != 0 ||
        sandbox_landlock_logs_only(startup.log_directory_fds, startup.log_directory_count, error,
                                   sizeof error) < 0 ||
        sandbox_install_filter(&startup.monitor_filter, error, sizeof error) != 0) {
        fprintf(stderr, "prong: monitor: %s\n", error);
        exit(EXIT_SETUP);
    }
    for (size_t i = 0; i < startup.log_directory_count; i++)
        close(startup.log_directory_fds[i]);
}

/* --attest: the real start-up, one connection process, every role read from /proc. */
static int run_attestation(pid_t supervisor)
{
    const struct config *config = &startup.config;
    struct attest_expectations expect = {
        .run_uid = startup.user.uid,
        .run_gid = startup.user.gid,
        .monitor_uid = geteuid(),
        .root_path = startup.root_path,
        .started_as_root = startup.started_as_root,
        .chroot = LAYER_KEPT(config, LAYER_CHROOT),
        .seccomp = LAYER_KEPT(config, LAYER_SECCOMP),
        .capabilities = LAYER_KEPT(config, LAYER_CAPABILITIES),
        .landlock = LAYER_KEPT(config, LAYER_LANDLOCK),
        .landlock_abi = startup.landlock_abi,
        .child_max_files = CHILD_MAX_FILES,
        .expected_groups = startup.expected_groups,
        .notify_fd = startup.notify_fd,
    };
    char host[64];
    listener_format_host((const struct sockaddr *)&startup.listeners[0].address, host, sizeof host);
    const char *port = strrchr(startup.listeners[0].name, ':');
    if (monitor_release_supervisor() != 0 ||
        attest_collect(supervisor, host, port ? (unsigned)atoi(port + 1) : 0, &expect, error,
                       sizeof error) != 0) {
        fprintf(stderr, "prong: %s\n", error[0] ? error : "attest: the supervisor is gone");
        monitor_request_stop();
        monitor_run();
        return 1;
    }
    lock_down_monitor();
    int result = attest_report();
    attest_release();
    monitor_request_stop();
    int stopped = monitor_run();
    return result != 0 ? 1 : stopped;
}

static int run_monitor(pid_t supervisor)
{
    close(startup.channel[1]);
    close(startup.control[0]);
    close(startup.root_fd);
    close(startup.null_fd);
    for (size_t i = 0; i < startup.listener_count; i++)
        close(startup.listeners[i].fd); /* the monitor never holds a socket */
    struct monitor_settings settings = {
        .supervisor = supervisor,
        .channel_fd = startup.channel[0],
        .control_fd = startup.control[1],
        .access_log = startup.access_log,
        .error_log = startup.error_log,
        .notify_fd = startup.notify_fd,
    };
    monitor_configure(&settings);
    int early_exit = monitor_await_ready();
    if (early_exit >= 0)
        return early_exit;
    if (verify_supervisor(supervisor) != 0) {
        fprintf(stderr, "prong: %s\n", error);
        return EXIT_SETUP; /* closing the control pipe on exit stops the supervisor */
    }
    for (size_t i = 0; i < startup.listener_count; i++)
        fprintf(stderr, "prong: listening on %s\n", startup.listeners[i].name);
    fflush(stderr);
    if (startup.config.attest)
        return run_attestation(supervisor);
    lock_down_monitor();
    if (monitor_release_supervisor() != 0)
        return 1;
    return monitor_run();
}

/* ---------------------------------------------------------------- set-up */

/* A file prong writes (a log, the pid file) inside the document root could be
 * served, or swapped for something worse: refused. A file that does not exist
 * yet is judged by its directory. */
static void refuse_log_inside_root(const char *flag, const struct log_target *target)
{
    if (!target->path)
        return;
    char resolved[PATH_MAX];
    if (!realpath(target->path, resolved)) {
        char directory[PATH_MAX];
        snprintf(directory, sizeof directory, "%s", target->path);
        char *slash = strrchr(directory, '/');
        if (slash)
            *(slash == directory ? slash + 1 : slash) = '\0';
        if (!realpath(directory, resolved))
            return; /* its directory is missing: opening it will fail with a clear message */
    }
    size_t root_length = strlen(startup.root_path);
    if (strncmp(resolved, startup.root_path, root_length) == 0 &&
        (resolved[root_length] == '/' || resolved[root_length] == '\0' || root_length == 1)) {
        snprintf(error, sizeof error,
                 "%s %s: a file prong writes inside the document root is refused", flag,
                 target->path);
        fail_setup(error);
    }
}

static void open_log(const char *flag, const char *value, bool may_be_off,
                     struct log_target *target)
{
    target->fd = -1;
    target->path = NULL;
    target->off = may_be_off && strcmp(value, "off") == 0;
    if (target->off || strcmp(value, "-") == 0)
        return;
    if (value[0] != '/') {
        snprintf(error, sizeof error, "%s %s: give an absolute path", flag, value);
        fail_setup(error);
    }
    target->path = value;
    refuse_log_inside_root(flag,
                           target); /* before opening: a refused start leaves nothing behind */
    target->fd = monitor_open_log(value);
    if (target->fd < 0) {
        snprintf(error, sizeof error, "%s %s: %s", flag, value, strerror(errno));
        fail_setup(error);
    }
    /* Its directory, for the monitor's Landlock rule (rotation creates the file anew). */
    char directory[PATH_MAX];
    snprintf(directory, sizeof directory, "%s", value);
    char *slash = strrchr(directory, '/');
    if (slash == directory)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, sizeof error, "%s %s: its directory: %s", flag, value, strerror(errno));
        fail_setup(error);
    }
    startup.log_directory_fds[startup.log_directory_count++] = fd;
}

/* --pid-file: the monitor's pid, the process to signal (SIGTERM, SIGHUP). */
static void write_pid_file(void)
{
    const char *path = startup.config.pid_file;
    if (!path)
        return;
    struct log_target as_target = {.path = path};
    refuse_log_inside_root("--pid-file", &as_target);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    char line[32];
    int length = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (fd < 0 || write(fd, line, (size_t)length) != length || close(fd) != 0) {
        snprintf(error, sizeof error, "--pid-file %s: %s", path, strerror(errno));
        fail_setup(error);
    }
}

static void print_check_summary(size_t entries)
{
    printf("prong %s: configuration is valid\n", PRONG_VERSION);
    printf("root:      %s (%zu entries checked: none writable by the run user, no devices, no "
           "setuid)\n",
           startup.root_path, entries);
    printf("user:      %s (uid %ld, gid %ld)\n", startup.user.name, (long)startup.user.uid,
           (long)startup.user.gid);
    for (size_t i = 0; i < startup.listener_count; i++)
        printf("listen:    %s\n", startup.listeners[i].name);
    printf("children:  at most %u, %u per client\n", startup.config.max_children,
           startup.config.max_per_ip);
    printf("layers:    chroot, no capabilities, no_new_privs, not dumpable, rlimits, seccomp (%u "
           "instructions), "
           "Landlock %s\n",
           startup.jail_filter.len, startup.landlock_abi ? "on" : "unavailable (kernel)");
    if (startup.landlock_abi)
        printf("landlock:  ABI %d\n", startup.landlock_abi);
}

static void open_listeners(void)
{
    const struct config *config = &startup.config;
    struct systemd_sockets systemd;
    if (listener_take_systemd(&systemd, error, sizeof error) < 0)
        fail_setup(error);
    if (config->listen_defaulted && systemd.count > 0) {
        for (int i = 0; i < systemd.count; i++)
            if (listener_adopt(&startup.listeners[startup.listener_count++], &systemd, i, error,
                               sizeof error) != 0)
                fail_setup(error);
        return;
    }
    for (size_t i = 0; i < config->listen_count; i++) {
        struct listener *first = &startup.listeners[startup.listener_count];
        int count = listener_parse_all(config->listens[i].text, first,
                                       LISTENER_SOCKETS_MAX - startup.listener_count, error,
                                       sizeof error); /* localhost:PORT, :PORT, PORT name two */
        if (count < 0 ||
            listener_open_all(first, (size_t)count, &systemd, error, sizeof error) != 0)
            fail_setup(error);
        startup.listener_count += (size_t)count;
    }
    for (int i = 0; i < systemd.count; i++)
        if (!systemd.used[i])
            close(systemd.fds[i]); /* passed but not asked for: not ours to keep */
}

/* The send-rate rule (--min-send-rate over --send-window) judges what a child
 * manages to hand to its socket. Unbounded, the kernel queues megabytes unsent
 * (send-buffer autotuning) and wakes the writer only once a third of them has
 * drained, so a client reading well above the rate looked stalled for whole
 * windows and was cut off, and every stalled reader pinned those megabytes.
 * Two windows' worth unsent (the kernel wakes the writer below half of it) keeps
 * the child's progress following the client's. Set on the listeners, before the
 * jail: the jail filter has no setsockopt. */
static void bound_unsent_bytes(void)
{
    const struct config *config = &startup.config;
    uint64_t bytes = 2u * (uint64_t)config->min_send_rate * config->send_window_ms / 1000u;
    int lowat = (int)(bytes < UNSENT_MIN ? UNSENT_MIN : bytes > UNSENT_MAX ? UNSENT_MAX : bytes);
    for (size_t i = 0; i < startup.listener_count; i++)
        if (listener_limit_unsent(&startup.listeners[i], lowat, error, sizeof error) != 0)
            fail_setup(error);
}

int main(int argc, char **argv)
{
    /* 0. Users and groups come from the files only: an NSS module dlopened into a
     * static binary (systemd's, LDAP's) would crash it (README, "Building"). */
    __nss_configure_lookup("passwd", "files");
    __nss_configure_lookup("group", "files");
    /* 1. Flags. */
    switch (config_parse(argc, argv, &startup.config, error, sizeof error)) {
    case CONFIG_EXIT_SUCCESS: return 0;
    case CONFIG_ERROR: fail_setup(error); break;
    case CONFIG_OK: break;
    }
    const struct config *config = &startup.config;
    startup.started_as_root = geteuid() == 0;
    /* An ordinary user cannot shed its supplementary groups (a user namespace
     * must deny setgroups before mapping its gid): they stay, and are expected. */
    startup.expected_groups = startup.started_as_root ? 0 : getgroups(0, NULL);
    /* 2. The document root, opened as a directory before any drop. */
    startup.root_fd = docroot_open(config->root, error, sizeof error);
    if (startup.root_fd < 0 || !realpath(config->root, startup.root_path))
        fail_setup(startup.root_fd < 0 ? error : "--root: cannot resolve its path");
    /* 3. Log files, opened with the starting privileges; never inside the root. */
    open_log("--access-log", config->access_log, true, &startup.access_log);
    open_log("--error-log", config->error_log, false, &startup.error_log);
    write_pid_file();
    startup.notify_fd = monitor_open_notify_socket(error, sizeof error);
    if (startup.notify_fd == -2)
        fail_setup(error);
    /* 4. Listening sockets: bound here, or passed by systemd (socket activation). */
    open_listeners();
    bound_unsent_bytes();
    /* 5. What the jail cannot reach later: the run user, the MIME table. */
    if (privileges_resolve_user(config->user, &startup.user, error, sizeof error) != 0)
        fail_setup(error);
    if (config->mime_types && mime_load_file(config->mime_types, error, sizeof error) != 0)
        fail_setup(error);
    /* 6. Refuse a root the run user could change, or one with devices or setuid files. */
    size_t entries = 0;
    if (docroot_verify(startup.root_fd, startup.root_path, startup.user.uid, startup.user.gid,
                       !startup.started_as_root, &entries, error, sizeof error) != 0)
        fail_setup(error);
    /* --error-page files a connection process could not serve: one line each,
     * and the built-in page until they can be (never a reason to stop). */
    static_files_report_error_pages(&config->error_pages, config->symlinks, startup.root_fd,
                                    startup.user.uid, startup.user.gid, stderr);
    /* 7. The jail must be buildable: root, CAP_SYS_CHROOT held, or a user namespace. */
    if (!startup.started_as_root && !privileges_can_chroot() && LAYER_KEPT(config, LAYER_CHROOT) &&
        !sandbox_user_namespaces_allowed())
        fail_setup(
            "started as an ordinary user, without CAP_SYS_CHROOT, on a kernel that forbids user "
            "namespaces: the jail cannot be built (the lab build can run without the chroot)");
    /* 8. The seccomp filters, built and exported once for every process to load. */
    if (seccomp_policy_build(POLICY_JAIL, &startup.jail_filter, error, sizeof error) != 0 ||
        seccomp_policy_build(POLICY_MONITOR, &startup.monitor_filter, error, sizeof error) != 0)
        fail_setup(error);
    startup.landlock_abi = sandbox_landlock_abi();
    if (config->require_landlock && startup.landlock_abi == 0)
        fail_setup("--require-landlock: this kernel has no Landlock");
    if (config->check_only) {
        print_check_summary(entries);
        return 0;
    }
    /* 9. Per-process settings every role inherits through fork. */
    struct response_settings response = {.server_header = config->server_header,
                                         .headers = &config->headers};
    response_configure(&response);
    struct static_settings files = {
        .index_names = config->index_names,
        .index_count = config->index_count,
        .autoindex = config->autoindex,
        .symlinks = config->symlinks,
        .error_pages = &config->error_pages,
    };
    static_files_configure(&files);
    struct connection_settings connection = {
        .limits = config->limits,
        .max_requests = config->max_requests,
        .head_timeout_ms = config->head_timeout_ms,
        .next_head_timeout_ms = config->next_head_timeout_ms,
        .idle_timeout_ms = config->idle_timeout_ms,
        .min_send_rate = config->min_send_rate,
        .send_window_ms = config->send_window_ms,
        .access_log = !startup.access_log.off,
    };
    connection_configure(&connection);
    prefault_note_image();
    struct prefault_range hot[2];
    for (size_t i = 0, count = connection_hot_memory(hot, sizeof hot / sizeof hot[0]); i < count;
         i++)
        if (prefault_note_writable(hot[i].start, hot[i].length) != 0)
            fail_setup("too many spans to prefault"); /* a programming error: WRITE_RANGES_MAX is
                                                         too small */
    /* 10. The log channel (non-blocking for writers) and the control pipe. */
    startup.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (startup.null_fd < 0 || pipe2(startup.channel, O_CLOEXEC) != 0 ||
        pipe2(startup.control, O_CLOEXEC) != 0 ||
        fcntl(startup.channel[1], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(startup.control[0], F_SETFL, O_NONBLOCK) != 0)
        fail_setup("cannot create the log channel");
    fcntl(startup.channel[0], F_SETPIPE_SZ,
          1 << 20); /* a larger buffer drops fewer lines; best effort */
    /* 11. The monitor reaps orphans too: no zombie outlives its parent. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        fail_setup("cannot become a child subreaper");
    /* 12. Split: the supervisor jails itself; this process becomes the monitor. */
    fflush(NULL);
    pid_t supervisor = fork();
    if (supervisor < 0)
        fail_setup("cannot fork the supervisor");
    if (supervisor == 0)
        _exit(run_supervisor());
    return run_monitor(supervisor);
}
