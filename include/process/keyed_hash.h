/* keyed_hash.h: SipHash-2-4, the keyed hash of the supervisor's per-client tables.
 *
 * Contract: keyed_hash() maps bytes to 64 bits under a 128-bit secret key
 * (drawn with getrandom at start-up by the caller), as specified by Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF" (2012): two compression rounds
 * per 8-byte word, four finalisation rounds, the length in the last word's top
 * byte. Without the key a client cannot choose addresses that collide in the
 * connection counts, the rate buckets or the crash records (hash flooding).
 * Must not: allocate, keep state, or be used where the key is known to a client. */
#ifndef PRONG_KEYED_HASH_H
#define PRONG_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_key {
    uint64_t k0, k1;
};

uint64_t keyed_hash(const struct hash_key *key, const void *data, size_t length);

#endif
