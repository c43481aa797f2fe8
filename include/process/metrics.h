/* metrics.h: the supervisor's counters as Prometheus text (exposition format 0.0.4).
 *
 * Contract: a metrics_snapshot holds what the supervisor counts (connections
 * accepted, connection processes started, requests, bytes sent, responses by
 * status class, refusals by cause, evictions, ends by cause, dropped log
 * messages, scrapes) and what it holds now (children by phase, open and pending
 * connections, the cap). metrics_format() writes the whole HTTP/1.0 answer, a
 * head with Content-Type "text/plain; version=0.0.4" and Content-Length, then
 * one "# HELP" and one "# TYPE" line before each metric's samples; names match
 * [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in _total, label values are fixed
 * words from the tables below (never a client's byte). It returns the length,
 * or 0 when out is too small (then nothing is to be sent).
 * The names of refusal causes are also the access log's reason codes for the
 * supervisor's 503s (supervisor_admit.c), so a log line and a counter agree.
 * Must not: make a system call, allocate, or read anything but the snapshot. */
#ifndef PRONG_METRICS_H
#define PRONG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "process/scoreboard.h"

/* What the supervisor refuses without a connection process. */
enum refusal_cause {
    REFUSAL_CRASH_STORM,      /* the client's connection processes crashed too often */
    REFUSAL_RATE_LIMIT,       /* --max-connection-rate */
    REFUSAL_PER_CLIENT_CAP,   /* --max-per-ip or --max-per-prefix */
    REFUSAL_SERVER_FULL,      /* --max-children, nothing to evict */
    REFUSAL_FORK_FAILED,      /* no process could be made */
    REFUSAL_NOT_A_PROXY,      /* a proxy listener's peer is no --trusted-proxy: closed */
    REFUSAL_BAD_PROXY_HEADER, /* no valid PROXY header: closed */
    REFUSAL_COUNT
};

/* How a connection process ended: exactly one per reaped child, the first that applies. */
enum end_cause {
    END_KILLED,  /* SIGKILL from the supervisor (did not end after its cut, log quota, grace) */
    END_SIGNAL,  /* another signal (a crash, SIGXCPU) */
    END_FAILED,  /* a non-zero exit status */
    END_EVICTED, /* exit 0 after its eviction by the fair share */
    END_CUT,     /* exit 0 after its connection was cut (its phase's cap, the grace period) */
    END_NORMAL,  /* exit 0 on its own */
    END_COUNT
};

#define METRICS_PHASE_UNKNOWN PHASE_COUNT /* a slot whose phase is no phase */
#define METRICS_STATUS_CLASSES 5          /* 1xx .. 5xx */

struct metrics_snapshot {
    uint64_t accepted;  /* connections accepted on every listener */
    uint64_t processes; /* connection processes started */
    uint64_t requests, bytes_sent;
    uint64_t responses[METRICS_STATUS_CLASSES];
    uint64_t refusals[REFUSAL_COUNT];
    uint64_t evictions;
    uint64_t ends[END_COUNT];
    uint64_t log_drops;
    uint64_t scrapes;
    uint32_t phases[PHASE_COUNT + 1]; /* live children per phase, METRICS_PHASE_UNKNOWN last */
    uint32_t open, pending, max_children;
};

/* Room for the whole answer; the text is about 4 KiB. */
#define METRICS_TEXT_MAX 8192

const char *metrics_refusal_name(enum refusal_cause cause);

size_t metrics_format(const struct metrics_snapshot *snapshot, char *out, size_t out_size);

#endif
