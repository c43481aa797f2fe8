/* test_client_table.c: unit tests of src/process/client_table.c (include/process/client_table.h).
 *
 * What it does: checks client keys (an IPv4 address; an IPv6 /64; an
 * IPv4-mapped IPv6 address as its IPv4 address) byte by byte and as text;
 * add/count/remove semantics down to zero and below; the capacity promise and
 * the refusal past half capacity; random add/remove sequences (fixed seeds,
 * thousands of operations) against a plain array model; and backward-shift
 * deletion with deliberately colliding keys, wrapping runs included. For the
 * collision tests each key's home slot is learnt by observation (the slot a key
 * takes in an empty table with the same seed and capacity), never from the
 * table's hash, and after every operation the linear-probing invariant is
 * checked on the table's memory: every slot from a key's home to its slot is
 * occupied, no key appears twice, and `used` counts the occupied slots. Also
 * checks that a forked child sees the table wiped (MADV_WIPEONFORK).
 *
 * Contract: only the interface in include/process/client_table.h is called; the
 * table's public struct is read, never written.
 * Must not: copy the table's hash or probing code into the test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/client_table.h"
#include "unit.h"
#include "unit_suites.h"

#define SMALL_MAX_CLIENTS 8u /* a table of 16 slots: runs and wraps are frequent */
#define SMALL_CAPACITY 16u
#define CANDIDATE_KEYS 4096u
#define MODEL_OPERATIONS 20000u
#define MODEL_SEEDS 6u

/* ------------------------------------------------------------------ keys */

static struct client_key key_from_ipv4(const char *text)
{
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(443);
    if (inet_pton(AF_INET, text, &address.sin_addr) != 1) {
        fprintf(stderr, "test_unit: bad IPv4 literal in a test: %s\n", text);
        exit(2);
    }
    struct client_key key;
    memset(&key, 0xA5, sizeof key); /* every byte must be written */
    client_key_from_address((const struct sockaddr *)&address, &key);
    return key;
}

static struct client_key key_from_ipv6(const char *text, uint16_t port)
{
    struct sockaddr_in6 address;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_scope_id = port; /* neither may matter */
    if (inet_pton(AF_INET6, text, &address.sin6_addr) != 1) {
        fprintf(stderr, "test_unit: bad IPv6 literal in a test: %s\n", text);
        exit(2);
    }
    struct client_key key;
    memset(&key, 0xA5, sizeof key);
    client_key_from_address((const struct sockaddr *)&address, &key);
    return key;
}

static bool same_key(const struct client_key *a, const struct client_key *b)
{
    return memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static void check_key_bytes(const struct client_key *key, const uint8_t expected[16],
                            const char *what)
{
    CHECK_BYTES((const char *)key->bytes, 16, (const char *)expected, 16, "key bytes of %s", what);
}

static void check_key_text(const struct client_key *key, const char *expected, const char *what)
{
    char text[80];
    memset(text, '#', sizeof text);
    client_key_format(key, text, sizeof text);
    CHECK_STR(text, expected, "client_key_format of %s", what);
}

static void test_keys(void)
{
    struct client_key v4 = key_from_ipv4("203.0.113.7");
    static const uint8_t V4_BYTES[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7};
    check_key_bytes(&v4, V4_BYTES, "203.0.113.7");
    check_key_text(&v4, "203.0.113.7", "203.0.113.7");
    CHECK(!same_key(&v4, &(struct client_key){0}), "an IPv4 key is not all zeros");
    CHECK(!same_key(&v4, (const struct client_key[]){key_from_ipv4("203.0.113.8")}),
          "neighbouring IPv4 addresses differ");

    /* IPv4-mapped IPv6 counts as the IPv4 address. */
    struct client_key mapped = key_from_ipv6("::ffff:203.0.113.7", 1234);
    check_key_bytes(&mapped, V4_BYTES, "::ffff:203.0.113.7");
    CHECK(same_key(&mapped, &v4), "::ffff:203.0.113.7 and 203.0.113.7 share a key");
    check_key_text(&mapped, "203.0.113.7", "::ffff:203.0.113.7");

    /* IPv6: the /64, then zeros; any two addresses of one /64 share a key. */
    struct client_key v6 = key_from_ipv6("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 80);
    static const uint8_t V6_BYTES[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
                                         0,    0,    0,    0,    0, 0, 0, 0};
    check_key_bytes(&v6, V6_BYTES, "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    check_key_text(&v6, "2001:db8:1:2::/64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    static const char *const SAME_64[] = {"2001:db8:1:2::", "2001:db8:1:2::1",
                                          "2001:db8:1:2:ffff:ffff:ffff:ffff",
                                          "2001:db8:1:2:8000::"};
    for (size_t i = 0; i < sizeof SAME_64 / sizeof SAME_64[0]; i++) {
        struct client_key other = key_from_ipv6(SAME_64[i], (uint16_t)(9000 + i));
        CHECK(same_key(&other, &v6), "%s is in 2001:db8:1:2::/64", SAME_64[i]);
    }
    static const char *const OTHER_64[] = {"2001:db8:1:3::1", "2001:db8:1:1:ffff:ffff:ffff:ffff",
                                           "2001:db8:0:2::1", "3001:db8:1:2::1"};
    for (size_t i = 0; i < sizeof OTHER_64 / sizeof OTHER_64[0]; i++) {
        struct client_key other = key_from_ipv6(OTHER_64[i], 80);
        CHECK(!same_key(&other, &v6), "%s is not in 2001:db8:1:2::/64", OTHER_64[i]);
    }
    /* Loopback and an IPv4-compatible address are IPv6 /64s (::/64), not IPv4. */
    struct client_key loopback = key_from_ipv6("::1", 80);
    check_key_text(&loopback, "::/64", "::1");
    struct client_key compatible = key_from_ipv6("::203.0.113.7", 80);
    CHECK(!same_key(&compatible, &v4), "::203.0.113.7 (IPv4-compatible) is not the IPv4 client");
    CHECK(same_key(&compatible, &loopback), "::203.0.113.7 and ::1 share ::/64");

    /* The text is cut to the buffer and always terminated. */
    char small[5];
    memset(small, '#', sizeof small);
    client_key_format(&v4, small, sizeof small);
    CHECK_STR(small, "203.", "client_key_format into 5 bytes");
    char tiny[1] = {'#'};
    client_key_format(&v6, tiny, sizeof tiny);
    CHECK(tiny[0] == '\0', "client_key_format into 1 byte writes only the NUL");
}

/* ------------------------------------------------------------------ table helpers */

static struct client_key numbered_key(uint32_t number)
{
    /* Distinct IPv4 keys for small numbers, distinct /64s above: both kinds. */
    struct client_key key;
    memset(&key, 0, sizeof key);
    if (number % 2 == 0) {
        key.bytes[10] = key.bytes[11] = 0xff;
        uint32_t address = htonl(0x0a000000u + number);
        memcpy(key.bytes + 12, &address, 4);
    } else {
        key.bytes[0] = 0x20;
        key.bytes[1] = 0x01;
        key.bytes[2] = 0x0d;
        key.bytes[3] = 0xb8;
        uint32_t subnet = htonl(number);
        memcpy(key.bytes + 4, &subnet, 4);
    }
    return key;
}

static void release_table(struct client_table *table)
{
    munmap(table->entries, table->capacity * sizeof *table->entries);
    table->entries = NULL;
}

static size_t slot_of(const struct client_table *table, const struct client_key *key)
{
    for (size_t i = 0; i < table->capacity; i++)
        if (table->entries[i].count != 0 && same_key(&table->entries[i].key, key))
            return i;
    return SIZE_MAX;
}

static size_t occupied_slots(const struct client_table *table)
{
    size_t occupied = 0;
    for (size_t i = 0; i < table->capacity; i++)
        occupied += table->entries[i].count != 0;
    return occupied;
}

/* ------------------------------------------------------------------ basic semantics */

static void test_add_count_remove(void)
{
    struct client_table table;
    if (!CHECK(client_table_init(&table, 100, &(struct hash_key){0x1234, ~(uint64_t)(0x1234)}) == 0,
               "client_table_init(100)"))
        return;
    struct client_key a = key_from_ipv4("198.51.100.1"), b = key_from_ipv6("2001:db8::1", 80);
    struct client_key b_neighbour = key_from_ipv6("2001:db8::2", 81);

    CHECK_UINT(client_table_count(&table, &a), 0, "count of a key never added");
    CHECK_UINT(table.used, 0, "used of a new table");
    for (uint32_t i = 1; i <= 3; i++) {
        CHECK_INT(client_table_add(&table, &a), 0, "add #%u of a", i);
        CHECK_UINT(client_table_count(&table, &a), i, "count of a after %u adds", i);
    }
    CHECK_UINT(table.used, 1, "one client with three connections");
    CHECK_INT(client_table_add(&table, &b), 0, "add b");
    CHECK_UINT(client_table_count(&table, &b_neighbour), 1,
               "another address of b's /64 counts b's connection");
    CHECK_INT(client_table_add(&table, &b_neighbour), 0, "add b's neighbour");
    CHECK_UINT(client_table_count(&table, &b), 2, "b's /64 holds two connections");
    CHECK_UINT(table.used, 2, "two clients");

    client_table_remove(&table, &a);
    CHECK_UINT(client_table_count(&table, &a), 2, "count of a after one remove");
    client_table_remove(&table, &a);
    client_table_remove(&table, &a);
    CHECK_UINT(client_table_count(&table, &a), 0, "count of a removed down to zero");
    CHECK_UINT(table.used, 1, "a's entry is gone at zero");
    CHECK(slot_of(&table, &a) == SIZE_MAX, "no slot holds a after its count reached zero");
    CHECK_UINT(occupied_slots(&table), 1, "one occupied slot remains");

    /* Removing what is not there changes nothing. */
    client_table_remove(&table, &a);
    client_table_remove(&table, (const struct client_key[]){key_from_ipv4("192.0.2.99")});
    CHECK_UINT(client_table_count(&table, &a), 0, "count of a after removing it once too often");
    CHECK_UINT(client_table_count(&table, &b), 2, "b untouched by removals of others");
    CHECK_UINT(table.used, 1, "used after removals of absent keys");

    client_table_remove(&table, &b_neighbour);
    client_table_remove(&table, &b);
    CHECK_UINT(client_table_count(&table, &b), 0, "b removed down to zero");
    CHECK_UINT(table.used, 0, "empty again");
    CHECK_UINT(occupied_slots(&table), 0, "no occupied slot in an empty table");
    release_table(&table);
}

/* "Room for at least max_clients distinct clients", and -1 past half the slots. */
static void test_capacity(void)
{
    static const size_t SIZES[] = {1, 2, 7, 8, 9, 100, 1000, 4096};
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        size_t max_clients = SIZES[s];
        struct client_table table;
        if (!CHECK(client_table_init(&table, max_clients,
                                     &(struct hash_key){0xfeed + s, ~(uint64_t)(0xfeed + s)}) == 0,
                   "client_table_init(%zu)", max_clients))
            continue;
        CHECK(table.capacity != 0 && (table.capacity & (table.capacity - 1)) == 0,
              "capacity %zu for %zu clients is a power of two", table.capacity, max_clients);
        size_t added = 0;
        uint32_t number = 0;
        while (client_table_add(&table, (const struct client_key[]){numbered_key(number)}) == 0) {
            added++;
            number++;
            if (added > table.capacity)
                break;
        }
        CHECK(added >= max_clients, "room for at least %zu clients: %zu distinct adds succeeded",
              max_clients, added);
        CHECK_UINT(added, table.capacity / 2, "distinct clients accepted in %zu slots",
                   table.capacity);
        CHECK_UINT(table.used, added, "used after filling (%zu clients)", max_clients);
        struct client_key refused = numbered_key(number);
        CHECK_INT(client_table_add(&table, &refused), -1,
                  "a new client past half capacity is refused again");
        CHECK_UINT(client_table_count(&table, &refused), 0, "a refused client is not counted");
        CHECK_UINT(table.used, added, "a refusal leaves used unchanged");
        /* A known client still gets more connections; a freed entry makes room. */
        struct client_key first = numbered_key(0);
        CHECK_INT(client_table_add(&table, &first), 0,
                  "a present client can add a connection in a full table");
        CHECK_UINT(client_table_count(&table, &first), 2, "count of the present client");
        client_table_remove(&table, &first);
        client_table_remove(&table, &first);
        CHECK_INT(client_table_add(&table, &refused), 0, "after one client left, a new one fits");
        CHECK_UINT(client_table_count(&table, &refused), 1, "count of the new client");
        for (uint32_t i = 1; i < number; i++)
            if (!CHECK_UINT(
                    client_table_count(&table, (const struct client_key[]){numbered_key(i)}), 1,
                    "client %u of a full table of %zu", i, max_clients))
                break;
        release_table(&table);
    }
}

/* ---------------------------------------------------------- learnt homes and the invariant */

struct known_key {
    struct client_key key;
    size_t home;
};

static struct known_key candidates[CANDIDATE_KEYS];

/* Each candidate's home slot: where it lands when added alone to an empty table. */
static bool learn_homes(uint64_t seed)
{
    struct client_table table;
    if (!CHECK(client_table_init(&table, SMALL_MAX_CLIENTS,
                                 &(struct hash_key){seed, ~(uint64_t)(seed)}) == 0,
               "client_table_init(%u)", SMALL_MAX_CLIENTS))
        return false;
    bool capacity_ok =
        CHECK_UINT(table.capacity, SMALL_CAPACITY, "capacity for %u clients", SMALL_MAX_CLIENTS);
    for (uint32_t i = 0; capacity_ok && i < CANDIDATE_KEYS; i++) {
        candidates[i].key = numbered_key(i);
        client_table_add(&table, &candidates[i].key);
        candidates[i].home = slot_of(&table, &candidates[i].key);
        client_table_remove(&table, &candidates[i].key);
        if (candidates[i].home == SIZE_MAX || table.used != 0 || occupied_slots(&table) != 0) {
            CHECK(false, "a key added to and removed from an empty table left it non-empty or was "
                         "not stored");
            capacity_ok = false;
        }
    }
    release_table(&table);
    return capacity_ok;
}

static const struct known_key *find_known(const struct client_key *key)
{
    for (size_t i = 0; i < CANDIDATE_KEYS; i++)
        if (same_key(&candidates[i].key, key))
            return &candidates[i];
    return NULL;
}

/* Linear probing's invariant, read from the table's memory. */
static bool check_invariant(const struct client_table *table, const char *after)
{
    size_t occupied = 0;
    for (size_t slot = 0; slot < table->capacity; slot++) {
        const struct client_entry *entry = &table->entries[slot];
        if (entry->count == 0)
            continue;
        occupied++;
        const struct known_key *known = find_known(&entry->key);
        if (!CHECK(known != NULL, "after %s: slot %zu holds a key that was never added", after,
                   slot))
            return false;
        for (size_t probe = known->home; probe != slot; probe = (probe + 1) % table->capacity)
            if (!CHECK(table->entries[probe].count != 0,
                       "after %s: key in slot %zu (home %zu) is unreachable: slot %zu on its probe "
                       "path is empty",
                       after, slot, known->home, probe))
                return false;
        for (size_t other = slot + 1; other < table->capacity; other++)
            if (!CHECK(table->entries[other].count == 0 ||
                           !same_key(&table->entries[other].key, &entry->key),
                       "after %s: one key in slots %zu and %zu", after, slot, other))
                return false;
    }
    return CHECK_UINT(table->used, occupied, "after %s: used equals the occupied slots", after);
}

/* Candidates whose learnt home is `home`, skipping the first `skip` of them. */
static const struct known_key *key_with_home(size_t home, size_t skip)
{
    for (size_t i = 0; i < CANDIDATE_KEYS; i++)
        if (candidates[i].home == home && skip-- == 0)
            return &candidates[i];
    return NULL;
}

static uint64_t shifts_seen; /* removals that moved another entry: the tests must exercise them */

static void remove_and_check(struct client_table *table, const struct client_key *key,
                             const char *what)
{
    struct client_entry before[SMALL_CAPACITY];
    memcpy(before, table->entries, sizeof before);
    client_table_remove(table, key);
    size_t moved = 0;
    for (size_t i = 0; i < SMALL_CAPACITY; i++)
        moved += table->entries[i].count != 0 &&
                 (before[i].count == 0 || !same_key(&before[i].key, &table->entries[i].key));
    shifts_seen += moved != 0;
    check_invariant(table, what);
}

/* Hand-built runs: several keys with one home, a key homed inside the run,
 * and a run that wraps from the last slot to the first. */
static void test_colliding_runs(uint64_t seed)
{
    for (size_t home = 0; home < SMALL_CAPACITY; home++) {
        const struct known_key *a = key_with_home(home, 0), *b = key_with_home(home, 1),
                               *c = key_with_home(home, 2);
        const struct known_key *d = key_with_home((home + 1) % SMALL_CAPACITY, 0);
        const struct known_key *e = key_with_home((home + 3) % SMALL_CAPACITY, 0);
        if (!CHECK(a && b && c && d && e, "%u candidate keys give three with home %zu",
                   CANDIDATE_KEYS, home))
            continue;
        const struct known_key *run[5] = {a, b, c, d, e};
        /* Remove each of the five first, then the rest in order. */
        for (size_t first = 0; first < 5; first++) {
            struct client_table table;
            if (!CHECK(client_table_init(&table, SMALL_MAX_CLIENTS,
                                         &(struct hash_key){seed, ~(uint64_t)(seed)}) == 0,
                       "client_table_init"))
                return;
            for (size_t i = 0; i < 5; i++)
                CHECK_INT(client_table_add(&table, &run[i]->key), 0,
                          "add key %zu of the run at %zu", i, home);
            /* Linear probing puts them in one run: home, home+1, ..., home+4. */
            for (size_t i = 0; i < 5; i++)
                CHECK_UINT(slot_of(&table, &run[i]->key), (home + i) % SMALL_CAPACITY,
                           "slot of key %zu of the run at home %zu", i, home);
            check_invariant(&table, "building a colliding run");
            char what[96];
            snprintf(what, sizeof what, "removing key %zu of the run at home %zu", first, home);
            remove_and_check(&table, &run[first]->key, what);
            for (size_t i = 0; i < 5; i++)
                CHECK_UINT(client_table_count(&table, &run[i]->key), i == first ? 0 : 1,
                           "after %s: count of key %zu", what, i);
            for (size_t i = 0; i < 5; i++) {
                if (i == first)
                    continue;
                snprintf(what, sizeof what, "then removing key %zu of the run at home %zu", i,
                         home);
                remove_and_check(&table, &run[i]->key, what);
                for (size_t j = i + 1; j < 5; j++)
                    if (j != first)
                        CHECK_UINT(client_table_count(&table, &run[j]->key), 1,
                                   "after %s: count of key %zu", what, j);
            }
            CHECK_UINT(table.used, 0, "every key of the run removed");
            release_table(&table);
        }
    }
}

/* Random add/remove sequences against a model, with the invariant after each step. */
static void test_against_model(uint64_t table_seed, size_t pool_size, size_t max_clients,
                               unsigned operations, uint64_t random_salt, bool check_layout)
{
    struct client_table table;
    if (!CHECK(client_table_init(&table, max_clients,
                                 &(struct hash_key){table_seed, ~(uint64_t)(table_seed)}) == 0,
               "client_table_init(%zu)", max_clients))
        return;
    uint32_t *model = calloc(pool_size, sizeof *model);
    struct client_key *pool = calloc(pool_size, sizeof *pool);
    if (!model || !pool) {
        fprintf(stderr, "test_unit: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < pool_size; i++)
        pool[i] = check_layout ? candidates[i].key : numbered_key((uint32_t)i * 7919u);
    size_t present = 0;
    uint64_t random = unit_random_state(random_salt);
    uint64_t refusals = 0;
    bool ok = true;
    for (unsigned step = 0; step < operations && ok; step++) {
        size_t k = (size_t)unit_random_below(&random, pool_size);
        char what[96];
        if (unit_random_below(&random, 100) < 55) {
            int result = client_table_add(&table, &pool[k]);
            bool must_refuse = model[k] == 0 && (present + 1) * 2 > table.capacity;
            snprintf(what, sizeof what, "step %u: add key %zu (count %u, %zu present)", step, k,
                     model[k], present);
            ok = CHECK_INT(result, must_refuse ? -1 : 0, "%s", what);
            if (result == 0) {
                present += model[k] == 0;
                model[k]++;
            } else {
                refusals++;
            }
            if (check_layout)
                ok = ok && check_invariant(&table, what);
        } else {
            snprintf(what, sizeof what, "step %u: remove key %zu (count %u)", step, k, model[k]);
            if (check_layout) {
                remove_and_check(&table, &pool[k], what);
            } else {
                client_table_remove(&table, &pool[k]);
            }
            if (model[k] > 0) {
                model[k]--;
                present -= model[k] == 0;
            }
        }
        ok = ok && CHECK_UINT(client_table_count(&table, &pool[k]), model[k], "%s: count", what);
        ok = ok && CHECK_UINT(table.used, present, "%s: used", what);
        if (ok && (check_layout || step % 500 == 0 || step + 1 == operations))
            for (size_t i = 0; i < pool_size && ok; i++)
                ok = CHECK_UINT(client_table_count(&table, &pool[i]), model[i],
                                "%s: count of key %zu", what, i);
    }
    if (!check_layout)
        CHECK_UINT(occupied_slots(&table), present, "occupied slots after %u random operations",
                   operations);
    if (pool_size * 2 > table.capacity)
        CHECK(refusals > 0, "the sequence with %zu keys for %zu slots reached the full table",
              pool_size, table.capacity);
    free(model);
    free(pool);
    release_table(&table);
}

/* ------------------------------------------------------------------ fork */

static void test_wiped_in_children(void)
{
    struct client_table table;
    if (!CHECK(client_table_init(&table, 16, &(struct hash_key){42, ~(uint64_t)(42)}) == 0,
               "client_table_init(16)"))
        return;
    for (uint32_t i = 0; i < 10; i++)
        client_table_add(&table, (const struct client_key[]){numbered_key(i)});
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        size_t nonzero = 0;
        const unsigned char *bytes = (const unsigned char *)table.entries;
        for (size_t i = 0; i < table.capacity * sizeof *table.entries; i++)
            nonzero += bytes[i] != 0;
        _exit(nonzero == 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child, "fork and wait for the child");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a forked child sees only zeros in the table (status %d)", status);
    CHECK_UINT(client_table_count(&table, (const struct client_key[]){numbered_key(3)}), 1,
               "the parent keeps its counts");
    release_table(&table);
}

void test_client_table(void)
{
    test_keys();
    test_add_count_remove();
    test_capacity();

    static const uint64_t TABLE_SEEDS[MODEL_SEEDS] = {1,  0xdeadbeef, 0x0123456789abcdefull,
                                                      77, UINT64_MAX, 0};
    for (size_t s = 0; s < MODEL_SEEDS; s++) {
        /* Larger tables: counts and used against the model. */
        test_against_model(TABLE_SEEDS[s], 700, 256, MODEL_OPERATIONS, 0xc0ffee + s, false);
        /* 16 slots: collisions, full-table refusals and wrapping runs all the time. */
        if (!learn_homes(TABLE_SEEDS[s]))
            continue;
        test_colliding_runs(TABLE_SEEDS[s]);
        test_against_model(TABLE_SEEDS[s], 24, SMALL_MAX_CLIENTS, 5000, 0xbadc0de + s, true);
    }
    CHECK(shifts_seen >= 1000, "backward shifts exercised: %llu removals moved another entry",
          (unsigned long long)shifts_seen);
    test_wiped_in_children();
}
