/* seccomp_policy.h: the seccomp filters, built from the files in policy/.
 *
 * Contract: seccomp_policy_build() compiles one role's allowlist with libseccomp
 * (default action: kill the process; other architectures: kill) and exports it
 * once as classic BPF, so each process installs it with one prctl and nothing is
 * rebuilt per connection. seccomp_policy_export_pfc() writes the same filter as
 * libseccomp's readable PFC text (committed as policy/ROLE.pfc for review).
 * Must not: be called after a jail step (it allocates and uses memfd_create). */
#ifndef PRONG_SECCOMP_POLICY_H
#define PRONG_SECCOMP_POLICY_H

#include <linux/filter.h>
#include <stddef.h>

enum policy_role {
    POLICY_JAIL,    /* the supervisor and every connection process */
    POLICY_MONITOR, /* the process prong was started as */
};

/* Fill program with a heap copy of the role's BPF. 0, or -1 with the reason. */
int seccomp_policy_build(enum policy_role role, struct sock_fprog *program, char *error,
                         size_t error_size);

/* Write the role's filter as PFC text to fd. 0, or -1 with the reason. */
int seccomp_policy_export_pfc(enum policy_role role, int fd, char *error, size_t error_size);

#endif
