/* sandbox.h: the jail steps, each one checked (docs/architecture.md, "Start-up order").
 *
 * Contract: every function returns 0 on success and -1 with a one-line reason
 * on failure, after which the caller must end the process (fail closed). The
 * Landlock functions return the ABI they used, 0 when the kernel has no Landlock
 * (the caller decides whether that is acceptable), or -1 on failure.
 * Must not: loosen anything, or report a step done without reading it back. */
#ifndef PRONG_SANDBOX_H
#define PRONG_SANDBOX_H

#include <stddef.h>
#include <sys/resource.h>

struct sock_fprog;

/* chroot into the directory open at root_fd: fchdir + chroot(".") + chdir("/"),
 * so a root below a directory the run user cannot search still works. */
int sandbox_enter_root(int root_fd, char *error, size_t error_size);

/* Started by an ordinary user: a new user namespace, the user's ids mapped to
 * themselves, so this process holds CAP_SYS_CHROOT over its own namespace only
 * (user_namespaces(7)) and can build the jail. Supplementary groups are denied
 * first, as an unprivileged gid_map requires. */
int sandbox_enter_user_namespace(char *error, size_t error_size);

/* Whether this kernel lets an ordinary user create a user namespace (probed in a
 * short-lived child, so nothing changes here). */
int sandbox_user_namespaces_allowed(void);

/* PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0, both read back. */
int sandbox_lock_process(char *error, size_t error_size);

/* Set a resource limit, soft and hard, and read it back. */
int sandbox_set_limit(int resource, rlim_t value, char *error, size_t error_size);

/* Lower a limit in a new connection process: one setrlimit, its result checked
 * (the values are read back from outside, by --attest and the live tests, not
 * again here: this is on every connection's path). 0 or -1. */
int sandbox_lower_limit(int resource, rlim_t soft, rlim_t hard);

/* The same with distinct soft and hard limits (RLIMIT_CPU: SIGXCPU at the soft
 * limit names the cause in the log; the hard one kills a process that ignores it). */
int sandbox_set_limits(int resource, rlim_t soft, rlim_t hard, char *error, size_t error_size);

/* The Landlock ABI of this kernel, 0 without Landlock. */
int sandbox_landlock_abi(void);

/* The jail's Landlock layer (abi: the ABI to use, sandbox_landlock_abi() or a
 * lower one): read files and directories beneath root_fd only,
 * no TCP bind or connect (ABI 4), no signals or abstract Unix sockets outside
 * the domain (ABI 6). */
int sandbox_landlock_read_only(int root_fd, int abi, char *error, size_t error_size);

/* The monitor's Landlock layer: read /proc (to verify the supervisor), write and
 * create files only beneath the given directories (the log files' homes). */
int sandbox_landlock_logs_only(const int *directory_fds, size_t count, int abi, char *error,
                               size_t error_size);

/* A connection process's own layer (ABI 6): it may not signal, nor reach an
 * abstract socket of, any process outside its own new domain, which excludes
 * its siblings and the supervisor. abi: sandbox_landlock_abi(), asked once at
 * start-up rather than once per connection. */
int sandbox_landlock_scope_self(int abi, char *error, size_t error_size);

/* Install a seccomp filter exported ahead of time (prctl, no rebuilding). The
 * monitor confirms "Seccomp: 2" from outside (/proc/<pid>/status). */
int sandbox_install_filter(const struct sock_fprog *program, char *error, size_t error_size);

#endif
