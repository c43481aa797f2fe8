/* main.c: prong's start-up order, written once, in order, in this one place.
 *
 * Three roles (docs/architecture.md): the monitor (the process as started:
 * logs, signals, exit status; no network socket; the log user once serving),
 * the supervisor (jailed: accepts, caps, forks, ends and reaps) and one
 * connection process per connection (inherits the supervisor's jail, narrows
 * it, serves, exits). The steps are numbered as docs/architecture.md's tables
 * number them: 0-14 here, the monitor's 15-21 in monitor_start.c, the
 * supervisor's own 0-11 in supervisor_start.c, a connection process's 1-8 in
 * child_start.c; each is checked, and any failure ends the process with one clear
 * line (fail closed): exit 2 before serving, 1 after.
 * Must not: hold anything here but the order of the steps; each step's work
 * lives in its module. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "jail/docroot.h"
#include "jail/privileges.h"
#include "jail/sandbox.h"
#include "jail/seccomp_policy.h"
#include "process/channels.h"
#include "process/child_start.h"
#include "process/listener_setup.h"
#include "process/log_files.h"
#include "process/metrics_socket.h"
#include "process/monitor.h"
#include "process/monitor_start.h"
#include "process/supervisor_start.h"
#include "static/mime.h"
#include "static/static_files.h"

#define EXIT_SETUP 2

static struct {
    struct config config;
    struct run_user user, log_user;
    int root_fd, null_fd, notify_fd;
    char root_path[PATH_MAX];
    struct listener listeners[LISTENER_SOCKETS_MAX];
    size_t listener_count;
    struct listener metrics; /* fd -1: no --metrics */
    struct sock_fprog jail_filter, monitor_filter;
    struct log_target access_log, error_log;
    struct channels channels;
    int landlock_abi;
    bool started_as_root;
    int expected_groups; /* supplementary groups left after the drop: 0, or an ordinary user's */
} startup;
static char error[512];

/* One line on standard error, whatever the message quotes (a path with a
 * newline must not forge a second "prong:" line), then exit 2. */
static void fail_setup(const char *message)
{
    char line[sizeof error];
    size_t length = 0;
    for (; length < sizeof line - 1 && message[length]; length++) {
        unsigned char byte = (unsigned char)message[length];
        line[length] = (char)(byte < 0x20 || byte == 0x7f ? '?' : byte);
    }
    line[length] = '\0';
    fprintf(stderr, "prong: %s\n", line);
    exit(EXIT_SETUP);
}

static void check(int result)
{
    if (result != 0)
        fail_setup(error);
}

/* 9. Landlock: ABI 3 (truncate) or better, or an explicit acceptance of less. */
static void choose_landlock(const struct config *config)
{
    startup.landlock_abi = sandbox_landlock_abi();
#ifdef PRONG_LAB
    if (config->lab_landlock_abi && (int)config->lab_landlock_abi < startup.landlock_abi)
        startup.landlock_abi = (int)config->lab_landlock_abi;
#endif
    if (config->require_landlock && startup.landlock_abi == 0)
        fail_setup("--require-landlock: this kernel has no Landlock");
    if (startup.landlock_abi < 3 && !config->allow_weak_landlock &&
        LAYER_KEPT(config, LAYER_LANDLOCK))
        fail_setup(startup.landlock_abi == 0
                       ? "this kernel has no Landlock: files could be written wherever the run "
                         "user may; give --allow-weak-landlock to accept that"
                       : "this kernel's Landlock (ABI < 3) cannot refuse truncating a file opened "
                         "for reading; give --allow-weak-landlock to accept that");
}

static struct monitor_plan monitor_plan(pid_t supervisor)
{
    const struct config *config = &startup.config;
    return (struct monitor_plan){
        .config = config,
        .supervisor = supervisor,
        .user = &startup.user,
        .log_user = &startup.log_user,
        .root_path = startup.root_path,
        .root_fd = startup.root_fd,
        .null_fd = startup.null_fd,
        .channels = &startup.channels,
        .listeners = startup.listeners,
        .listener_count = startup.listener_count,
        .metrics = &startup.metrics,
        .access_log = startup.access_log,
        .error_log = startup.error_log,
        .notify_fd = startup.notify_fd,
        .monitor_filter = &startup.monitor_filter,
        .expect = {.uid = startup.user.uid,
                   .gid = startup.user.gid,
                   .groups = startup.expected_groups,
                   .drop = LAYER_KEPT(config, LAYER_CAPABILITIES),
                   .bounding_empty = startup.started_as_root,
                   .seccomp = LAYER_KEPT(config, LAYER_SECCOMP),
                   .chroot = LAYER_KEPT(config, LAYER_CHROOT),
                   .root_path = startup.root_path},
        .landlock_abi = startup.landlock_abi,
        .started_as_root = startup.started_as_root,
        .expected_groups = startup.expected_groups,
    };
}

/* 14. In the fork's child: the supervisor (its own steps 0-11), which never returns. */
__attribute__((noreturn)) static void become_supervisor(void)
{
    const int monitor_fds[] = {startup.channels.supervisor_log[0],
                               startup.channels.children_log[0],
                               startup.channels.control[1],
                               startup.access_log.fd,
                               startup.error_log.fd,
                               startup.access_log.directory_fd,
                               startup.error_log.directory_fd,
                               startup.notify_fd};
    struct supervisor_plan plan = {
        .config = &startup.config,
        .user = &startup.user,
        .root_fd = startup.root_fd,
        .null_fd = startup.null_fd,
        .supervisor_channel_fd = startup.channels.supervisor_log[1],
        .children_channel_fd = startup.channels.children_log[1],
        .control_fd = startup.channels.control[0],
        .close_fds = monitor_fds,
        .close_count = sizeof monitor_fds / sizeof monitor_fds[0],
        .listeners = startup.listeners,
        .listener_count = startup.listener_count,
        .metrics_fd = startup.metrics.fd,
        .peer_ring = startup.channels.peer_ring,
        .jail_filter = &startup.jail_filter,
        .landlock_abi = startup.landlock_abi,
        .report_status = startup.notify_fd >= 0,
    };
    supervisor_start(&plan);
}

int main(int argc, char **argv)
{
    /* 0. Users and groups come from the files only: an NSS module dlopened into a
     * static binary (systemd's, LDAP's) would crash it (README, "Building"). */
    __nss_configure_lookup("passwd", "files");
    __nss_configure_lookup("group", "files");
    /* 1. Flags. */
    switch (config_parse(argc, argv, &startup.config, error, sizeof error)) {
    case CONFIG_EXIT_SUCCESS: return 0;
    case CONFIG_ERROR: fail_setup(error); break;
    case CONFIG_OK: break;
    }
    const struct config *config = &startup.config;
    startup.started_as_root = geteuid() == 0;
    /* An ordinary user cannot shed its supplementary groups (a user namespace
     * must deny setgroups before mapping its gid): they stay, and are expected. */
    startup.expected_groups = startup.started_as_root ? 0 : getgroups(0, NULL);
    /* 2. The document root, opened as a directory before any drop. */
    startup.root_fd = docroot_open(config->root, error, sizeof error);
    if (startup.root_fd < 0 || !realpath(config->root, startup.root_path))
        fail_setup(startup.root_fd < 0 ? error : "--root: cannot resolve its path");
    /* 3. Who each process becomes: the run user, and the log user (the monitor). */
    check(privileges_resolve_user(config->user, &startup.user, error, sizeof error));
    check(privileges_resolve_log_user(config->log_user, &startup.user, &startup.log_user, error,
                                      sizeof error));
    /* 4. Files the monitor writes, opened now with the starting privileges; never
     * inside the root, never in a directory another user may write. */
    struct log_owner owner = {startup.log_user.uid, startup.log_user.gid};
    check(log_files_open("--access-log", config->access_log, true, startup.root_path, &owner,
                         &startup.access_log, error, sizeof error));
    check(log_files_open("--error-log", config->error_log, false, startup.root_path, &owner,
                         &startup.error_log, error, sizeof error));
    check(log_files_write_pid(config->pid_file, startup.root_path, error, sizeof error));
    startup.notify_fd = monitor_open_notify_socket(error, sizeof error);
    if (startup.notify_fd == -2)
        fail_setup(error);
    /* 5. Listening sockets: bound here, or passed by systemd (socket activation). */
    check(listeners_open_all(config, startup.listeners, &startup.listener_count, error,
                             sizeof error));
    /* The metrics socket: bound here too, loopback or unix only; the supervisor answers it. */
    startup.metrics.fd = -1;
    if (config->metrics)
        check(metrics_socket_open(config->metrics, &startup.metrics, error, sizeof error));
    /* 6. What the jail cannot reach later: the MIME table. */
    if (config->mime_types)
        check(mime_load_file(config->mime_types, error, sizeof error));
    /* 7. Refuse a root the run user could change, or one with devices or setuid files. */
    size_t entries = 0;
    check(docroot_verify(startup.root_fd, startup.root_path, startup.user.uid, startup.user.gid,
                         !startup.started_as_root, &entries, error, sizeof error));
    /* --error-page files a connection process could not serve: one line each,
     * and the built-in page until they can be (never a reason to stop). */
    static_files_report_error_pages(&config->error_pages, config->symlinks, startup.root_fd,
                                    startup.user.uid, startup.user.gid, stderr);
    /* 8. The jail must be buildable: root, CAP_SYS_CHROOT held, or a user namespace. */
    if (!startup.started_as_root && !privileges_can_chroot() && LAYER_KEPT(config, LAYER_CHROOT) &&
        !sandbox_user_namespaces_allowed())
        fail_setup(
            "started as an ordinary user, without CAP_SYS_CHROOT, on a kernel that forbids user "
            "namespaces: the jail cannot be built (the lab build can run without the chroot)");
    /* 9. The seccomp filters, built and exported once for every process to load;
     * the Landlock ABI the jail will use. */
    check(seccomp_policy_build(POLICY_JAIL, &startup.jail_filter, error, sizeof error));
    check(seccomp_policy_build(POLICY_MONITOR, &startup.monitor_filter, error, sizeof error));
    choose_landlock(config);
    if (config->check_only) {
        struct monitor_plan plan = monitor_plan(0);
        monitor_print_check(&plan, entries, startup.jail_filter.len);
        return 0;
    }
    /* 10. Per-process settings every role inherits through fork, and the prefault. */
    struct child_plan child = {
        .config = config,
        .children_channel_fd = -1,
        .landlock_abi = startup.landlock_abi,
        .prefault = strcmp(config->prefault, "on") == 0    ? PREFAULT_ON
                    : strcmp(config->prefault, "off") == 0 ? PREFAULT_OFF
                                                           : PREFAULT_AUTO,
    };
    /* 11. The log channel, the control pipe and the peer ring. */
    startup.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (startup.null_fd < 0)
        fail_setup("cannot open /dev/null");
    check(channels_create(&startup.channels, error, sizeof error));
    child.children_channel_fd = startup.channels.children_log[1];
    check(child_start_prepare(&child, error, sizeof error));
    /* 12. The monitor reaps orphans too: no zombie outlives its parent. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        fail_setup("cannot become a child subreaper");
    /* 13. Split: the supervisor jails itself; this process becomes the monitor. */
    fflush(NULL);
    pid_t supervisor = fork();
    if (supervisor < 0)
        fail_setup("cannot fork the supervisor");
    if (supervisor == 0)
        become_supervisor();
    struct monitor_plan plan = monitor_plan(supervisor);
    return monitor_start(&plan); /* 15-21 */
}
