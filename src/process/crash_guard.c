/* crash_guard.c: per-client crash counting and temporary refusal (include/process/crash_guard.h).
 *
 * Children forked from one process share its address layout, so a client that
 * can crash children at will can probe it byte by byte; each child's fresh
 * stack canary (child_start.c) removes the canary half of that attack, and this
 * guard caps the rate of probes: after --crash-limit crashes within a minute the
 * client gets 503 for --crash-block seconds. Must not: allocate or grow. */
#include "process/crash_guard.h"

#include <signal.h>
#include <string.h>

void crash_guard_init(struct crash_guard *guard, uint32_t limit, uint64_t block_ns)
{
    memset(guard, 0, sizeof *guard);
    guard->limit = limit;
    guard->block_ns = block_ns;
}

bool crash_guard_is_crash(int signal_number)
{
    return signal_number == SIGSEGV || signal_number == SIGABRT || signal_number == SIGSYS ||
           signal_number == SIGBUS || signal_number == SIGILL || signal_number == SIGFPE;
}

static const struct crash_record *find(const struct crash_record *records, size_t count,
                                       const struct client_key *key)
{
    for (size_t i = 0; i < count; i++)
        if (records[i].used && memcmp(&records[i].key, key, sizeof *key) == 0)
            return &records[i];
    return NULL;
}

/* A free record, else the one whose last crash is oldest and that is not blocking. */
static struct crash_record *claim(struct crash_record *records, size_t count, uint64_t now_ns)
{
    struct crash_record *oldest = NULL;
    for (size_t i = 0; i < count; i++) {
        struct crash_record *record = &records[i];
        if (!record->used)
            return record;
        bool blocking = record->blocked_until_ns > now_ns;
        if (!blocking && (!oldest || record->last_crash_ns < oldest->last_crash_ns))
            oldest = record;
    }
    return oldest; /* NULL: every record is blocking */
}

/* key's record in records, or a newly claimed one, or NULL when all block. */
static struct crash_record *record_for(struct crash_record *records, size_t count,
                                       const struct client_key *key, uint64_t now_ns)
{
    struct crash_record *record = (struct crash_record *)find(records, count, key);
    if (record)
        return record;
    record = claim(records, count, now_ns);
    if (record) {
        memset(record, 0, sizeof *record);
        record->key = *key;
        record->used = true;
        record->window_start_ns = now_ns;
    }
    return record;
}

/* One more crash on record; true if it starts a block. */
static bool count_crash(const struct crash_guard *guard, struct crash_record *record,
                        uint64_t now_ns)
{
    if (now_ns - record->window_start_ns > CRASH_GUARD_WINDOW_NS) {
        record->window_start_ns = now_ns;
        record->crashes = 0;
    }
    record->last_crash_ns = now_ns;
    if (++record->crashes < guard->limit || record->blocked_until_ns > now_ns)
        return false;
    record->blocked_until_ns = now_ns + guard->block_ns;
    record->crashes = 0;
    record->window_start_ns = now_ns;
    return true;
}

bool crash_guard_record(struct crash_guard *guard, const struct client_key *key, uint64_t now_ns)
{
    if (guard->limit == 0)
        return false;
    struct crash_record *record = record_for(guard->records, CRASH_GUARD_ENTRIES, key, now_ns);
    if (record)
        return count_crash(guard, record, now_ns);
    struct client_key prefix;
    client_key_prefix(key, &prefix);
    record = record_for(guard->prefixes, CRASH_GUARD_PREFIXES, &prefix, now_ns);
    if (!record) {
        record = &guard->overflow;
        record->used = true;
    }
    return count_crash(guard, record, now_ns);
}

bool crash_guard_blocked(const struct crash_guard *guard, const struct client_key *key,
                         uint64_t now_ns)
{
    const struct crash_record *own = find(guard->records, CRASH_GUARD_ENTRIES, key);
    if (own && own->blocked_until_ns > now_ns)
        return true;
    struct client_key prefix;
    client_key_prefix(key, &prefix);
    const struct crash_record *shared = find(guard->prefixes, CRASH_GUARD_PREFIXES, &prefix);
    if (shared && shared->blocked_until_ns > now_ns)
        return true;
    return !own && guard->overflow.blocked_until_ns > now_ns;
}
