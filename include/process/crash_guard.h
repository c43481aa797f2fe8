/* crash_guard.h: refuse a client whose connection processes keep crashing.
 *
 * Contract: byte-by-byte brute force against forked servers (BROP) needs many
 * crashed children; crash_guard_record() counts crashes (SIGSEGV, SIGABRT,
 * SIGSYS, SIGBUS, SIGILL, SIGFPE, and a kill for misbehaviour) per client within
 * a one-minute window and, at the limit, blocks the client for the block time;
 * crash_guard_blocked() says whether a new connection from it must be refused.
 * Records live in a fixed table of CRASH_GUARD_ENTRIES clients; a record that is
 * not blocking is reused first (the least recently crashed). The table fails
 * closed: when every record blocks someone, a crash is counted against the
 * client's /24 or /48 (CRASH_GUARD_PREFIXES records, which then block the whole
 * prefix), and when those are all blocking too, against one overflow record
 * that, at the limit, blocks every client without a record of its own. Time is
 * passed in (monotonic nanoseconds).
 * Must not: allocate after init, or block a client (or prefix) that did not reach
 * the limit while it had a record of its own. */
#ifndef PRONG_CRASH_GUARD_H
#define PRONG_CRASH_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "process/client_table.h"

#define CRASH_GUARD_ENTRIES 256
#define CRASH_GUARD_PREFIXES 64
#define CRASH_GUARD_WINDOW_NS 60000000000ull

struct crash_record {
    struct client_key key;
    uint64_t window_start_ns;
    uint64_t last_crash_ns;
    uint64_t blocked_until_ns;
    uint32_t crashes;
    bool used;
};

struct crash_guard {
    struct crash_record records[CRASH_GUARD_ENTRIES];
    struct crash_record prefixes[CRASH_GUARD_PREFIXES];
    struct crash_record overflow;
    uint32_t limit; /* crashes per window; 0: never block */
    uint64_t block_ns;
};

void crash_guard_init(struct crash_guard *guard, uint32_t limit, uint64_t block_ns);

/* True when a signal means the connection process crashed. */
bool crash_guard_is_crash(int signal_number);

/* Count a crash; true if this crash starts a block (of the client, its prefix,
 * or, past both tables, of every client without a record). */
bool crash_guard_record(struct crash_guard *guard, const struct client_key *key, uint64_t now_ns);

bool crash_guard_blocked(const struct crash_guard *guard, const struct client_key *key,
                         uint64_t now_ns);

#endif
