/* monitor_start.h: the monitor's start-up once the supervisor exists, and --check's summary.
 *
 * Contract: monitor_start() runs in the process prong was started as, right
 * after it forked the supervisor, and returns prong's exit code. It continues
 * main.c's numbering, as docs/architecture.md ("Start-up order", the monitor's
 * table) does: 15 close every descriptor that is the supervisor's (listeners,
 * the writers' ends of the log channel, the control pipe's read end, the root);
 * 16 configure the log channel's intake; 17 wait for "ready" (relaying the
 * supervisor's start-up errors); 18 verify its jail from /proc; 19 print the
 * "listening on" lines; 20 lock itself down: the log user (a uid of its own:
 * not root, not the run user), no capability, no_new_privs, Landlock (write
 * beneath the log directories only), its own seccomp filter; 21 release the
 * supervisor ('G') and serve the logs until the supervisor has stopped. For
 * --attest, 21 comes before 20: one connection process is made and every role
 * read from /proc, then the lock-down, then the report.
 * monitor_print_check() prints what --check validated.
 * Must not: release the supervisor before verifying it and locking itself down
 * (an --attest run reads /proc first, then locks down, then reports). */
#ifndef PRONG_MONITOR_START_H
#define PRONG_MONITOR_START_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "jail/privileges.h"
#include "jail/verify.h"
#include "process/channels.h"
#include "process/listener.h"
#include "process/log_files.h"

struct monitor_plan {
    const struct config *config;
    pid_t supervisor;
    const struct run_user *user;     /* the run user */
    const struct run_user *log_user; /* who the monitor becomes */
    const char *root_path;
    int root_fd, null_fd;
    struct channels *channels;
    struct listener *listeners;
    size_t listener_count;
    const struct listener *metrics; /* fd -1: no --metrics */
    struct log_target access_log, error_log;
    int notify_fd;
    const struct sock_fprog *monitor_filter;
    struct supervisor_expectations expect;
    int landlock_abi;
    bool started_as_root;
    int expected_groups;
};

int monitor_start(const struct monitor_plan *plan);

void monitor_print_check(const struct monitor_plan *plan, size_t entries,
                         unsigned filter_instructions);

#endif
