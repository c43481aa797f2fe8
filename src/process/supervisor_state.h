/* supervisor_state.h: the supervisor's state, shared by its four files only.
 *
 * supervisor.c runs the event loop (signals, the control pipe, the timer, the
 * stop); supervisor_admit.c decides about each new connection (caps, the fair
 * share, the PROXY header, the 503); supervisor_children.c forks, watches, ends
 * and reaps connection processes; supervisor_metrics.c answers --metrics
 * scrapes. Everything here lives in memory wiped in
 * children (MADV_WIPEONFORK), so no connection process learns another client's
 * address, pid or canary, and a fork write-protects none of it.
 * Must not: be included outside those four files. */
#ifndef PRONG_SUPERVISOR_STATE_H
#define PRONG_SUPERVISOR_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fixed_limits.h"
#include "process/client_table.h"
#include "process/crash_guard.h"
#include "process/metrics.h"
#include "process/pid_index.h"
#include "process/rate_limit.h"
#include "process/scoreboard.h"
#include "process/supervisor.h"

#define TICK_MS 250     /* housekeeping period */
#define BACKOFF_MS 200  /* pause accepting after EMFILE/ENFILE or a failed fork */
#define CANARY_BATCH 64 /* stack canaries drawn per getrandom call */
/* epoll's tag of a waiting scrape (+ its index) and of the metrics socket (+ METRICS_WAIT_MAX);
 * within supervisor.c's listener range, so its dispatch tests this range first. */
#define SOURCE_METRICS_BASE (1u << 19)

struct child {
    int32_t pid; /* 0: free */
    int pidfd;   /* CLONE_PIDFD: signals reach this child and no other, even after it exits */
    int client_fd;
    struct client_key key, prefix;
    struct log_peer peer;
    bool tcp; /* TCP_INFO shows the connection's progress */
    uint64_t started_ns;
    uint64_t cut_ns; /* when it was told to end (shutdown of its socket); 0: not yet */
    bool evicted, killed;
    uint64_t progress;    /* bytes acked and received, as the kernel last said */
    uint64_t progress_ns; /* when progress last changed (or the child started) */
    uint32_t seen_phase;  /* the phase its slot showed, and since when the supervisor saw it */
    uint64_t seen_phase_ns;
};

struct pending_connection {
    int fd;
    struct client_key key, prefix;
    struct sockaddr_storage peer;
    uint32_t uid; /* AF_UNIX: the peer's uid */
    bool tcp;     /* a TCP socket (whatever the PROXY header says of the client) */
    bool trusted_proxy;
    uint64_t accepted_ns;
    uint64_t queued_ns;
};

/* A connection on a PROXY listener, before its header told us the client. */
struct proxy_wait {
    int fd; /* -1: free */
    struct sockaddr_storage peer;
    bool tcp;
    uint64_t accepted_ns;
};

struct totals {
    uint64_t children, requests, bytes, refused, evicted, killed, abnormal, log_drops,
        log_drops_reported;
    uint64_t accepted, scrapes;                 /* connections accepted; metrics answered */
    uint64_t refusals[REFUSAL_COUNT];           /* refused, by cause */
    uint64_t ends[END_COUNT];                   /* reaped children, by cause */
    uint64_t responses[METRICS_STATUS_CLASSES]; /* reaped children's responses by class */
};

/* A scrape whose request has not arrived yet (supervisor_metrics.c). */
struct metrics_wait {
    int fd; /* -1: free */
    uint64_t accepted_ns;
};

struct supervisor_state {
    struct supervisor_settings settings;
    int epoll_fd, signal_fd, timer_fd;
    struct scoreboard scoreboard;
    struct client_table clients, prefixes; /* connections per client and per /24 or /48 */
    struct crash_guard *crashes;
    struct rate_limit *rates;
    struct child *children; /* max_children entries */
    struct pid_index pids;  /* a live child's pid to its index in children */
    uint32_t *free_slots;   /* a queue of free indexes, oldest freed first */
    uint32_t free_head, free_count;
    uint32_t live;
    struct pending_connection *pending; /* PENDING_MAX entries */
    size_t pending_head, pending_count;
    struct proxy_wait *proxy_waits;     /* PROXY_WAIT_MAX entries */
    uint64_t *canaries;                 /* CANARY_BATCH entries */
    struct metrics_wait *metrics_waits; /* METRICS_WAIT_MAX entries */
    char *metrics_text;                 /* METRICS_TEXT_MAX bytes */
    size_t canaries_left;
    uint32_t progress_cursor; /* which children this tick's progress check reads */
    bool started, stopping, listeners_paused;
    uint64_t stop_deadline_ns, resume_ns;
    char control_buffer[8];
    size_t control_filled;
    struct totals totals;
};

extern struct supervisor_state *self;

/* supervisor.c */
void set_listeners(bool accepting);
void back_off(const char *why);
void begin_stop(void);
int supervisor_watch_proxy(int fd, size_t index);

/* supervisor_admit.c */
void accept_connections(struct listener *listener);
void read_proxy_header(size_t index);
void expire_proxy_waits(uint64_t now);
void expire_pending(uint64_t now);
void start_pending(void);
void refuse_busy(int fd, const struct client_key *key, const struct sockaddr_storage *peer,
                 uint32_t uid, enum refusal_cause cause);

/* supervisor_children.c */
void spawn(const struct pending_connection *connection);
void reap_children(void);
void watch_children(uint64_t now);
void end_child(uint32_t index, bool evicted);
void kill_child_by_pid(int32_t pid, const char *why);
enum child_phase child_phase(uint32_t index);
void free_slot(uint32_t index);
uint32_t take_slot(void);

/* supervisor_metrics.c */
int metrics_watch(void);
void metrics_accept(void);
void metrics_answer(size_t index);
void metrics_expire(uint64_t now);

#endif
