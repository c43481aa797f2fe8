/* monitor.c: logs, signals and the exit status, outside the jail but off the network.
 *
 * OpenBSD httpd's lesson: a jailed process must not be able to write a log file,
 * yet logs must be reopened after rotation. So the files are opened by the
 * process prong was started as, before any drop, and only this process writes
 * them; the supervisor and connection processes send messages on the log
 * channel and cannot reach the files at all. OpenSSH's privilege separation
 * monitor is the other lesson: the privileged side trusts nothing the jailed
 * side sends. Each message is one packet with a sender the kernel names, judged
 * by log_intake.c before a byte of it is written. The monitor runs as the log
 * user, under its own seccomp filter and Landlock ruleset (write beneath the log
 * directories).
 * Must not: hold a network socket, or exit before the supervisor has been reaped. */
#include "process/monitor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/http_date.h"
#include "process/log_record.h"

#define DRAIN_AFTER_EXIT_MS 2000 /* orphaned children may still be writing */
#define DEFERRED_MAX 64          /* messages from a child the supervisor has not recorded yet */
#define DEFER_GIVE_UP_NS 1000000000ull
#define REPORT_PERIOD_MS 1000
#define RECEIVE_BATCH 64 /* messages per socket per wake-up, so signals stay responsive */

struct deferred {
    pid_t pid;
    size_t length;
    uint64_t since_ns;
    char message[LOG_MESSAGE_MAX];
};

static struct monitor_settings settings;
static int signal_fd = -1;
static int supervisor_status = -1; /* wait status once reaped */
static bool stop_sent;
static struct deferred deferred[DEFERRED_MAX];
static size_t deferred_count;
static uint64_t reported_drops[DROP_KINDS], reported_lost, last_report_ns;

void monitor_configure(const struct monitor_settings *new_settings)
{
    settings = *new_settings;
}

static uint64_t now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int monitor_open_notify_socket(char *error, size_t error_size)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0])
        return -1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(path);
    if (length >= sizeof address.sun_path || (path[0] != '/' && path[0] != '@')) {
        snprintf(error, error_size, "NOTIFY_SOCKET=%s: not a socket path", path);
        return -2;
    }
    memcpy(address.sun_path, path, length);
    if (path[0] == '@')
        address.sun_path[0] = '\0'; /* an abstract socket */
    /* Non-blocking: a manager that reads slowly (its queue holds only
     * net.unix.max_dgram_qlen datagrams) loses a notification, never stalls the logs. */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length)) != 0) {
        snprintf(error, error_size, "NOTIFY_SOCKET=%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -2;
    }
    unsetenv("NOTIFY_SOCKET");
    return fd;
}

/* One sd_notify(3) datagram; systemd reads it or it is lost, never waited for. */
static void notify(const char *text)
{
    if (settings.notify_fd < 0)
        return;
    ssize_t sent = write(settings.notify_fd, text, strlen(text));
    (void)sent;
}

static void write_fully(int fd, const char *data, size_t length)
{
    while (length > 0 && fd >= 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return; /* a full or broken log disk loses lines; serving goes on */
        data += written;
        length -= (size_t)written;
    }
}

/* "2026-11-26T04:35:03Z " before each error line (text ends with its newline). */
static void write_error_line(const char *text, size_t length)
{
    char line[INTAKE_LINE_MAX + 32];
    http_date_format_iso((int64_t)time(NULL), line);
    size_t stamp = strlen(line);
    line[stamp++] = ' ';
    if (length > sizeof line - stamp)
        length = sizeof line - stamp;
    memcpy(line + stamp, text, length);
    write_fully(log_files_fd(&settings.error_log), line, stamp + length);
}

/* A line of the monitor's own. */
__attribute__((format(printf, 1, 2))) static void monitor_line(const char *format, ...)
{
    char text[1024];
    int length = snprintf(text, sizeof text, "prong[monitor %ld]: ", (long)getpid());
    va_list arguments;
    va_start(arguments, format);
    int body = vsnprintf(text + length, sizeof text - (size_t)length, format, arguments);
    va_end(arguments);
    length = body < 0 ? length : length + body;
    if (length > (int)sizeof text - 2)
        length = (int)sizeof text - 2;
    text[length++] = '\n';
    write_error_line(text, (size_t)length);
}

/* 'K' and the pid: the supervisor ends that connection process. */
static void request_kill(pid_t pid)
{
    char command[5] = {'K'};
    int32_t value = (int32_t)pid;
    memcpy(command + 1, &value, sizeof value);
    ssize_t written = write(settings.control_fd, command, sizeof command);
    (void)written; /* the supervisor is gone, or will be: nothing else to do */
}

/* Act on intake's verdict; returns true for the ready mark. */
static bool act(const struct intake_output *out)
{
    if (out->kill) {
        monitor_line("connection process %ld exceeded its log quota; its messages are dropped "
                     "and the supervisor ends it",
                     (long)out->kill);
        request_kill(out->kill);
    }
    switch (out->verdict) {
    case INTAKE_WRITE_ACCESS:
        write_fully(log_files_fd(&settings.access_log), out->text, out->length);
        return false;
    case INTAKE_WRITE_ERROR: write_error_line(out->text, out->length); return false;
    case INTAKE_READY: return true;
    case INTAKE_STATUS: {
        char status[300];
        snprintf(status, sizeof status, "STATUS=%.*s", (int)out->length, out->text);
        notify(status);
        return false;
    }
    case INTAKE_DEFER:
    case INTAKE_DROPPED: return false;
    }
    return false;
}

static void defer(pid_t pid, const char *message, size_t length)
{
    if (deferred_count == DEFERRED_MAX) {
        intake_drop_deferred(settings.intake);
        return;
    }
    struct deferred *entry = &deferred[deferred_count++];
    entry->pid = pid;
    entry->length = length;
    entry->since_ns = now_ns();
    memcpy(entry->message, message, length);
}

/* Messages waiting for their sender's record: judged again, or given up on. */
static bool retry_deferred(void)
{
    bool ready = false;
    size_t kept = 0;
    uint64_t now = now_ns();
    for (size_t i = 0; i < deferred_count; i++) {
        static struct intake_output out;
        struct deferred *entry = &deferred[i];
        intake_handle(settings.intake, entry->pid, entry->message, entry->length, false,
                      (int64_t)time(NULL), &out);
        if (out.verdict != INTAKE_DEFER)
            ready = act(&out) || ready;
        else if (now - entry->since_ns > DEFER_GIVE_UP_NS)
            intake_drop_deferred(settings.intake);
        else if (kept != i)
            deferred[kept++] = *entry;
        else
            kept++;
    }
    deferred_count = kept;
    return ready;
}

/* Read up to a batch of messages from one end; 0 at end of file, 1 otherwise. */
static int read_channel(int fd, bool *ready)
{
    for (int i = 0; i < RECEIVE_BATCH; i++) {
        static char message[LOG_MESSAGE_MAX];
        static struct intake_output out;
        char control[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec vector = {message, sizeof message};
        struct msghdr header = {.msg_iov = &vector,
                                .msg_iovlen = 1,
                                .msg_control = control,
                                .msg_controllen = sizeof control};
        ssize_t got = recvmsg(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (got == 0)
            return 0;
        if (got < 0)
            return errno == EINTR || errno == EAGAIN ? 1 : 0;
        pid_t pid = 0;
        for (struct cmsghdr *part = CMSG_FIRSTHDR(&header); part; part = CMSG_NXTHDR(&header, part))
            if (part->cmsg_level == SOL_SOCKET && part->cmsg_type == SCM_CREDENTIALS) {
                struct ucred credentials;
                memcpy(&credentials, CMSG_DATA(part), sizeof credentials);
                pid = credentials.pid;
            }
        bool truncated = (header.msg_flags & MSG_TRUNC) != 0;
        intake_handle(settings.intake, pid, message, (size_t)got, truncated, (int64_t)time(NULL),
                      &out);
        if (out.verdict == INTAKE_DEFER)
            defer(pid, message, (size_t)got);
        else if (act(&out) && ready)
            *ready = true;
    }
    return 1;
}

/* Once a second at most: what was dropped since the last report, by cause. */
static void report_drops(void)
{
    static const char *const NAMES[DROP_KINDS] = {"malformed",    "truncated",  "forged",
                                                  "unattributed", "over-quota", "over-rate"};
    uint64_t now = now_ns();
    if (now - last_report_ns < REPORT_PERIOD_MS * 1000000ull)
        return;
    last_report_ns = now;
    char causes[256] = ""; /* DROP_KINDS names and counts: under 200 bytes */
    size_t used = 0;
    uint64_t total = 0;
    for (int kind = 0; kind < DROP_KINDS; kind++) {
        uint64_t new_drops = settings.intake->dropped[kind] - reported_drops[kind];
        reported_drops[kind] = settings.intake->dropped[kind];
        total += new_drops;
        if (new_drops)
            used += (size_t)snprintf(causes + used, sizeof causes - used, " %s=%llu", NAMES[kind],
                                     (unsigned long long)new_drops);
    }
    uint64_t lost = settings.intake->ring_lost - reported_lost;
    reported_lost = settings.intake->ring_lost;
    if (lost)
        (void)snprintf(causes + used, sizeof causes - used, " peer-records-lost=%llu",
                       (unsigned long long)lost);
    if (total == 0 && lost == 0)
        return;
    monitor_line("log channel: dropped %llu messages in the last second:%s",
                 (unsigned long long)total, causes);
}

void monitor_request_stop(void)
{
    if (stop_sent)
        return;
    stop_sent = true;
    notify("STOPPING=1");
    char command = 'T';
    if (write(settings.control_fd, &command, 1) != 1)
        close(settings.control_fd); /* end of file stops it too */
}

static void reap(void)
{
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        if (pid == settings.supervisor)
            supervisor_status = status;
        /* anything else is an orphaned connection process: reaped, nothing more */
    }
}

static void reopen_logs(void)
{
    /* MONOTONIC_USEC ties the reload to this moment (sd_notify(3); Type=notify-reload needs it). */
    char reloading[64];
    snprintf(reloading, sizeof reloading, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)(now_ns() / 1000u));
    notify(reloading);
    struct log_target *targets[2] = {&settings.access_log, &settings.error_log};
    char reopened[2 * PATH_MAX + 8] = "";
    for (int i = 0; i < 2; i++) {
        char why[128];
        int result = log_files_reopen(targets[i], why, sizeof why);
        if (result < 0)
            monitor_line("cannot reopen %s: %s; still writing the old file", targets[i]->path, why);
        else if (result > 0)
            snprintf(reopened + strlen(reopened), sizeof reopened - strlen(reopened), "%s%s",
                     reopened[0] ? " and " : "", targets[i]->path);
    }
    monitor_line("SIGHUP: reopened %s",
                 reopened[0] ? reopened : "no log file (logging to standard error or off)");
    notify("READY=1");
}

static void handle_signals(void)
{
    struct signalfd_siginfo info;
    while (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGCHLD)
            reap();
        else if (info.ssi_signo == SIGHUP)
            reopen_logs();
        else
            monitor_request_stop();
    }
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 2 ? 2 : (WEXITSTATUS(status) == 0 ? 0 : 1);
    return 1;
}

/* Wait and handle what comes; returns 0 once both ends of the channel are at
 * end of file, else 1. */
static int wait_events(int timeout_ms, bool *ready)
{
    if (deferred_count > 0 && (timeout_ms < 0 || timeout_ms > 10))
        timeout_ms = 10; /* a deferred message is retried soon */
    if (timeout_ms < 0 || timeout_ms > REPORT_PERIOD_MS)
        timeout_ms = REPORT_PERIOD_MS;
    struct pollfd watch[3] = {{.fd = settings.supervisor_channel_fd, .events = POLLIN},
                              {.fd = settings.children_channel_fd, .events = POLLIN},
                              {.fd = signal_fd, .events = POLLIN}};
    int count = poll(watch, 3, timeout_ms);
    int open_ends = (watch[0].fd >= 0) + (watch[1].fd >= 0);
    if (count > 0 && (watch[2].revents & POLLIN))
        handle_signals();
    for (int i = 0; count > 0 && i < 2; i++)
        if ((watch[i].revents & (POLLIN | POLLHUP | POLLERR)) && watch[i].fd >= 0 &&
            read_channel(watch[i].fd, ready) == 0) {
            open_ends--;
            if (i == 0)
                settings.supervisor_channel_fd = -1; /* poll skips a negative descriptor */
            else
                settings.children_channel_fd = -1;
        }
    if (deferred_count > 0 && retry_deferred() && ready)
        *ready = true;
    report_drops();
    return open_ends > 0 ? 1 : 0;
}

static int setup_signals(void)
{
    sigset_t handled;
    sigemptyset(&handled);
    int signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        sigaddset(&handled, signals[i]);
    if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0)
        return -1;
    signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    return signal_fd < 0 ? -1 : 0;
}

static void wait_for_supervisor(void)
{
    while (supervisor_status < 0 && waitpid(settings.supervisor, &supervisor_status, 0) < 0 &&
           errno == EINTR) {
    }
}

int monitor_await_ready(void)
{
    if (signal_fd < 0 && setup_signals() != 0)
        return 2;
    for (;;) {
        bool ready = false;
        if (wait_events(-1, &ready) == 0 || settings.supervisor_channel_fd < 0) {
            /* end of file: the supervisor is gone before it was ready */
            wait_for_supervisor();
            return supervisor_status >= 0 ? exit_code_of(supervisor_status) : 2;
        }
        if (ready)
            return -1;
        if (supervisor_status >= 0)
            return exit_code_of(supervisor_status) ? exit_code_of(supervisor_status) : 2;
        if (stop_sent)
            return 0;
    }
}

int monitor_release_supervisor(void)
{
    char command = 'G';
    if (write(settings.control_fd, &command, 1) != 1)
        return -1;
    notify("READY=1\nSTATUS=serving");
    return 0;
}

int monitor_run(void)
{
    uint64_t drain_deadline = 0;
    for (;;) {
        int timeout = -1;
        if (supervisor_status >= 0) {
            uint64_t now_ms = now_ns() / 1000000u;
            if (drain_deadline == 0)
                drain_deadline = now_ms + DRAIN_AFTER_EXIT_MS;
            if (now_ms >= drain_deadline)
                break;
            timeout = (int)(drain_deadline - now_ms);
        }
        if (wait_events(timeout, NULL) == 0) {
            wait_for_supervisor(); /* every writer is gone */
            break;
        }
    }
    last_report_ns = 0;
    report_drops();
    return supervisor_status >= 0 ? exit_code_of(supervisor_status) : 1;
}
