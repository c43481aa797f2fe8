/* supervisor.h: the jailed parent of every connection process.
 *
 * Contract: supervisor_prepare() creates what the loop needs (epoll, signalfd,
 * timerfd, the scoreboard, the client and child tables) before the seccomp
 * filter is installed; supervisor_run() then accepts connections, applies the
 * caps (--max-per-ip, --max-per-prefix, the rate, the crash guard: a minimal
 * 503 written without forking and without reading the request), makes room
 * when full by evicting from the client holding the most (the fair share),
 * forks one connection process per connection (which calls start_child and
 * never returns) holding a pidfd for it, ends any child that outlives its
 * phase's cap or stops cooperating (shutdown(2), then SIGKILL through its
 * pidfd), reaps every child with wait4 and accounts its end, and stops
 * gracefully when the monitor says so, killing what the grace period leaves.
 * It returns the process's exit code.
 * Must not: read a request byte, hold a privilege, or fork without bound. */
#ifndef PRONG_SUPERVISOR_H
#define PRONG_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/cidr.h"
#include "process/listener.h"
#include "process/peer_ring.h"
#include "process/scoreboard.h"

/* What a new connection process receives (by fork: it is all in its memory). */
struct child_start {
    int client_fd;
    struct sockaddr_storage peer;
    uint64_t accepted_ns;
    struct scoreboard_slot *slot; /* the only slot this child maps */
    uint64_t canary;              /* its own stack canary, drawn by the supervisor */
    bool trusted_proxy;           /* its peer is a --trusted-proxy */
    bool tcp;                     /* a TCP socket: it inherited the listener's timeouts */
};

struct supervisor_settings {
    struct listener *listeners;
    size_t listener_count;
    int metrics_fd; /* --metrics: answered by supervisor_metrics.c; -1: none */
    int control_fd; /* from the monitor: 'G' serve, 'T' stop, 'K' pid: end it; EOF stops */
    struct peer_ring *peer_ring; /* whom each child serves, for the monitor */
    uint32_t max_children;
    uint32_t max_per_ip;          /* 0: no cap */
    uint32_t max_per_prefix;      /* 0: no cap */
    uint32_t max_connection_rate; /* new connections per second per client; 0: no limit */
    uint32_t grace_ms;
    uint32_t head_deadline_ms; /* the longest a child may wait for its client in one phase */
    uint32_t send_window_ms;   /* the send-rate rule's window */
    uint32_t crash_limit;      /* crashes per client per minute before a block; 0: never */
    uint32_t crash_block_ms;
    const struct cidr *trusted_proxies;
    size_t trusted_proxy_count;
    bool log_children;
    bool report_status; /* send counters each second for systemd's STATUS= line */
    bool kill_children; /* SIGKILL a child that does not end (false: --lab-sabotage kill) */
    bool fair_share;    /* evict in any phase (false: --lab-sabotage fair-share: waiting, idle) */
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
