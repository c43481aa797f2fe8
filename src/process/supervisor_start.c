/* supervisor_start.c: the supervisor's start-up (include/process/supervisor_start.h).
 *
 * Why the first step: a fork copies memory, so the supervisor starts with the
 * monitor's stack canary in its TCB and in the frames below main, and with
 * AT_RANDOM, the 16 bytes glibc derived that canary and its pointer guard from
 * (getauxval(3)). Every connection process inherits the supervisor's memory,
 * and the monitor parses what connection processes send it: a child that could
 * read the monitor's canary would know the one secret between a stack overflow
 * in the monitor and its return address. So the supervisor takes a canary of
 * its own, overwrites every stack word that holds the old one, and clears
 * AT_RANDOM, before it does anything else (SECURITY.md, "The monitor's secrets").
 * Must not: return, or keep a copy of the monitor's canary. */
#include "process/supervisor_start.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "jail/sandbox.h"
#include "process/child_start.h"
#include "process/log.h"
#include "process/supervisor.h"

#ifdef PRONG_SANITIZER_BUILD
#define SANITIZER_BUILD 1
#else
#define SANITIZER_BUILD 0
#endif

#define EXIT_SETUP 2

static char error[512];

/* ---------------------------------------------------------------- the monitor's secrets */

/* Read from memory on each use, so no register or spill slot keeps it. */
static volatile uint64_t monitor_canary;

/* The bounds of this process's stack mapping, from /proc/self/maps (read
 * before the chroot). 0, or -1. */
__attribute__((no_stack_protector)) static int stack_bounds(uintptr_t *low, uintptr_t *high)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return -1;
    char line[512];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, maps)) {
        unsigned long start = 0, end = 0;
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &start, &end) == 2) {
            *low = start;
            *high = end;
            found = 0;
        }
    }
    fclose(maps);
    return found;
}

/* Overwrite every aligned stack word equal to the monitor's canary. It reads
 * the whole mapping, dead frames and (in the sanitizer build) AddressSanitizer's
 * redzones included, so it is not instrumented. */
__attribute__((no_stack_protector, noinline, no_sanitize("address"))) static void scrub_stack(
    uintptr_t low, uintptr_t high)
{
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the bounds come from /proc/self/maps
    for (volatile uint64_t *word = (volatile uint64_t *)low; (uintptr_t)(word + 1) <= high; word++)
        if (*word == monitor_canary)
            *word = 0;
}

/* A canary of its own, the old one gone from the stack, AT_RANDOM cleared.
 * Runs in a function that never returns, as child_start.c's renewal does. The
 * old canary passes through one scratch register inside the asm, which zeroes
 * it: no callee could push a copy of it below the part of the stack already
 * scrubbed. */
__attribute__((no_stack_protector, noinline)) static int forget_monitor_secrets(void)
{
    uint64_t fresh = 0;
    uintptr_t low = 0, high = 0;
    if (getrandom(&fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh || stack_bounds(&low, &high))
        return -1;
    fresh &= ~(uint64_t)0xff; /* glibc keeps the low byte zero */
    __asm__ volatile("movq %%fs:0x28, %%rax\n\t"
                     "movq %%rax, %0\n\t"
                     "movq %1, %%fs:0x28\n\t"
                     "xorl %%eax, %%eax"
                     : "=m"(monitor_canary)
                     : "r"(fresh)
                     : "rax", "memory");
    scrub_stack(low, high);
    monitor_canary = 0;
    unsigned char *random_bytes =
        (unsigned char *)getauxval(AT_RANDOM); // NOLINT(performance-no-int-to-ptr)
    if (random_bytes)
        explicit_bzero(random_bytes, 16);
    return 0;
}

/* ---------------------------------------------------------------- the steps */

__attribute__((noreturn)) static void fail(const char *step)
{
    log_error("%s", step);
    _exit(EXIT_SETUP);
}

/* The longest a child may wait in one phase for its client: the caps allow
 * this plus a margin. A later head's deadline counts too (leaving it out cut
 * off a head still within --next-head-timeout when that was the longest). */
static uint32_t longest_read_deadline_ms(const struct config *config)
{
    uint32_t longest = config->head_timeout_ms;
    if (config->idle_timeout_ms > longest)
        longest = config->idle_timeout_ms;
    if (config->next_head_timeout_ms > longest)
        longest = config->next_head_timeout_ms;
    return longest;
}

/* 1. The log channel on 2, /dev/null on 0 and 1, nothing of the monitor's. */
static void arrange_descriptors(const struct supervisor_plan *plan)
{
    if (dup2(plan->supervisor_channel_fd, STDERR_FILENO) != STDERR_FILENO ||
        dup2(plan->null_fd, STDIN_FILENO) != 0 || dup2(plan->null_fd, STDOUT_FILENO) != 1)
        fail("cannot arrange the supervisor's descriptors");
    log_use_channel(STDERR_FILENO);
    close(plan->supervisor_channel_fd);
    close(plan->null_fd);
    for (size_t i = 0; i < plan->close_count; i++)
        close(plan->close_fds[i]);
}

/* 4-5. The run user keeping only CAP_SYS_CHROOT (or a user namespace that
 * provides it), the chroot, then no capability at all. */
static void enter_jail(const struct supervisor_plan *plan)
{
    const struct config *config = plan->config;
    bool drop_privileges = LAYER_APPLIED(config, LAYER_CAPABILITIES);
    /* 4 */
    if (drop_privileges && privileges_drop_to_user(plan->user, error, sizeof error) != 0)
        fail(error);
    if (LAYER_APPLIED(config, LAYER_CHROOT) && !privileges_can_chroot() &&
        sandbox_enter_user_namespace(error, sizeof error) != 0)
        fail(error);
    /* 5 */
    if (LAYER_APPLIED(config, LAYER_CHROOT)) {
        if (sandbox_enter_root(plan->root_fd, error, sizeof error) != 0)
            fail(error);
    } else if (fchdir(plan->root_fd) != 0) {
        fail("cannot enter the document root");
    }
    if (drop_privileges && privileges_drop_all(error, sizeof error) != 0)
        fail(error);
}

/* 6. no_new_privs, not dumpable; no file writes, no core files; the children's
 * address space (not in the sanitizer build: ASan reserves terabytes). */
static void lock_process(const struct config *config)
{
    if (sandbox_lock_process(error, sizeof error) != 0 ||
        sandbox_set_limit(RLIMIT_FSIZE, 0, error, sizeof error) != 0 ||
        sandbox_set_limit(RLIMIT_CORE, 0, error, sizeof error) != 0 ||
        (!SANITIZER_BUILD && sandbox_set_limit(RLIMIT_AS, (rlim_t)config->child_memory_mb << 20,
                                               error, sizeof error) != 0))
        fail(error);
}

static void prepare_loop(const struct supervisor_plan *plan)
{
    const struct config *config = plan->config;
    struct supervisor_settings settings = {
        .listeners = plan->listeners,
        .listener_count = plan->listener_count,
        .metrics_fd = plan->metrics_fd,
        .control_fd = plan->control_fd,
        .peer_ring = plan->peer_ring,
        .max_children = config->max_children,
        .max_per_ip = config->max_per_ip,
        .max_per_prefix = config->max_per_prefix,
        .max_connection_rate = config->max_connection_rate,
        .grace_ms = config->grace_ms,
        .head_deadline_ms = longest_read_deadline_ms(config),
        .send_window_ms = config->send_window_ms,
        .crash_limit = config->crash_limit,
        .crash_block_ms = config->crash_block_ms,
        .trusted_proxies = config->trusted_proxies,
        .trusted_proxy_count = config->trusted_proxy_count,
        .log_children = config->log_children,
        .report_status = plan->report_status,
        .kill_children = LAYER_APPLIED(config, LAYER_KILL),
        .fair_share = LAYER_APPLIED(config, LAYER_FAIR_SHARE),
        .start_child = child_start_run,
    };
    if (supervisor_prepare(&settings, error, sizeof error) != 0)
        fail(error);
}

__attribute__((noreturn)) static void jail_and_serve(const struct supervisor_plan *plan)
{
    const struct config *config = plan->config;
    log_set_role("supervisor");
    arrange_descriptors(plan); /* 1 */
    if (setpgid(0, 0) != 0)    /* 2. ^C at a terminal reaches the monitor, which decides */
        fail("cannot leave the terminal's process group");
    /* 3. A client socket and a pidfd for each child, set while the limit may still
     * be raised; ahead of its children on the CPU, also while that is allowed. */
    rlim_t files = (rlim_t)config->max_children * 3 + 64;
    if (sandbox_set_limit(RLIMIT_NOFILE, files, error, sizeof error) != 0 ||
        supervisor_raise_priority(error, sizeof error) != 0)
        fail(error);
    enter_jail(plan);     /* 4-5 */
    lock_process(config); /* 6 */
    /* 7. Landlock: read beneath the root only, no TCP bind/connect, scoped signals. */
    if (LAYER_APPLIED(config, LAYER_LANDLOCK) &&
        sandbox_landlock_read_only(plan->root_fd, plan->landlock_abi, error, sizeof error) < 0)
        fail(error);
    prepare_loop(plan); /* 8 */
    child_start_set_parent(getpid());
    child_start_calibrate(); /* 9 */
    /* 10. The seccomp filter, exported before the drop; default action: kill. */
    if (LAYER_APPLIED(config, LAYER_SECCOMP) &&
        sandbox_install_filter(plan->jail_filter, error, sizeof error) != 0)
        fail(error);
    /* 11. Tell the monitor, which checks all of this from outside before 'G'. */
    log_send(LOG_KIND_READY, "ready", 5);
    _exit(supervisor_run());
}

__attribute__((no_stack_protector, noreturn)) void supervisor_start(
    const struct supervisor_plan *plan)
{
    if (LAYER_APPLIED(plan->config, LAYER_SECRETS) && forget_monitor_secrets() != 0) { /* 0 */
        log_set_role("supervisor");
        fprintf(stderr, "prong: supervisor: cannot clear the monitor's canary: %s\n",
                strerror(errno));
        _exit(EXIT_SETUP);
    }
    jail_and_serve(plan);
}
