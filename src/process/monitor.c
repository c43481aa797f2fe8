/* monitor.c: logs, signals and the exit status, outside the jail but off the network.
 *
 * OpenBSD httpd's lesson: a jailed process must not be able to write a log file,
 * yet logs must be reopened after rotation. So the files are opened by the
 * process prong was started as, before any drop, and only this process writes
 * them; the supervisor and connection processes send lines over a pipe (the log
 * channel) and cannot reach the files at all. The monitor keeps its uid (so it
 * can reopen root-owned logs on SIGHUP) but no capability, and runs under its
 * own seccomp filter and Landlock ruleset (write beneath the log directories).
 * Must not: hold a socket, or exit before the supervisor has been reaped. */
#include "process/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/http_date.h"
#include "process/log.h"

#define CHANNEL_BUFFER (64 * 1024)
#define DRAIN_AFTER_EXIT_MS 2000 /* orphaned children may still be writing */

static struct monitor_settings settings;
static int signal_fd = -1;
static char channel_buffer[CHANNEL_BUFFER + LOG_MESSAGE_MAX];
static size_t channel_filled;
static int supervisor_status = -1; /* wait status once reaped */
static bool stop_sent;

void monitor_configure(const struct monitor_settings *new_settings)
{
    settings = *new_settings;
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

int monitor_open_log(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

static int target_fd(const struct log_target *target)
{
    if (target->off)
        return -1;
    return target->path ? target->fd : STDERR_FILENO;
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

/* "2026-11-26T04:35:03Z " before each error line. */
static void write_error_line(const char *text, size_t length)
{
    char stamp[32];
    http_date_format_iso((int64_t)time(NULL), stamp);
    size_t stamp_length = strlen(stamp);
    stamp[stamp_length++] = ' ';
    int fd = target_fd(&settings.error_log);
    char line[LOG_MESSAGE_MAX + 64];
    if (length > LOG_MESSAGE_MAX)
        length = LOG_MESSAGE_MAX;
    memcpy(line, stamp, stamp_length);
    memcpy(line + stamp_length, text, length);
    write_fully(fd, line, stamp_length + length);
}

/* Route each complete message; returns true if a ready mark was seen. */
static bool route_messages(void)
{
    bool ready = false;
    size_t start = 0;
    int access_fd = target_fd(&settings.access_log);
    for (;;) {
        char *newline = memchr(channel_buffer + start, '\n', channel_filled - start);
        if (!newline)
            break;
        size_t end = (size_t)(newline - channel_buffer) + 1;
        const char *message = channel_buffer + start;
        size_t length = end - start;
        switch (message[0]) {
        case LOG_STREAM_ACCESS: write_fully(access_fd, message + 1, length - 1); break;
        case LOG_STREAM_ERROR: write_error_line(message + 1, length - 1); break;
        case LOG_STREAM_READY: ready = true; break;
        case LOG_STREAM_STATUS: {
            char status[512];
            int written =
                snprintf(status, sizeof status, "STATUS=%.*s", (int)(length - 2), message + 1);
            if (written > 0)
                notify(status);
            break;
        }
        default:
            /* Bytes that did not come through log_send: glibc's fatal messages
             * ("*** stack smashing detected ***") written to descriptor 2. */
            write_error_line("prong[stderr]: ", 15);
            write_fully(target_fd(&settings.error_log), message, length);
            break;
        }
        start = end;
    }
    memmove(channel_buffer, channel_buffer + start, channel_filled - start);
    channel_filled -= start;
    if (channel_filled ==
        sizeof channel_buffer) { /* a "line" longer than any message: pass it on */
        write_error_line(channel_buffer, channel_filled);
        write_fully(target_fd(&settings.error_log), "\n", 1);
        channel_filled = 0;
    }
    return ready;
}

/* Read what the channel has; returns 0 at end of file, 1 otherwise. */
static int read_channel(bool *ready)
{
    ssize_t got = read(settings.channel_fd, channel_buffer + channel_filled,
                       sizeof channel_buffer - channel_filled);
    if (got == 0)
        return 0;
    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    channel_filled += (size_t)got;
    if (route_messages() && ready)
        *ready = true;
    return 1;
}

static void reopen_log(struct log_target *target)
{
    if (target->off || !target->path)
        return;
    int fd = monitor_open_log(target->path);
    if (fd < 0) {
        char text[512];
        int length =
            snprintf(text, sizeof text,
                     "prong[monitor %ld]: cannot reopen %s: %s; still writing the old file\n",
                     (long)getpid(), target->path, strerror(errno));
        write_error_line(text, (size_t)length);
        return;
    }
    close(target->fd);
    target->fd = fd;
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

static void handle_signals(void)
{
    struct signalfd_siginfo info;
    while (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGCHLD)
            reap();
        else if (info.ssi_signo == SIGHUP) {
            /* MONOTONIC_USEC ties the reload to this moment (sd_notify(3); Type=notify-reload needs
             * it). */
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            char reloading[64];
            snprintf(reloading, sizeof reloading, "RELOADING=1\nMONOTONIC_USEC=%llu",
                     (unsigned long long)now.tv_sec * 1000000ull +
                         (unsigned long long)now.tv_nsec / 1000u);
            notify(reloading);
            reopen_log(&settings.access_log);
            reopen_log(&settings.error_log);
            notify("READY=1");
        } else
            monitor_request_stop();
    }
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 2 ? 2 : (WEXITSTATUS(status) == 0 ? 0 : 1);
    return 1;
}

static int wait_events(int timeout_ms)
{
    struct pollfd watch[2] = {{.fd = settings.channel_fd, .events = POLLIN},
                              {.fd = signal_fd, .events = POLLIN}};
    int ready = poll(watch, 2, timeout_ms);
    if (ready <= 0)
        return ready;
    if (watch[1].revents & POLLIN)
        handle_signals();
    return (watch[0].revents & (POLLIN | POLLHUP)) ? 1 : 0;
}

static int setup_signals(void)
{
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0)
        return -1;
    signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    return signal_fd < 0 ? -1 : 0;
}

int monitor_await_ready(void)
{
    if (signal_fd < 0 && setup_signals() != 0)
        return 2;
    bool ready = false;
    for (;;) {
        int event = wait_events(-1);
        if (event > 0 && read_channel(&ready) == 0) {
            /* end of file: the supervisor is gone before it was ready */
            while (supervisor_status < 0 &&
                   waitpid(settings.supervisor, &supervisor_status, 0) < 0 && errno == EINTR) {
            }
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
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            uint64_t now_ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
            if (drain_deadline == 0)
                drain_deadline = now_ms + DRAIN_AFTER_EXIT_MS;
            if (now_ms >= drain_deadline)
                break;
            timeout = (int)(drain_deadline - now_ms);
        }
        int event = wait_events(timeout);
        if (event > 0 && read_channel(NULL) == 0) {
            /* every writer is gone: wait for the supervisor's status, then leave */
            while (supervisor_status < 0 &&
                   waitpid(settings.supervisor, &supervisor_status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
    }
    route_messages();
    return supervisor_status >= 0 ? exit_code_of(supervisor_status) : 1;
}
