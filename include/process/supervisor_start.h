/* supervisor_start.h: the supervisor's start-up, from the monitor's fork to serving.
 *
 * Contract: supervisor_start() runs in the fork's child, once, and never
 * returns. Its steps are numbered as in docs/architecture.md ("Start-up order",
 * the supervisor's table), each checked, any failure one line on the log
 * channel and exit 2: 0 a canary of its own, AT_RANDOM and the monitor's canary
 * cleared from its memory (a connection process inherits that memory);
 * 1 descriptors (its log channel end on 2, /dev/null on 0 and 1, nothing of the
 * monitor's); 2 its own process group; 3 room for every child's descriptors, and
 * nice -5; 4 the run user, keeping only CAP_SYS_CHROOT (or a user namespace);
 * 5 chroot into the document root, then no capability at all; 6 no_new_privs,
 * not dumpable, RLIMIT_FSIZE 0, RLIMIT_CORE 0, RLIMIT_AS for its children;
 * 7 Landlock; 8 its tables; 9 the prefault's calibration; 10 the jail seccomp
 * filter; 11 "ready", then serve once the monitor says 'G'.
 * Must not: return, or serve before every step has succeeded. */
#ifndef PRONG_SUPERVISOR_START_H
#define PRONG_SUPERVISOR_START_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "jail/privileges.h"
#include "process/listener.h"
#include "process/peer_ring.h"

struct supervisor_plan {
    const struct config *config;
    const struct run_user *user;
    int root_fd;
    int null_fd;
    int supervisor_channel_fd; /* its end of the log channel, becomes descriptor 2 */
    int children_channel_fd;   /* the end its children write to */
    int control_fd;            /* the control pipe's read end */
    const int *close_fds;      /* the monitor's descriptors: closed at once */
    size_t close_count;
    struct listener *listeners;
    size_t listener_count;
    int metrics_fd; /* the --metrics socket, or -1 */
    struct peer_ring *peer_ring;
    const struct sock_fprog *jail_filter;
    int landlock_abi;
    bool report_status;
};

__attribute__((noreturn)) void supervisor_start(const struct supervisor_plan *plan);

#endif
