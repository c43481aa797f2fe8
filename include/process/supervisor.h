/* supervisor.h: the jailed parent of every connection process.
 *
 * Contract: supervisor_prepare() creates what the loop needs (epoll, signalfd,
 * timerfd, the scoreboard, the client and child tables) before the seccomp
 * filter is installed; supervisor_run() then accepts connections, applies the
 * caps (--max-children, --max-per-ip: a minimal 503 written without forking and
 * without reading the request), evicts the longest-waiting idle or head-waiting
 * child when full, forks one connection process per connection (which calls
 * start_child and never returns), reaps every child with wait4 and accounts its
 * end, and stops gracefully when the monitor says so. It returns the process's
 * exit code.
 * Must not: read a request byte, hold a privilege, or fork without bound. */
#ifndef PRONG_SUPERVISOR_H
#define PRONG_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "process/listener.h"
#include "process/scoreboard.h"

/* What a new connection process receives (by fork: it is all in its memory). */
struct child_start {
    int client_fd;
    int log_fd;
    struct sockaddr_storage peer;
    uint64_t accepted_ns;
    struct scoreboard_slot *slot; /* the only slot this child maps */
    uint64_t canary;              /* its own stack canary, drawn by the supervisor */
};

struct supervisor_settings {
    struct listener *listeners;
    size_t listener_count;
    int control_fd; /* from the monitor: 'G' start serving, 'T' stop; end of file also stops */
    int log_fd;
    uint32_t max_children;
    uint32_t max_per_ip;          /* 0: no cap */
    uint32_t max_connection_rate; /* new connections per second per client; 0: no limit */
    uint32_t grace_ms;
    uint32_t head_deadline_ms; /* the longest any phase may last: the backstop for stuck children */
    uint32_t crash_limit;      /* crashes per client per minute before a block; 0: never */
    uint32_t crash_block_ms;
    bool log_children;
    bool report_status; /* send counters each second for systemd's STATUS= line */
    void (*start_child)(const struct child_start *start); /* never returns */
};

/* Run ahead of the connection processes: nice SUPERVISOR_NICE where allowed
 * (root or CAP_SYS_NICE; otherwise the nice value it was started with stays),
 * and SCHED_RESET_ON_FORK so every child starts at nice 0 again. Call while
 * privileged, before the jail. 0, or -1 with the reason. */
#define SUPERVISOR_NICE (-5)
int supervisor_raise_priority(char *error, size_t error_size);

/* 0, or -1 with the reason. */
int supervisor_prepare(const struct supervisor_settings *settings, char *error, size_t error_size);

/* The event loop; returns 0 after a graceful stop, 1 on failure. */
int supervisor_run(void);

#endif
