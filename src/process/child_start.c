/* child_start.c: a connection process's first steps (include/process/child_start.h).
 *
 * Everything a connection process does before serving is here, with what
 * makes it cheap: the configuration it inherits, the prefault and its
 * calibration, and the order of its narrowing. Why the prefault is measured
 * rather than assumed: where a page fault is an exit to a hypervisor (~15-20 µs)
 * populating the working pages in a few calls pays; where faults are cheap
 * (~1 µs), populating costs more than it saves (docs/performance.md, "The two
 * regimes"); the same binary meets both.
 * Must not: read from the client before the last step, or return. */
#include "process/child_start.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "jail/sandbox.h"
#include "process/connection.h"
#include "process/log.h"
#include "process/prefault.h"
#include "static/file_cache.h"
#include "static/response.h"
#include "static/static_files.h"

#define EXIT_CHILD_SETUP 70 /* a connection process could not complete its jail */
/* Probe processes, alternately with and without the prefault. Nine of each:
 * with three, one start in several picked the costlier way on a machine where
 * the two differ by 15% (docs/performance.md); eighteen cost a few ms once. */
#define PROBE_ROUNDS 18
#define PROBE_REQUEST "GET / HTTP/1.1\r\nHost: prefault-probe\r\nConnection: close\r\n\r\n"

static struct child_plan plan;
static PREFAULT_CHILD_WRITES pid_t parent;
static bool populate = true;

int child_start_prepare(const struct child_plan *new_plan, char *error, size_t error_size)
{
    plan = *new_plan;
    const struct config *config = plan.config;
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
        .send = {config->min_send_rate, config->send_window_ms},
        .access_log = strcmp(config->access_log, "off") != 0,
    };
    connection_configure(&connection);
    populate = plan.prefault != PREFAULT_OFF;
    prefault_note_image();
    struct prefault_range hot[3];
    size_t count = connection_hot_memory(hot, 2);
    /* A small file's head and body: sent from the cache's memory. */
    file_cache_hot_span(&hot[count].start, &hot[count].length);
    count++;
    for (size_t i = 0; i < count; i++)
        if (prefault_note_writable(hot[i].start, hot[i].length) != 0) {
            snprintf(error, error_size, "too many spans to prefault"); /* WRITE_RANGES_MAX */
            return -1;
        }
    return 0;
}

void child_start_set_parent(pid_t supervisor)
{
    parent = supervisor;
}

/* ---------------------------------------------------------------- the steps */

/* Children forked from one process share its stack canary, which byte-by-byte
 * brute force (BROP) exploits; each connection process gets its own, drawn by
 * the supervisor (0 when it could not: then drawn here). Frames already on the
 * stack keep the old value, so this runs in a function that never returns,
 * called from one that never returns (SECURITY.md, the per-process canary). */
__attribute__((no_stack_protector, noinline)) static void renew_stack_canary(uint64_t canary)
{
    if (canary == 0 && getrandom(&canary, sizeof canary, 0) != (ssize_t)sizeof canary)
        _exit(EXIT_CHILD_SETUP);
    canary &= ~(uint64_t)0xff; /* glibc keeps the low byte zero: a string overread cannot leak it */
    __asm__ volatile("movq %0, %%fs:0x28" : : "r"(canary) : "memory");
}

/* Serving a small file reaches about 2.9 KiB below this frame, and logging it
 * 4.8 KiB (the access record's 4 KiB message buffer): measured as the lowest
 * stack byte a connection process changed (was 9.5 KiB before the list-value
 * arrays left the file path, static_files.c). A page populated but never
 * written costs about what its fault would, and is memory the connection
 * holds as long as it lives, so this covers that path, not the deepest. */
#define CHILD_STACK_PREFAULT_BYTES 5120u

/* Returns before the canary is renewed, so its own check (if any) still matches. */
PREFAULT_CHILD_START_CODE static void populate_working_pages(struct scoreboard_slot *slot)
{
    char *frame = __builtin_frame_address(0);
    struct prefault_range writable[2] = {
        {frame - CHILD_STACK_PREFAULT_BYTES, CHILD_STACK_PREFAULT_BYTES},
        {slot, sizeof *slot},
    };
    (void)prefault_child(writable, 2); /* a refusal only costs speed (prefault.h) */
}

static void fail_child(const char *step)
{
    log_error("connection process: %s; ending it", step);
    _exit(EXIT_CHILD_SETUP);
}

/* Hold only the log channel (2) and the client socket (3): every other
 * descriptor the supervisor holds (listeners, the --metrics socket and its
 * waiting scrapes, other clients' sockets, pidfds) is closed here, before the
 * jail's last steps; --attest checks it from /proc (attest.c). */
static void arrange_descriptors(const struct child_start *start)
{
    if (dup2(plan.children_channel_fd, STDERR_FILENO) != STDERR_FILENO ||
        (start->client_fd != 3 && dup2(start->client_fd, 3) != 3) || close_range(4, ~0u, 0) != 0)
        fail_child("cannot arrange its descriptors");
    log_use_channel(STDERR_FILENO);
}

/* No processes, few files, bounded CPU (memory and file writes: the
 * supervisor's limits, inherited). SIGXCPU at the soft CPU limit names the cause
 * in the log; the hard one, a second later, kills a process that ignores it. */
static void lower_limits(void)
{
    const struct config *config = plan.config;
    if (LAYER_APPLIED(config, LAYER_CHILD_LIMITS) &&
        (sandbox_lower_limit(RLIMIT_NPROC, 0, 0) != 0 ||
         sandbox_lower_limit(RLIMIT_NOFILE, CHILD_MAX_FILES, CHILD_MAX_FILES) != 0 ||
         sandbox_lower_limit(RLIMIT_CPU, config->child_cpu_seconds,
                             config->child_cpu_seconds + 1) != 0))
        fail_child("cannot lower its resource limits");
}

/* A unix socket inherits no timeout from its listener: the send window here. */
static void set_send_timeout(int fd)
{
    struct timeval window = {.tv_sec = plan.config->send_window_ms / 1000,
                             .tv_usec = (suseconds_t)(plan.config->send_window_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &window, sizeof window) != 0)
        fail_child("cannot set its send timeout");
}

PREFAULT_CHILD_START_CODE __attribute__((no_stack_protector, noreturn)) static void serve(
    const struct child_start *start)
{
    log_set_role("child");
    arrange_descriptors(start); /* 3 */
    /* 4. The supervisor's death ends this process; if it died before this call,
     * the process has a new parent already and ends now. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
        _exit(EXIT_CHILD_SETUP);
    lower_limits(); /* 5 */
    char error[256];
    if (LAYER_APPLIED(plan.config, LAYER_LANDLOCK) && /* 6 */
        sandbox_landlock_scope_self(plan.landlock_abi, error, sizeof error) < 0)
        fail_child(error);
    if (!start->tcp)
        set_send_timeout(3); /* 7 */
    /* 8. Serve, then exit. */
    struct connection_context context = {
        .client_fd = 3,
        .client_is_trusted_proxy = start->trusted_proxy,
        .accepted_ns = start->accepted_ns,
        .receive_timeout_ns = start->tcp ? (uint64_t)plan.config->head_timeout_ms * 1000000u : 0,
        .slot = start->slot,
    };
    connection_serve(&context);
    atomic_store(&context.slot->log_drops, log_dropped_count());
    _exit(0);
}

PREFAULT_CHILD_START_CODE __attribute__((no_stack_protector, noreturn)) void child_start_run(
    const struct child_start *start)
{
    /* Steps 1-8 (docs/architecture.md, "Start-up order", the connection process's table). */
    if (populate)
        populate_working_pages(start->slot); /* 1 */
    renew_stack_canary(start->canary);       /* 2 */
    serve(start);                            /* 3-8 */
}

/* ---------------------------------------------------------------- the calibration */

/* One probe process serving PROBE_REQUEST on a socket pair: its CPU time in
 * microseconds (wait4's rusage: set-up, the request, and its exit), or -1. */
static long probe_once(bool with_prefault)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return -1;
    static struct scoreboard_slot probe_slot; /* private: the probe writes its own copy */
    struct child_start start = {
        .client_fd = pair[1], .accepted_ns = monotonic_ns(), .slot = &probe_slot, .tcp = false};
    populate = with_prefault;
    pid_t pid = fork();
    if (pid == 0)
        child_start_run(&start);
    close(pair[1]);
    long cpu_us = -1;
    if (pid > 0 && write(pair[0], PROBE_REQUEST, sizeof PROBE_REQUEST - 1) > 0) {
        char answer[4096];
        struct timeval limit = {.tv_sec = 2};
        setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        while (read(pair[0], answer, sizeof answer) > 0) {
        }
    }
    close(pair[0]);
    int status = 0;
    struct rusage usage;
    if (pid > 0 && wait4(pid, &status, 0, &usage) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
        cpu_us = (long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L +
                 (long)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    return cpu_us;
}

/* The median of PROBE_ROUNDS / 2 values (sorted in place: they are not used again). */
static long median_of_probes(long values[PROBE_ROUNDS / 2])
{
    size_t count = PROBE_ROUNDS / 2;
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && values[j - 1] > values[j]; j--) {
            long swap = values[j];
            values[j] = values[j - 1];
            values[j - 1] = swap;
        }
    return values[count / 2];
}

void child_start_calibrate(void)
{
    if (plan.prefault != PREFAULT_AUTO) {
        populate = plan.prefault == PREFAULT_ON;
        return;
    }
    long with[PROBE_ROUNDS / 2] = {0}, without[PROBE_ROUNDS / 2] = {0};
    bool access_log = connection_set_logging(false);
    for (int round = 0; round < PROBE_ROUNDS; round++) {
        long cpu = probe_once(round % 2 == 0);
        if (cpu < 0) {
            populate = true;
            connection_set_logging(access_log);
            log_error("prefault: the calibration's probe failed; populating (--prefault on)");
            return;
        }
        (round % 2 == 0 ? with : without)[round / 2] = cpu;
    }
    connection_set_logging(access_log);
    long populated = median_of_probes(with), faulted = median_of_probes(without);
    populate = populated < faulted;
    log_error("prefault: a connection process used %ld us of CPU with its pages populated, %ld us "
              "faulting them in (median of %d probes each): populating %s (--prefault auto)",
              populated, faulted, PROBE_ROUNDS / 2, populate ? "on" : "off");
}
