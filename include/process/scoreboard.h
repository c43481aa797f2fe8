/* scoreboard.h: what each connection process is doing, readable by the supervisor.
 *
 * Contract: one page per possible child in one shared anonymous mapping, made
 * by the supervisor before any fork and marked MADV_DONTFORK, so no child
 * inherits it; scoreboard_lend() lets exactly one fork inherit one slot's page
 * (mapped a second time at a fixed window among the image's pages, the address
 * that child uses) and scoreboard_reclaim() marks it DONTFORK again right
 * after. A connection
 * process therefore maps only its own slot (phase, since when, requests, bytes,
 * dropped log messages), which it writes with plain atomic stores: it can
 * neither read nor forge another's, at no cost to it. The supervisor reads slots to choose
 * whom to evict and to account a child's end; it treats every value as a hint
 * from an untrusted process (bounds-checked, never used as an index or size),
 * and writes only stop_requested.
 * Must not: hold pointers, descriptors or anything a child could turn into an
 * attack on the supervisor. */
#ifndef PRONG_SCOREBOARD_H
#define PRONG_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum child_phase {
    PHASE_FREE = 0,
    PHASE_STARTING, /* forked, not yet reading */
    PHASE_WAITING,  /* a new connection from which nothing has arrived yet */
    PHASE_HEAD,     /* reading a request head: some of it has arrived */
    PHASE_SERVING,  /* answering a request */
    PHASE_IDLE,     /* kept alive, no byte of the next request yet */
    PHASE_CLOSING,  /* answered; closing the connection */
    PHASE_COUNT
};

struct scoreboard_slot {
    _Atomic uint32_t phase;          /* enum child_phase */
    _Atomic uint32_t stop_requested; /* the supervisor asks: finish this response, then close */
    _Atomic uint64_t phase_since_ns; /* CLOCK_MONOTONIC */
    _Atomic uint64_t requests;
    _Atomic uint64_t bytes_sent;
    _Atomic uint64_t log_drops;
    _Atomic uint32_t last_reason; /* enum http_reason of the last refusal, or a connection reason */
    _Atomic uint64_t responses[5]; /* responses by status class, 1xx to 5xx (--metrics) */
};

struct scoreboard {
    unsigned char *base; /* slot_count pages, one mapping */
    size_t slot_count;
    size_t page;
    unsigned char *window; /* where a lent slot is mapped; NULL: lent in place */
};

int scoreboard_create(struct scoreboard *scoreboard, size_t slot_count);
struct scoreboard_slot *scoreboard_slot(const struct scoreboard *scoreboard, size_t index);

/* Around one fork: the slot is inherited by that child only. lend: the
 * slot's address in that child, or NULL; reclaim: 0 or -1. */
struct scoreboard_slot *scoreboard_lend(const struct scoreboard *scoreboard, size_t index);
int scoreboard_reclaim(const struct scoreboard *scoreboard, size_t index);

/* A child's own update of its phase (also stamps the time). */
void scoreboard_set_phase(struct scoreboard_slot *slot, enum child_phase phase);

uint64_t monotonic_ns(void);

#endif
