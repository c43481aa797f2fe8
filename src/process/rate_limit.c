/* rate_limit.c: per-client token buckets for new connections (include/process/rate_limit.h).
 *
 * Why: every admitted connection costs a fork, and a client that connects and
 * closes at once never reaches --max-per-ip, so without a rate one address can
 * fill the kernel's accept queue and delay everyone by seconds (the flood
 * attack in tests/attack/flood.py). A refused connection gets the same 503 as
 * the other caps, written without a fork. Must not: allocate or grow. */
#include "process/rate_limit.h"

#include <string.h>

void rate_limit_init(struct rate_limit *limit, uint32_t rate, uint64_t seed)
{
    memset(limit->buckets, 0, sizeof limit->buckets);
    limit->rate = rate;
    limit->seed = seed;
}

static uint64_t mix(uint64_t value)
{
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdull;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ull;
    return value ^ (value >> 33);
}

static size_t home_slot(const struct rate_limit *limit, const struct client_key *key)
{
    uint64_t high, low;
    memcpy(&high, key->bytes, 8);
    memcpy(&low, key->bytes + 8, 8);
    return (size_t)(mix(mix(high ^ limit->seed) ^ low) % RATE_LIMIT_SLOTS);
}

/* The bucket's tokens now (in thousandths), refilled since its last update. */
static uint64_t refilled(const struct rate_limit *limit, const struct rate_bucket *bucket,
                         uint64_t now_ns)
{
    uint64_t capacity = (uint64_t)limit->rate * 1000u;
    uint64_t elapsed_ns = now_ns > bucket->updated_ns ? now_ns - bucket->updated_ns : 0;
    if (elapsed_ns >= 1000000000ull)
        return capacity;                                  /* a whole second refills any bucket */
    uint64_t added = elapsed_ns * limit->rate / 1000000u; /* thousandths of a token */
    uint64_t tokens = bucket->tokens_milli + added;
    return tokens > capacity ? capacity : tokens;
}

bool rate_limit_take(struct rate_limit *limit, const struct client_key *key, uint64_t now_ns)
{
    if (limit->rate == 0)
        return true;
    uint64_t capacity = (uint64_t)limit->rate * 1000u;
    struct rate_bucket *free_bucket = NULL;
    size_t home = home_slot(limit, key);
    for (size_t probe = 0; probe < RATE_LIMIT_PROBES; probe++) {
        struct rate_bucket *bucket = &limit->buckets[(home + probe) % RATE_LIMIT_SLOTS];
        if (bucket->used && memcmp(&bucket->key, key, sizeof *key) == 0) {
            uint64_t tokens = refilled(limit, bucket, now_ns);
            bucket->updated_ns = now_ns;
            if (tokens < 1000u) {
                bucket->tokens_milli = tokens;
                return false;
            }
            bucket->tokens_milli = tokens - 1000u;
            return true;
        }
        if (!free_bucket && (!bucket->used || refilled(limit, bucket, now_ns) == capacity))
            free_bucket = bucket; /* empty, or a client whose bucket is full again: forgettable */
    }
    if (free_bucket) {
        free_bucket->used = true;
        free_bucket->key = *key;
        free_bucket->updated_ns = now_ns;
        free_bucket->tokens_milli = capacity - 1000u;
    }
    return true;
}
