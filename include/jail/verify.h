/* verify.h: the supervisor's jail, checked from outside before anything is served.
 *
 * Contract: verify_supervisor() reads /proc/<pid>/status and /proc/<pid>/root
 * of the supervisor (which cannot see /proc itself) and answers whether its
 * uid, gid, groups, every capability set, NoNewPrivs, Seccomp and root are
 * exactly what was configured. The monitor runs it once the supervisor says
 * "ready" and refuses to release it otherwise.
 * Must not: accept a state it could not read, except a root hidden from a
 * monitor without CAP_SYS_PTRACE (the escape tests show the chroot there). */
#ifndef PRONG_VERIFY_H
#define PRONG_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct supervisor_expectations {
    uid_t uid;
    gid_t gid;
    int groups;          /* 0, or an ordinary user's own (they cannot be shed) */
    bool drop;           /* the privilege drop is configured (all builds but the lab's) */
    bool bounding_empty; /* started as root: the bounding set must be empty */
    bool seccomp;
    bool chroot;
    const char *root_path;
};

/* 0, or -1 with the reason. */
int verify_supervisor(pid_t pid, const struct supervisor_expectations *expect, char *error,
                      size_t error_size);

#endif
