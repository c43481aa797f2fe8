/* export_policy.c: build/export-policy ROLE prints a role's seccomp filter as PFC text.
 *
 * `make policy-export` writes policy/jail.pfc and policy/monitor.pfc with it; a
 * test checks that the committed files match, so a reviewer sees every change to
 * a filter as a diff. Must not: print anything but the filter. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jail/seccomp_policy.h"

int main(int argc, char **argv)
{
    char error[256];
    enum policy_role role;
    if (argc == 2 && strcmp(argv[1], "jail") == 0)
        role = POLICY_JAIL;
    else if (argc == 2 && strcmp(argv[1], "monitor") == 0)
        role = POLICY_MONITOR;
    else {
        fprintf(stderr, "usage: export-policy jail|monitor\n");
        return 2;
    }
    if (seccomp_policy_export_pfc(role, STDOUT_FILENO, error, sizeof error) != 0) {
        fprintf(stderr, "export-policy: %s\n", error);
        return 1;
    }
    return 0;
}
