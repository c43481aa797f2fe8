/* seccomp_policy.c: compile the allowlists in policy/ into seccomp filters with libseccomp.
 *
 * The allowlists are not written here: build/policy/ROLE.inc is generated from
 * the reviewed policy/ROLE.policy (mk/policy.mk), one POLICY_RULE(name, rule) per
 * line. This file only knows what each named rule means in argument filters.
 * Filters are built once, before any jail step, and exported as BPF so a process
 * installs its filter with one prctl (../shared/measurements.md: seccomp_load
 * rebuilds the program every time, a prctl of exported BPF does not).
 * Must not: allow anything a policy file does not list. */
#include "jail/seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum policy_rule_kind {
    RULE_any,
    RULE_log_open,
    RULE_pidfd_fork,
    RULE_no_exec,
    RULE_self,
    RULE_kill_only,
    RULE_no_address,
    RULE_timeouts,
    RULE_socket_info,
    RULE_pdeathsig,
    RULE_enosys,
    RULE_page_advice,
    RULE_alias_shared,
};

struct policy_rule {
    int syscall_number;
    enum policy_rule_kind kind;
    const char *name;
};

#define POLICY_RULE(syscall_name, rule) {SCMP_SYS(syscall_name), RULE_##rule, #syscall_name},
static const struct policy_rule JAIL_RULES[] = {
#include "jail.inc"
};
static const struct policy_rule MONITOR_RULES[] = {
#include "monitor.inc"
};
#ifdef PRONG_SANITIZER_BUILD
/* The sanitizer build's jail also allows what the ASan runtime needs (mk/sanitize.mk). */
static const struct policy_rule SANITIZER_RULES[] = {
#include "sanitizer.inc"
};
#endif
#undef POLICY_RULE

/* The supervisor's fork (supervisor_children.c): clone(CLONE_PIDFD | SIGCHLD, 0, &pidfd, ...). */
#define FORK_CLONE_FLAGS ((scmp_datum_t)(CLONE_PIDFD | SIGCHLD))

/* O_TMPFILE includes O_DIRECTORY, which opendir() needs: filter __O_TMPFILE
 * alone (../shared/measurements.md). The monitor opens log files write-only,
 * appending, maybe creating them; never read-write, truncating or unnamed. */
#define __O_TMPFILE_ONLY ((scmp_datum_t)(O_TMPFILE & ~O_DIRECTORY))
static const scmp_datum_t LOG_OPEN_FORBIDDEN_BITS[] = {O_RDWR, O_TRUNC, __O_TMPFILE_ONLY};

static int add_rule(scmp_filter_ctx context, const struct policy_rule *rule)
{
    int number = rule->syscall_number;
    switch (rule->kind) {
    case RULE_any: return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 0);
    case RULE_log_open: {
        int result = 0;
        scmp_datum_t mask = 0;
        for (size_t i = 0; i < sizeof LOG_OPEN_FORBIDDEN_BITS / sizeof LOG_OPEN_FORBIDDEN_BITS[0];
             i++) {
            mask |= LOG_OPEN_FORBIDDEN_BITS[i];
            result |= seccomp_rule_add(context, SCMP_ACT_ERRNO(EACCES), number, 1,
                                       SCMP_A2(SCMP_CMP_MASKED_EQ, LOG_OPEN_FORBIDDEN_BITS[i],
                                               LOG_OPEN_FORBIDDEN_BITS[i]));
        }
        result |= seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                   SCMP_A2(SCMP_CMP_MASKED_EQ, mask, 0));
        return result;
    }
    case RULE_pidfd_fork:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A0(SCMP_CMP_EQ, FORK_CLONE_FLAGS));
    case RULE_kill_only:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 3, SCMP_A1(SCMP_CMP_EQ, SIGKILL),
                                SCMP_A2(SCMP_CMP_EQ, 0), SCMP_A3(SCMP_CMP_EQ, 0));
    case RULE_no_address:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 2, SCMP_A4(SCMP_CMP_EQ, 0),
                                SCMP_A5(SCMP_CMP_EQ, 0));
    case RULE_timeouts:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 2,
                                SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
                                SCMP_A2(SCMP_CMP_EQ, SO_RCVTIMEO)) |
               seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 2,
                                SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
                                SCMP_A2(SCMP_CMP_EQ, SO_SNDTIMEO));
    case RULE_socket_info:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 2,
                                SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP), SCMP_A2(SCMP_CMP_EQ, TCP_INFO)) |
               seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 2,
                                SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
                                SCMP_A2(SCMP_CMP_EQ, SO_PEERCRED));
    case RULE_pdeathsig:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG));
    case RULE_no_exec:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    case RULE_self:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1, SCMP_A0(SCMP_CMP_EQ, 0));
    case RULE_enosys: return seccomp_rule_add(context, SCMP_ACT_ERRNO(ENOSYS), number, 0);
    case RULE_page_advice:
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A2(SCMP_CMP_EQ, MADV_DOFORK)) |
               seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A2(SCMP_CMP_EQ, MADV_DONTFORK)) |
               seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A2(SCMP_CMP_EQ, MADV_POPULATE_READ)) |
               seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 1,
                                SCMP_A2(SCMP_CMP_EQ, MADV_POPULATE_WRITE));
    case RULE_alias_shared:
        /* new_size too: an alias of old_size 0 maps the shared object from the
         * source page on, new_size bytes of it, so a larger one would reach the
         * slots after the child's own (the whole table from slot 0). One page,
         * the window's size (scoreboard.c), is the child's own slot alone. */
        return seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 3, SCMP_A1(SCMP_CMP_EQ, 0),
                                SCMP_A2(SCMP_CMP_EQ, 4096),
                                SCMP_A3(SCMP_CMP_EQ, MREMAP_MAYMOVE | MREMAP_FIXED));
    }
    return -EINVAL;
}

static const struct policy_rule *role_rules(enum policy_role role, size_t *count)
{
    if (role == POLICY_MONITOR) {
        *count = sizeof MONITOR_RULES / sizeof MONITOR_RULES[0];
        return MONITOR_RULES;
    }
    *count = sizeof JAIL_RULES / sizeof JAIL_RULES[0];
    return JAIL_RULES;
}

static scmp_filter_ctx build_context(enum policy_role role, char *error, size_t error_size)
{
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!context) {
        snprintf(error, error_size, "cannot start building the seccomp filter");
        return NULL;
    }
    /* No other architecture: i386's int $0x80 and x32 calls kill the process. */
    if (seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
        snprintf(error, error_size, "cannot set the seccomp bad-architecture action");
        seccomp_release(context);
        return NULL;
    }
    size_t count = 0;
    const struct policy_rule *rules = role_rules(role, &count);
    for (size_t i = 0; i < count; i++) {
        int result = add_rule(context, &rules[i]);
        if (result != 0) {
            snprintf(error, error_size, "cannot add the seccomp rule for %s: %s", rules[i].name,
                     strerror(-result));
            seccomp_release(context);
            return NULL;
        }
    }
#ifdef PRONG_SANITIZER_BUILD
    for (size_t i = 0;
         role == POLICY_JAIL && i < sizeof SANITIZER_RULES / sizeof SANITIZER_RULES[0]; i++) {
        int result = add_rule(context, &SANITIZER_RULES[i]);
        if (result != 0 && result != -EEXIST) {
            snprintf(error, error_size, "cannot add the sanitizer rule for %s",
                     SANITIZER_RULES[i].name);
            seccomp_release(context);
            return NULL;
        }
    }
#endif
    return context;
}

int seccomp_policy_build(enum policy_role role, struct sock_fprog *program, char *error,
                         size_t error_size)
{
    scmp_filter_ctx context = build_context(role, error, error_size);
    if (!context)
        return -1;
    /* libseccomp 2.5 exports to a descriptor only: use an anonymous memory file. */
    int fd = memfd_create("prong-seccomp", MFD_CLOEXEC);
    int result = -1;
    if (fd < 0) {
        snprintf(error, error_size, "cannot create a memory file for the filter: %s",
                 strerror(errno));
    } else if (seccomp_export_bpf(context, fd) != 0) {
        snprintf(error, error_size, "cannot export the seccomp filter");
    } else {
        off_t size = lseek(fd, 0, SEEK_END);
        struct sock_filter *instructions = size > 0 ? malloc((size_t)size) : NULL;
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || !instructions ||
            pread(fd, instructions, (size_t)size, 0) != size) {
            snprintf(error, error_size, "cannot read back the exported seccomp filter");
            free(instructions);
        } else {
            program->len = (unsigned short)((size_t)size / sizeof(struct sock_filter));
            program->filter = instructions;
            result = 0;
        }
    }
    if (fd >= 0)
        close(fd);
    seccomp_release(context);
    return result;
}

int seccomp_policy_export_pfc(enum policy_role role, int fd, char *error, size_t error_size)
{
    scmp_filter_ctx context = build_context(role, error, error_size);
    if (!context)
        return -1;
    int result = seccomp_export_pfc(context, fd);
    seccomp_release(context);
    if (result != 0) {
        snprintf(error, error_size, "cannot export the filter as PFC text");
        return -1;
    }
    return 0;
}
