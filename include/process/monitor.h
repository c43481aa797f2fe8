/* monitor.h: the process prong was started as, once the supervisor exists.
 *
 * Contract: the monitor never holds a network socket. It reads the two ends of
 * the log channel (the supervisor's and the connection processes', separate so
 * a flood from children cannot crowd out the supervisor's lines), learns each
 * message's sender from the kernel (SO_PASSCRED), lets log_intake.h judge it,
 * and writes the access and error logs (files opened before any drop, reopened
 * on SIGHUP after rotation: log_files.h). It turns SIGTERM/SIGINT into a stop
 * request on the control pipe, and asks the supervisor there to end a
 * connection process that broke its log quota; it reaps the supervisor and any
 * orphaned connection process (it is a child subreaper), and exits with the
 * supervisor's status. Once a second it reports, in one line, what it dropped
 * and why. Under systemd (Type=notify) it also reports READY=1, RELOADING=1,
 * STOPPING=1 and a STATUS= line, on the notification socket it connected before
 * its lock-down: the only socket it holds besides the channel, a local datagram
 * socket it only writes to.
 * monitor_await_ready() runs first: it relays start-up errors and returns once
 * the supervisor reports it is jailed, or with the supervisor's exit code.
 * Must not: write anything from the channel it did not judge and escape, or
 * block on a log file in a way that blocks the channel for longer than one write. */
#ifndef PRONG_MONITOR_H
#define PRONG_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "process/log_files.h"
#include "process/log_intake.h"

struct monitor_settings {
    pid_t supervisor;
    int supervisor_channel_fd; /* the log channel's read ends: the supervisor's, */
    int children_channel_fd;   /* and every connection process's */
    int control_fd;            /* the control pipe's write end */
    struct log_target access_log;
    struct log_target error_log;
    int notify_fd;         /* systemd's notification socket, connected; -1 without Type=notify */
    struct intake *intake; /* the judge of every message, with its peer ring */
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

#endif
