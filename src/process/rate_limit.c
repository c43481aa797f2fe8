/* rate_limit.c: per-client token buckets for new connections (include/process/rate_limit.h).
 *
 * Why: every admitted connection costs a fork, and a client that connects and
 * closes at once never reaches --max-per-ip, so without a rate one address can
 * fill the kernel's accept queue and delay everyone by seconds (the flood
 * attack in tests/attack/flood.py). A refused connection gets the same 503 as
 * the other caps, written without a fork. Must not: allocate or grow. */
#include "process/rate_limit.h"

#include <string.h>

void rate_limit_init(struct rate_limit *limit, uint32_t rate, const struct hash_key *key)
{
    memset(limit, 0, sizeof *limit);
    limit->rate = rate;
    limit->key = *key;
}

/* The bucket's tokens now (in thousandths), refilled since its last update. */
static uint64_t refilled(const struct rate_limit *limit, const struct rate_bucket *bucket,
                         uint64_t now_ns)
{
    uint64_t capacity = (uint64_t)limit->rate * 1000u;
    uint64_t elapsed_ns = now_ns > bucket->updated_ns ? now_ns - bucket->updated_ns : 0;
    if (!bucket->used || elapsed_ns >= 1000000000ull)
        return capacity;                                  /* a whole second refills any bucket */
    uint64_t added = elapsed_ns * limit->rate / 1000000u; /* thousandths of a token */
    uint64_t tokens = bucket->tokens_milli + added;
    return tokens > capacity ? capacity : tokens;
}

/* Spend one token of bucket (which belongs to key from now on). */
static bool spend(const struct rate_limit *limit, struct rate_bucket *bucket,
                  const struct client_key *key, uint64_t now_ns)
{
    uint64_t tokens = refilled(limit, bucket, now_ns);
    bucket->used = true;
    bucket->key = *key;
    bucket->updated_ns = now_ns;
    if (tokens < 1000u) {
        bucket->tokens_milli = tokens;
        return false;
    }
    bucket->tokens_milli = tokens - 1000u;
    return true;
}

/* key's bucket in table (slots entries), or a free one for it, or NULL. */
static struct rate_bucket *find_bucket(const struct rate_limit *limit, struct rate_bucket *table,
                                       size_t slots, const struct client_key *key, uint64_t now_ns)
{
    uint64_t capacity = (uint64_t)limit->rate * 1000u;
    struct rate_bucket *free_bucket = NULL;
    size_t home = (size_t)(client_key_hash(&limit->key, key) % slots);
    for (size_t probe = 0; probe < RATE_LIMIT_PROBES; probe++) {
        struct rate_bucket *bucket = &table[(home + probe) % slots];
        if (bucket->used && memcmp(&bucket->key, key, sizeof *key) == 0)
            return bucket;
        if (!free_bucket && refilled(limit, bucket, now_ns) == capacity)
            free_bucket = bucket; /* empty, or a client whose bucket is full again: forgettable */
    }
    return free_bucket;
}

bool rate_limit_take(struct rate_limit *limit, const struct client_key *key, uint64_t now_ns,
                     enum rate_source *source)
{
    enum rate_source unused;
    if (!source)
        source = &unused;
    *source = RATE_OWN;
    if (limit->rate == 0)
        return true;
    struct rate_bucket *bucket = find_bucket(limit, limit->buckets, RATE_LIMIT_SLOTS, key, now_ns);
    if (bucket)
        return spend(limit, bucket, key, now_ns);
    struct client_key prefix;
    client_key_prefix(key, &prefix);
    *source = RATE_PREFIX;
    bucket = find_bucket(limit, limit->prefixes, RATE_LIMIT_PREFIX_SLOTS, &prefix, now_ns);
    if (bucket)
        return spend(limit, bucket, &prefix, now_ns);
    *source = RATE_OVERFLOW;
    return spend(limit, &limit->overflow, &prefix, now_ns);
}
