/* monitor_start.c: the monitor's start-up after the fork (include/process/monitor_start.h).
 *
 * Why this order: the supervisor's jail is verified from outside while the
 * monitor can still read /proc as the user it was started as; only then does
 * the monitor shed that user, so no prong process keeps uid 0 once anything is
 * served. Must not: serve a byte of the log channel before the lock-down,
 * except the supervisor's start-up errors, which it relays as they come. */
#include "process/monitor_start.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "jail/attest.h"
#include "jail/sandbox.h"
#include "process/log_intake.h"
#include "process/monitor.h"

#define EXIT_SETUP 2

static struct intake intake; /* the monitor's alone: untouched, so free, in every other process */
static char error[512];

/* The descriptors that are the supervisor's: the monitor keeps none of them. */
static void close_supervisor_descriptors(const struct monitor_plan *plan)
{
    close(plan->channels->supervisor_log[1]);
    close(plan->channels->children_log[1]);
    close(plan->channels->control[0]);
    close(plan->root_fd);
    close(plan->null_fd);
    for (size_t i = 0; i < plan->listener_count; i++)
        close(plan->listeners[i].fd); /* the monitor never holds a network socket */
    if (plan->metrics->fd >= 0)
        close(plan->metrics->fd);
}

static void configure(const struct monitor_plan *plan)
{
    const struct config *config = plan->config;
    uint64_t quota_bytes = (uint64_t)config->max_requests * LOG_QUOTA_BYTES_PER_REQUEST;
    struct intake_settings settings = {
        .supervisor = plan->supervisor,
        .quota_messages = config->max_requests + LOG_QUOTA_EXTRA_MESSAGES,
        .quota_bytes = quota_bytes > LOG_QUOTA_MIN_BYTES ? quota_bytes : LOG_QUOTA_MIN_BYTES,
        .rate_messages = LOG_RATE_MESSAGES,
        .rate_bytes = LOG_RATE_BYTES,
        .lab_trusting = !LAYER_APPLIED(config, LAYER_LOG_CHECKS),
        .access_format = config->access_log_format,
    };
    intake_init(&intake, &settings, plan->channels->peer_ring);
    struct monitor_settings monitor = {
        .supervisor = plan->supervisor,
        .supervisor_channel_fd = plan->channels->supervisor_log[0],
        .children_channel_fd = plan->channels->children_log[0],
        .control_fd = plan->channels->control[1],
        .access_log = plan->access_log,
        .error_log = plan->error_log,
        .notify_fd = plan->notify_fd,
        .intake = &intake,
    };
    monitor_configure(&monitor);
}

/* 20. The log user, no capability, no_new_privs, Landlock (logs only), its filter. */
static void lock_down(const struct monitor_plan *plan)
{
    int directories[2];
    size_t count = 0;
    if (plan->access_log.directory_fd >= 0)
        directories[count++] = plan->access_log.directory_fd;
    if (plan->error_log.directory_fd >= 0)
        directories[count++] = plan->error_log.directory_fd;
    if (privileges_become_log_user(plan->log_user, error, sizeof error) != 0 ||
        sandbox_lock_process(error, sizeof error) != 0 ||
        sandbox_landlock_logs_only(directories, count, plan->landlock_abi, error, sizeof error) <
            0 ||
        sandbox_install_filter(plan->monitor_filter, error, sizeof error) != 0) {
        fprintf(stderr, "prong: monitor: %s\n", error);
        exit(EXIT_SETUP);
    }
}

/* --attest: the real start-up, one connection process, every role read from /proc. */
static int attest(const struct monitor_plan *plan)
{
    const struct config *config = plan->config;
    struct attest_expectations expect = {
        .run_uid = plan->user->uid,
        .run_gid = plan->user->gid,
        .monitor_uid = plan->log_user->uid,
        .root_path = plan->root_path,
        .started_as_root = plan->started_as_root,
        .chroot = LAYER_KEPT(config, LAYER_CHROOT),
        .seccomp = LAYER_KEPT(config, LAYER_SECCOMP),
        .capabilities = LAYER_KEPT(config, LAYER_CAPABILITIES),
        .landlock = LAYER_KEPT(config, LAYER_LANDLOCK),
        .landlock_abi = plan->landlock_abi,
        .landlock_weak_accepted = config->allow_weak_landlock && plan->landlock_abi < 3,
        .child_max_files = CHILD_MAX_FILES,
        .expected_groups = plan->expected_groups,
        .notify_fd = plan->notify_fd,
        .channel_fds = {plan->channels->supervisor_log[0], plan->channels->children_log[0]},
    };
    char host[64];
    listener_format_host((const struct sockaddr *)&plan->listeners[0].address, host, sizeof host);
    const char *port = strrchr(plan->listeners[0].name, ':');
    if (monitor_release_supervisor() != 0 ||
        attest_collect(plan->supervisor, host, port ? (unsigned)atoi(port + 1) : 0, &expect, error,
                       sizeof error) != 0) {
        fprintf(stderr, "prong: %s\n", error[0] ? error : "attest: the supervisor is gone");
        monitor_request_stop();
        monitor_run();
        return 1;
    }
    lock_down(plan);
    int result = attest_report();
    attest_release();
    monitor_request_stop();
    int stopped = monitor_run();
    return result != 0 ? 1 : stopped;
}

/* Steps 15-21 of main.c's order (docs/architecture.md, "Start-up order"). */
int monitor_start(const struct monitor_plan *plan)
{
    close_supervisor_descriptors(plan);     /* 15 */
    configure(plan);                        /* 16. The log channel's judge, before any message */
    int early_exit = monitor_await_ready(); /* 17 */
    if (early_exit >= 0)
        return early_exit;
    /* 18. The supervisor's jail, read from /proc while this process still may. */
    if (verify_supervisor(plan->supervisor, &plan->expect, error, sizeof error) != 0) {
        fprintf(stderr, "prong: %s\n", error);
        return EXIT_SETUP; /* closing the control pipe on exit stops the supervisor */
    }
    for (size_t i = 0; i < plan->listener_count; i++) /* 19 */
        fprintf(stderr, "prong: listening on %s\n", plan->listeners[i].name);
    if (plan->metrics->fd >= 0)
        fprintf(stderr, "prong: metrics on %s\n", plan->metrics->name);
    fflush(stderr);
    if (plan->config->attest)
        return attest(plan); /* 20-21 in its own order: release, read every role, lock down */
    lock_down(plan);         /* 20 */
    if (monitor_release_supervisor() != 0) /* 21. 'G', then serve the logs */
        return 1;
    return monitor_run();
}

void monitor_print_check(const struct monitor_plan *plan, size_t entries,
                         unsigned filter_instructions)
{
    printf("prong %s: configuration is valid\n", PRONG_VERSION);
    printf("root:      %s (%zu entries checked: none writable by the run user, no devices, no "
           "setuid)\n",
           plan->root_path, entries);
    printf("user:      %s (uid %ld, gid %ld)\n", plan->user->name, (long)plan->user->uid,
           (long)plan->user->gid);
    printf("log user:  %s (uid %ld, gid %ld): the monitor, which writes the logs\n",
           plan->log_user->name, (long)plan->log_user->uid, (long)plan->log_user->gid);
    for (size_t i = 0; i < plan->listener_count; i++)
        printf("listen:    %s\n", plan->listeners[i].name);
    if (plan->metrics->fd >= 0)
        printf("metrics:   %s (Prometheus text, served by the supervisor)\n", plan->metrics->name);
    printf("children:  at most %u, %u per client, %u per /24 or /48\n", plan->config->max_children,
           plan->config->max_per_ip, plan->config->max_per_prefix);
    printf("layers:    chroot, no capabilities, no_new_privs, not dumpable, rlimits, seccomp (%u "
           "instructions), Landlock %s\n",
           filter_instructions,
           plan->landlock_abi == 0  ? "unavailable (kernel), accepted by --allow-weak-landlock"
           : plan->landlock_abi < 3 ? "weak (no truncate right), accepted by --allow-weak-landlock"
                                    : "on");
    if (plan->landlock_abi)
        printf("landlock:  ABI %d\n", plan->landlock_abi);
}
