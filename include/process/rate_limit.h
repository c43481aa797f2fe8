/* rate_limit.h: new connections per second per client, for --max-connection-rate.
 *
 * Contract: a token bucket per client (the client_table's key: IPv4 address,
 * IPv6 /64, local uid), refilled at `rate` tokens a second up to `rate` (one
 * second's burst). rate_limit_take() spends one token for a new connection and
 * says whether the client may have it. Buckets live in a fixed table of
 * RATE_LIMIT_SLOTS entries, placed by a keyed hash (SipHash: a client cannot aim
 * at a slot) and probed RATE_LIMIT_PROBES deep; an entry whose bucket would be
 * full again counts as free, so clients that stopped connecting cost nothing.
 * The table fails closed: a client that finds no bucket (many clients
 * connecting at once) takes its tokens from the bucket of its /24 or /48
 * (RATE_LIMIT_PREFIX_SLOTS of them, same rate), and when none of those is free
 * either, from one overflow bucket shared by every such client (same rate).
 * So no number of other clients lets one client past its rate. Time is passed in.
 * Must not: allocate after init, or refuse a client that stayed under its rate
 * while it had a bucket of its own. */
#ifndef PRONG_RATE_LIMIT_H
#define PRONG_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "process/client_table.h"

#define RATE_LIMIT_SLOTS 4096
#define RATE_LIMIT_PREFIX_SLOTS 1024
#define RATE_LIMIT_PROBES 8

struct rate_bucket {
    struct client_key key;
    uint64_t updated_ns;
    uint64_t tokens_milli; /* tokens × 1000, so sub-token refills are not lost */
    bool used;
};

/* Where a connection's token came from (for tests and counters). */
enum rate_source { RATE_OWN, RATE_PREFIX, RATE_OVERFLOW };

struct rate_limit {
    struct rate_bucket buckets[RATE_LIMIT_SLOTS];
    struct rate_bucket prefixes[RATE_LIMIT_PREFIX_SLOTS];
    struct rate_bucket overflow;
    uint32_t rate; /* connections per second; 0: no limit */
    struct hash_key key;
};

void rate_limit_init(struct rate_limit *limit, uint32_t rate, const struct hash_key *key);

/* Spend a token for a new connection from key; false: refuse it. *source (may
 * be NULL) says which bucket answered. */
bool rate_limit_take(struct rate_limit *limit, const struct client_key *key, uint64_t now_ns,
                     enum rate_source *source);

#endif
