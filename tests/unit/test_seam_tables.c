/* test_seam_tables.c: unit tests of the supervisor's per-client keys and their hash:
 * src/process/keyed_hash.c, src/process/client_table.c (keys, prefixes) and
 * src/process/crash_guard.c (include/process/keyed_hash.h, client_table.h, crash_guard.h).
 *
 * What it does: SipHash-2-4 against the published test vectors (the paper's
 * key 00..0f on messages 00.., every length from 0 to 63; the first, fifteenth
 * and last checked against values written here from the reference) and a key
 * change changing every output; client keys of IPv6 addresses that carry an
 * IPv4 client (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32)
 * equal the IPv4 client's key, other IPv6 addresses their /64, unix clients
 * their uid; prefixes are the /24 and /48; and the crash guard fails closed:
 * with every record blocking, a new client's crashes block its prefix, and with
 * the prefixes all blocking too, the overflow record blocks clients without a
 * record of their own, while a blocked client is refused and others are not;
 * the supervisor's pid index (src/process/pid_index.c) agrees with a plain
 * array after every step of a random sequence of puts and removals, with pids
 * crowded into few places and in runs as the kernel hands them out.
 * Contract: only the headers named above and process/pid_index.h are used. Must not: depend on wall
 * time. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "process/client_table.h"
#include "process/crash_guard.h"
#include "process/keyed_hash.h"
#include "process/pid_index.h"
#include "unit.h"
#include "unit_suites.h"

#define SECOND 1000000000ull

/* ---------------------------------------------------------------- SipHash */

static void test_siphash_vectors(void)
{
    struct hash_key key = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    unsigned char message[64];
    for (int i = 0; i < 64; i++)
        message[i] = (unsigned char)i;
    /* From the reference implementation's vectors (vectors_sip64[0], [15], [63]). */
    CHECK_UINT(keyed_hash(&key, message, 0), 0x726fdb47dd0e0e31ull, "SipHash-2-4 of nothing");
    CHECK_UINT(keyed_hash(&key, message, 15), 0xa129ca6149be45e5ull, "SipHash-2-4 of 00..0e");
    CHECK_UINT(keyed_hash(&key, message, 63), 0x958a324ceb064572ull, "SipHash-2-4 of 00..3e");
    uint64_t seen[64];
    for (size_t length = 0; length < 64; length++) {
        seen[length] = keyed_hash(&key, message, length);
        for (size_t before = 0; before < length; before++)
            CHECK(seen[before] != seen[length], "lengths %zu and %zu hash apart", before, length);
    }
    struct hash_key other = {key.k0 ^ 1, key.k1};
    for (size_t length = 0; length < 64; length++)
        CHECK(keyed_hash(&other, message, length) != seen[length],
              "another key gives another hash (length %zu)", length);
}

/* ---------------------------------------------------------------- client keys */

static struct client_key key_of(const char *text)
{
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    struct client_key key;
    memset(&key, 0xA5, sizeof key);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
        v6->sin6_family = AF_INET6;
        CHECK(inet_pton(AF_INET6, text, &v6->sin6_addr) == 1, "test literal %s", text);
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
        v4->sin_family = AF_INET;
        CHECK(inet_pton(AF_INET, text, &v4->sin_addr) == 1, "test literal %s", text);
    }
    client_key_from_address((const struct sockaddr *)&storage, &key);
    return key;
}

static void check_key_text(const struct client_key *key, const char *expected, const char *what)
{
    char text[80];
    client_key_format(key, text, sizeof text);
    CHECK_STR(text, expected, "the key of %s", what);
}

static void test_embedded_ipv4_clients(void)
{
    struct client_key v4 = key_of("192.0.2.33");
    static const char *const SAME_CLIENT[] = {
        "::ffff:192.0.2.33",                    /* IPv4-mapped */
        "64:ff9b::192.0.2.33",                  /* NAT64 well-known prefix, RFC 6052 */
        "2002:c000:0221::1",                    /* 6to4, RFC 3056 */
        "2002:c000:0221:ffff:1234::9",          /* 6to4, another host behind it */
        "2001:0:4136:e378:8000:63bf:3fff:fdde", /* Teredo: client 63bf... inverted */
    };
    for (size_t i = 0; i < sizeof SAME_CLIENT / sizeof SAME_CLIENT[0]; i++) {
        struct client_key key = key_of(SAME_CLIENT[i]);
        if (i < 4)
            CHECK_BYTES((const char *)key.bytes, 16, (const char *)v4.bytes, 16,
                        "%s counts as 192.0.2.33", SAME_CLIENT[i]);
    }
    /* Teredo's client address is the last 32 bits inverted: 3fff:fdde -> 192.0.2.33. */
    struct client_key teredo = key_of(SAME_CLIENT[4]);
    check_key_text(&teredo, "192.0.2.33", "a Teredo address");
    check_key_text(&v4, "192.0.2.33", "an IPv4 address");
    /* Ordinary IPv6 clients stay /64s, and two /64s are two clients. */
    struct client_key a = key_of("2001:db8:1:2::1"), b = key_of("2001:db8:1:2:ffff::9");
    struct client_key c = key_of("2001:db8:1:3::1");
    CHECK(memcmp(&a, &b, sizeof a) == 0, "one /64 is one client");
    CHECK(memcmp(&a, &c, sizeof a) != 0, "another /64 is another client");
    check_key_text(&a, "2001:db8:1:2::/64", "an IPv6 /64");
    /* 64:ff9b:1::/48 (RFC 8215, local use) embeds its IPv4 by local choice: a /64. */
    struct client_key local_use = key_of("64:ff9b:1::c000:221");
    CHECK(memcmp(&local_use, &v4, sizeof v4) != 0, "the local-use NAT64 prefix is not decoded");
}

static void test_unix_clients_and_prefixes(void)
{
    struct client_key alice, bob, again, unknown;
    client_key_local(1000, &alice);
    client_key_local(1001, &bob);
    client_key_local(1000, &again);
    client_key_local(0xffffffffu, &unknown);
    CHECK(memcmp(&alice, &bob, sizeof alice) != 0, "two uids are two local clients");
    CHECK(memcmp(&alice, &again, sizeof alice) == 0, "one uid is one local client");
    check_key_text(&alice, "local uid 1000", "a unix client");
    check_key_text(&unknown, "local", "a unix client of unknown uid");
    struct client_key prefix, expected;
    client_key_prefix(&alice, &prefix);
    CHECK(memcmp(&prefix, &alice, sizeof prefix) == 0, "a unix client is its own prefix");
    struct client_key one = key_of("198.51.100.7"), two = key_of("198.51.100.250");
    struct client_key three = key_of("198.51.101.7");
    client_key_prefix(&one, &prefix);
    client_key_prefix(&two, &expected);
    CHECK(memcmp(&prefix, &expected, sizeof prefix) == 0, "one /24");
    client_key_prefix(&three, &expected);
    CHECK(memcmp(&prefix, &expected, sizeof prefix) != 0, "another /24");
    check_key_text(&prefix, "198.51.100.0", "the /24 of 198.51.100.7");
    struct client_key six = key_of("2001:db8:aa:1::1"), seven = key_of("2001:db8:aa:ffff::1");
    struct client_key eight = key_of("2001:db8:ab::1");
    client_key_prefix(&six, &prefix);
    client_key_prefix(&seven, &expected);
    CHECK(memcmp(&prefix, &expected, sizeof prefix) == 0, "one /48");
    client_key_prefix(&eight, &expected);
    CHECK(memcmp(&prefix, &expected, sizeof prefix) != 0, "another /48");
}

/* ---------------------------------------------------------------- the crash guard */

static struct crash_guard guard; /* large: static */

static struct client_key numbered(uint32_t subnet, uint8_t host)
{
    char text[32];
    snprintf(text, sizeof text, "10.%u.%u.%u", (subnet >> 8) & 0xff, subnet & 0xff, host);
    return key_of(text);
}

static void crash(const struct client_key *key, unsigned times, uint64_t now)
{
    for (unsigned i = 0; i < times; i++)
        crash_guard_record(&guard, key, now);
}

static void test_crash_guard_fails_closed(void)
{
    crash_guard_init(&guard, 2, 60 * SECOND);
    uint64_t now = 10 * SECOND;
    for (uint32_t i = 0; i < CRASH_GUARD_ENTRIES; i++) {
        struct client_key key = numbered(i, 1);
        crash(&key, 2, now);
        CHECK(crash_guard_blocked(&guard, &key, now), "client %u is blocked", i);
    }
    /* Every record blocks someone: a fresh client's crashes count against its /24. */
    struct client_key fresh = numbered(4000, 1), neighbour = numbered(4000, 2);
    struct client_key stranger = numbered(4001, 3);
    CHECK(!crash_guard_blocked(&guard, &fresh, now), "a fresh client is not blocked before it "
                                                     "crashes");
    crash(&fresh, 2, now);
    CHECK(crash_guard_blocked(&guard, &fresh, now), "a fresh client that crashes is blocked though "
                                                    "the table is full (fail closed)");
    CHECK(crash_guard_blocked(&guard, &neighbour, now), "with it, its /24");
    CHECK(!crash_guard_blocked(&guard, &stranger, now), "but not another /24");
    /* Fill the other prefixes too (the fresh client's holds one): then the
     * overflow record blocks the unknown. */
    for (uint32_t i = 0; i + 1 < CRASH_GUARD_PREFIXES; i++) {
        struct client_key key = numbered(5000 + i, 1);
        crash(&key, 2, now);
    }
    struct client_key last = numbered(9000, 1), innocent = numbered(9001, 1);
    CHECK(!crash_guard_blocked(&guard, &innocent, now), "not yet: the overflow has not crashed");
    crash(&last, 2, now);
    CHECK(crash_guard_blocked(&guard, &last, now), "past both tables, crashes still block");
    CHECK(crash_guard_blocked(&guard, &innocent, now),
          "and then every client without a record of its own is refused (fail closed)");
    struct client_key known = numbered(3, 1);
    CHECK(crash_guard_blocked(&guard, &known, now), "a blocked client stays blocked");
    /* The block ends. */
    uint64_t later = now + 61 * SECOND;
    CHECK(!crash_guard_blocked(&guard, &innocent, later), "the overflow block ends too");
    CHECK(!crash_guard_blocked(&guard, &fresh, later), "and the prefix's");
}

static void test_crash_guard_limit(void)
{
    crash_guard_init(&guard, 3, 5 * SECOND);
    struct client_key key = numbered(1, 1), other = numbered(2, 1);
    uint64_t now = SECOND;
    CHECK(!crash_guard_record(&guard, &key, now), "one crash: no block");
    CHECK(!crash_guard_record(&guard, &key, now), "two: no block");
    CHECK(crash_guard_record(&guard, &key, now), "the third starts a block");
    CHECK(crash_guard_blocked(&guard, &key, now + 4 * SECOND), "blocked within the block time");
    CHECK(!crash_guard_blocked(&guard, &key, now + 6 * SECOND), "free after it");
    CHECK(!crash_guard_blocked(&guard, &other, now), "others are not blocked");
    crash_guard_init(&guard, 0, 5 * SECOND);
    CHECK(!crash_guard_record(&guard, &key, now), "limit 0 never blocks");
}

/* ---------------------------------------------------------------- the pid index */

#define PID_ENTRIES 300
#define PID_RANGE 2000 /* pids 1..PID_RANGE: many share a home place */

static int64_t model_slot[PID_RANGE + 1]; /* -1: absent */

static bool index_agrees(const struct pid_index *index)
{
    for (pid_t pid = 1; pid <= PID_RANGE; pid++)
        if (pid_index_find(index, pid) != model_slot[pid])
            return false;
    return pid_index_find(index, 0) == -1 && pid_index_find(index, -5) == -1;
}

static void test_pid_index_against_a_model(uint64_t seed, bool in_runs)
{
    static unsigned char memory[1 << 16];
    CHECK(pid_index_bytes(PID_ENTRIES) <= sizeof memory, "the test's memory is large enough");
    memset(memory, 0, sizeof memory);
    struct pid_index index;
    pid_index_init(&index, memory, PID_ENTRIES);
    for (pid_t pid = 0; pid <= PID_RANGE; pid++)
        model_slot[pid] = -1;
    uint64_t state = seed;
    uint32_t live = 0, agreed = 0, steps = 4000;
    pid_t next_run_pid = 1;
    for (uint32_t step = 0; step < steps; step++) {
        pid_t pid = in_runs ? next_run_pid : (pid_t)(unit_random(&state) % PID_RANGE + 1);
        bool put = model_slot[pid] < 0 && live < PID_ENTRIES && unit_random(&state) % 3 != 0;
        if (put) {
            uint32_t slot = (uint32_t)(unit_random(&state) % PID_ENTRIES);
            pid_index_put(&index, pid, slot);
            model_slot[pid] = slot;
            live++;
            next_run_pid = next_run_pid % PID_RANGE + 1;
        } else {
            pid_t victim = pid;
            if (in_runs) /* remove some live pid, as children end in any order */
                for (uint32_t tries = 0; tries < PID_RANGE && model_slot[victim] < 0; tries++)
                    victim = (pid_t)(unit_random(&state) % PID_RANGE + 1);
            if (model_slot[victim] >= 0)
                live--;
            pid_index_remove(&index, victim);
            model_slot[victim] = -1;
        }
        agreed += index_agrees(&index);
    }
    CHECK_UINT(agreed, steps, "the index agrees with the model after every step (%s)",
               in_runs ? "pids in runs" : "random pids");
}

void test_seam_tables(void)
{
    test_pid_index_against_a_model(unit_random_state(0x9d1du), false);
    test_pid_index_against_a_model(unit_random_state(0x51a7u), true);
    test_siphash_vectors();
    test_embedded_ipv4_clients();
    test_unix_clients_and_prefixes();
    test_crash_guard_limit();
    test_crash_guard_fails_closed();
}
