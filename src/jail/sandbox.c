/* sandbox.c: the jail steps of docs/architecture.md, each read back after it is taken.
 *
 * The order they run in lives in one place only: main.c (supervisor and monitor)
 * and supervisor.c's child start (connection processes); this file holds the steps
 * themselves. Landlock constants newer than Debian 12's kernel headers are
 * defined here (landlock(7)); every rule is handled only if the kernel's ABI
 * knows it, so an older kernel gets the strongest ruleset it can enforce.
 * Must not: continue after a failed step, or loosen a limit. */
#include "jail/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ull << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ull << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ull << 0) /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ull << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ull << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6; the kernel takes its size, so an
 * older kernel receives only the fields it knows (we pass a shorter size). */
struct ruleset_attributes {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

int sandbox_enter_root(int root_fd, char *error, size_t error_size)
{
    if (fchdir(root_fd) != 0 || chroot(".") != 0 || chdir("/") != 0) {
        snprintf(error, error_size, "cannot chroot into the document root: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == (ssize_t)length ? 0 : -1;
}

int sandbox_enter_user_namespace(char *error, size_t error_size)
{
    char map[64];
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER) != 0) {
        snprintf(error, error_size, "cannot create a user namespace: %s", strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "%ld %ld 1\n", (long)uid, (long)uid);
    if (write_file("/proc/self/setgroups", "deny\n") != 0 ||
        write_file("/proc/self/uid_map", map) != 0) {
        snprintf(error, error_size, "cannot map the user into its namespace: %s", strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "%ld %ld 1\n", (long)gid, (long)gid);
    if (write_file("/proc/self/gid_map", map) != 0) {
        snprintf(error, error_size, "cannot map the group into its namespace: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_user_namespaces_allowed(void)
{
    pid_t probe = fork();
    if (probe == 0)
        _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
    int status = 0;
    if (probe < 0 || waitpid(probe, &status, 0) != probe)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int sandbox_lock_process(char *error, size_t error_size)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        snprintf(error, error_size, "cannot set no_new_privs or clear dumpable: %s",
                 strerror(errno));
        return -1;
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
        snprintf(error, error_size, "no_new_privs or dumpable did not take");
        return -1;
    }
    return 0;
}

int sandbox_set_limits(int resource, rlim_t soft, rlim_t hard, char *error, size_t error_size)
{
    struct rlimit wanted = {soft, hard}, now;
    if (setrlimit((__rlimit_resource_t)resource, &wanted) != 0 ||
        getrlimit((__rlimit_resource_t)resource, &now) != 0 || now.rlim_cur != soft ||
        now.rlim_max != hard) {
        snprintf(error, error_size, "cannot set resource limit %d to %llu/%llu: %s", resource,
                 (unsigned long long)soft, (unsigned long long)hard, strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_lower_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit wanted = {soft, hard};
    return setrlimit((__rlimit_resource_t)resource, &wanted);
}

int sandbox_set_limit(int resource, rlim_t value, char *error, size_t error_size)
{
    return sandbox_set_limits(resource, value, value, error, error_size);
}

int sandbox_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi > 0 ? (int)abi : 0;
}

/* Every file-system right this ABI knows: handled means denied unless a rule grants it. */
static uint64_t handled_fs_rights(int abi)
{
    uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
    if (abi >= 2)
        rights |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return rights;
}

static size_t attributes_size(int abi)
{
    if (abi >= 6)
        return sizeof(struct ruleset_attributes);
    if (abi >= 4)
        return offsetof(struct ruleset_attributes, scoped);
    return offsetof(struct ruleset_attributes, handled_access_net);
}

static int create_ruleset(const struct ruleset_attributes *attributes, int abi, char *error,
                          size_t error_size)
{
    long fd = syscall(SYS_landlock_create_ruleset, attributes, attributes_size(abi), 0);
    if (fd < 0)
        snprintf(error, error_size, "cannot create a Landlock ruleset: %s", strerror(errno));
    return (int)fd;
}

static int add_path_rule(int ruleset_fd, int directory_fd, uint64_t rights, char *error,
                         size_t error_size)
{
    struct landlock_path_beneath_attr rule = {.allowed_access = rights, .parent_fd = directory_fd};
    if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
        snprintf(error, error_size, "cannot add a Landlock rule: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int restrict_self(int ruleset_fd, char *error, size_t error_size)
{
    int result = (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
    int saved = errno;
    close(ruleset_fd);
    if (result != 0) {
        snprintf(error, error_size, "cannot enforce the Landlock ruleset: %s", strerror(saved));
        return -1;
    }
    return 0;
}

int sandbox_landlock_read_only(int root_fd, int abi, char *error, size_t error_size)
{
    if (abi == 0)
        return 0;
    struct ruleset_attributes attributes = {
        .handled_access_fs = handled_fs_rights(abi),
        .handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP,
        .scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL,
    };
    int ruleset = create_ruleset(&attributes, abi, error, error_size);
    if (ruleset < 0)
        return -1;
    if (add_path_rule(ruleset, root_fd, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
                      error, error_size) != 0) {
        close(ruleset);
        return -1;
    }
    return restrict_self(ruleset, error, error_size) == 0 ? abi : -1;
}

int sandbox_landlock_logs_only(const int *directory_fds, size_t count, int abi, char *error,
                               size_t error_size)
{
    if (abi == 0)
        return 0;
    struct ruleset_attributes attributes = {
        .handled_access_fs = handled_fs_rights(abi),
        .handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP,
    };
    int ruleset = create_ruleset(&attributes, abi, error, error_size);
    if (ruleset < 0)
        return -1;
    int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int failed =
        proc < 0 ||
        add_path_rule(ruleset, proc, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
                      error, error_size) != 0;
    if (proc < 0)
        snprintf(error, error_size, "cannot open /proc: %s", strerror(errno));
    if (proc >= 0)
        close(proc);
    uint64_t log_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG;
    for (size_t i = 0; !failed && i < count; i++)
        failed = add_path_rule(ruleset, directory_fds[i], log_rights, error, error_size) != 0;
    if (failed) {
        close(ruleset);
        return -1;
    }
    return restrict_self(ruleset, error, error_size) == 0 ? abi : -1;
}

int sandbox_landlock_scope_self(int abi, char *error, size_t error_size)
{
    if (abi < 6)
        return 0;
    struct ruleset_attributes attributes = {
        .scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL,
    };
    int ruleset = create_ruleset(&attributes, abi, error, error_size);
    if (ruleset < 0)
        return -1;
    return restrict_self(ruleset, error, error_size) == 0 ? abi : -1;
}

int sandbox_install_filter(const struct sock_fprog *program, char *error, size_t error_size)
{
    /* The kernel's answer is the check here: PR_GET_SECCOMP would itself need
     * prctl in the allowlist, so the monitor reads "Seccomp: 2" from
     * /proc/<pid>/status instead, from outside the jail. */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0) != 0) {
        snprintf(error, error_size, "cannot install the seccomp filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}
