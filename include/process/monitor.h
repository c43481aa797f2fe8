/* monitor.h: the process prong was started as, once the supervisor exists.
 *
 * Contract: the monitor never holds a socket. It reads the log channel and
 * writes the access and error logs (files it opened before any drop, reopened on
 * SIGHUP after rotation), turns SIGTERM/SIGINT into a stop request on the
 * control pipe, reaps the supervisor and any orphaned connection process (it is
 * a child subreaper), and exits with the supervisor's status. Under systemd
 * (Type=notify) it also reports READY=1, RELOADING=1, STOPPING=1 and a STATUS=
 * line, on the notification socket it connected before its lock-down: the only
 * socket it ever holds, a local datagram socket it only writes to.
 * monitor_await_ready() runs first: it relays start-up errors and returns once
 * the supervisor reports it is jailed, or with the supervisor's exit code.
 * Must not: write anything from the channel except to the logs, or block on a
 * log file in a way that blocks the channel for longer than one write. */
#ifndef PRONG_MONITOR_H
#define PRONG_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

struct log_target {
    const char *path; /* NULL: standard error (or nowhere when off) */
    bool off;
    int fd;
};

struct monitor_settings {
    pid_t supervisor;
    int channel_fd; /* the log channel's read end */
    int control_fd; /* the control pipe's write end */
    struct log_target access_log;
    struct log_target error_log;
    int notify_fd; /* systemd's notification socket, connected; -1 without Type=notify */
};

/* Connect to $NOTIFY_SOCKET (sd_notify(3)) and unset it; -1 when there is none. */
int monitor_open_notify_socket(char *error, size_t error_size);

void monitor_configure(const struct monitor_settings *settings);

/* -1 once the supervisor said "ready"; else the exit code to use (it failed). */
int monitor_await_ready(void);

/* Tell the supervisor to start accepting. 0, or -1 if it is gone. */
int monitor_release_supervisor(void);

/* Ask the supervisor to stop (as SIGTERM would). */
void monitor_request_stop(void);

/* The main loop; returns prong's exit code. */
int monitor_run(void);

/* Open a log file the way the monitor does (append, create 0640). */
int monitor_open_log(const char *path);

#endif
