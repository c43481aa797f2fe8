/* verify.c: check the supervisor's jail from /proc (include/jail/verify.h).
 *
 * The privilege drop and the jail must be visible from outside, or nothing is
 * served: a step that reported success but did not take would otherwise go
 * unnoticed. Must not: trust anything the supervisor says about itself. */
#include "jail/verify.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jail/proc_status.h"

static bool capabilities_dropped(const struct proc_status *status,
                                 const struct supervisor_expectations *expect)
{
    return status->group_count == expect->groups && status->cap_effective == 0 &&
           status->cap_permitted == 0 && status->cap_inheritable == 0 && status->cap_ambient == 0 &&
           (!expect->bounding_empty || status->cap_bounding == 0);
}

static int verify_status(const struct proc_status *status,
                         const struct supervisor_expectations *expect, char *error,
                         size_t error_size)
{
    bool ids = true;
    for (int i = 0; i < 4; i++)
        ids = ids && status->uid[i] == (long)expect->uid && status->gid[i] == (long)expect->gid;
    bool filtered = status->seccomp == 2 || !expect->seccomp;
    if ((expect->drop && (!ids || !capabilities_dropped(status, expect))) ||
        status->no_new_privs != 1 || !filtered) {
        snprintf(error, error_size,
                 "the supervisor's jail is not as configured (uid %ld gid %ld groups %d CapEff "
                 "%llx CapBnd %llx NoNewPrivs %d Seccomp %d)",
                 status->uid[0], status->gid[0], status->group_count,
                 (unsigned long long)status->cap_effective,
                 (unsigned long long)status->cap_bounding, status->no_new_privs, status->seccomp);
        return -1;
    }
    return 0;
}

int verify_supervisor(pid_t pid, const struct supervisor_expectations *expect, char *error,
                      size_t error_size)
{
    struct proc_status status;
    if (proc_status_read((long)pid, &status) != 0) {
        snprintf(error, error_size, "cannot read the supervisor's /proc status");
        return -1;
    }
    if (verify_status(&status, expect, error, error_size) != 0)
        return -1;
    char link[64], root[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%ld/root", (long)pid);
    ssize_t length = readlink(link, root, sizeof root - 1);
    const char *expected_root = expect->chroot ? expect->root_path : "/";
    /* Reading another process's root needs ptrace access: a monitor without
     * CAP_SYS_PTRACE (an ordinary user, systemd's service user, root in a
     * container's default capability set) may not read it for a non-dumpable
     * supervisor. The escape tests, run in those modes too, show the chroot. */
    if (length < 0 && (errno == EACCES || errno == EPERM))
        return 0;
    if (length < 0 || (root[length] = '\0', strcmp(root, expected_root) != 0)) {
        snprintf(error, error_size, "the supervisor's root is not the document root");
        return -1;
    }
    return 0;
}
