/* attest.h: `prong --attest`: prove, from outside, that every configured layer is in place.
 *
 * Contract: called by the monitor after the real start-up has verified the
 * supervisor. attest_collect() makes one connection process exist (a helper
 * process connects to the first listener and holds the connection), then reads
 * the supervisor's and that child's /proc/<pid>/status, root and limits while
 * the monitor may still read them; attest_report() reads the monitor's own
 * state after it has locked itself down, prints one JSON line per role
 * (monitor, supervisor, child) on standard output, and returns 0 only if every
 * configured layer was seen.
 * Must not: serve, or call a layer present that /proc does not show (Landlock
 * is not visible in /proc: the line says so instead of claiming it). */
#ifndef PRONG_ATTEST_H
#define PRONG_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct attest_expectations {
    uid_t run_uid;
    gid_t run_gid;
    uid_t monitor_uid;
    const char *root_path;              /* the document root, as the jail's root */
    bool started_as_root;               /* then the bounding sets must be empty */
    bool chroot, seccomp, capabilities; /* layers configured (all, except in the lab build) */
    int landlock_abi;                   /* 0: the kernel has none */
    bool landlock;                      /* configured */
    bool landlock_weak_accepted;        /* ABI < 3 (or none), accepted by --allow-weak-landlock */
    unsigned child_max_files;
    int expected_groups; /* 0, or an ordinary user's own groups (they cannot be shed) */
    int notify_fd;       /* systemd's notification socket, which the monitor may hold, */
    int channel_fds[2];  /* and the log channel's read ends: no other socket */
};

/* Make a child and read supervisor and child. 0, or -1 with the reason. */
int attest_collect(pid_t supervisor, const char *host, unsigned port,
                   const struct attest_expectations *expect, char *error, size_t error_size);

/* After the monitor's lock-down: print the three lines; 0 if all layers hold, else 1. */
int attest_report(void);

/* End the helper connection (the child then finishes). */
void attest_release(void);

#endif
