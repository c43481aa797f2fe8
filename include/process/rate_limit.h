/* rate_limit.h: new connections per second per client, for --max-connection-rate.
 *
 * Contract: a token bucket per client (the client_table's key: IPv4 address,
 * IPv6 /64, "local"), refilled at `rate` tokens a second up to `rate` (one
 * second's burst). rate_limit_take() spends one token for a new connection and
 * says whether the client may have it. A fixed table of RATE_LIMIT_SLOTS
 * entries, probed RATE_LIMIT_PROBES deep; an entry whose bucket would be full
 * again counts as free, so clients that stopped connecting cost nothing. When a
 * probe finds no room (many clients flooding at once) the connection is let
 * through: --max-children and eviction still bound the damage. Time is passed in.
 * Must not: allocate after init, or refuse a client that stayed under its rate. */
#ifndef PRONG_RATE_LIMIT_H
#define PRONG_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "process/client_table.h"

#define RATE_LIMIT_SLOTS 4096
#define RATE_LIMIT_PROBES 8

struct rate_bucket {
    struct client_key key;
    uint64_t updated_ns;
    uint64_t tokens_milli; /* tokens × 1000, so sub-token refills are not lost */
    bool used;
};

struct rate_limit {
    struct rate_bucket buckets[RATE_LIMIT_SLOTS];
    uint32_t rate; /* connections per second; 0: no limit */
    uint64_t seed;
};

void rate_limit_init(struct rate_limit *limit, uint32_t rate, uint64_t seed);

/* Spend a token for a new connection from key; false: refuse it. */
bool rate_limit_take(struct rate_limit *limit, const struct client_key *key, uint64_t now_ns);

#endif
