/* client_table.c: per-client connection counts (contract in include/process/client_table.h).
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones; the table is at most half full. The hash is seeded at start-up so
 * that a client cannot choose addresses that collide. Must not: allocate after
 * client_table_init. */
#include "process/client_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

void client_key_from_address(const struct sockaddr *address, struct client_key *key)
{
    memset(key, 0, sizeof *key);
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        key->bytes[10] = 0xff;
        key->bytes[11] = 0xff;
        memcpy(key->bytes + 12, &v4->sin_addr, 4);
    } else if (address->sa_family == AF_UNIX) {
        memset(key->bytes, 0xff, sizeof key->bytes); /* every local client counts as one */
    } else if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            memcpy(key->bytes, &v6->sin6_addr, 16); /* already ::ffff:a.b.c.d */
        else
            memcpy(key->bytes, &v6->sin6_addr, 8); /* the /64 */
    }
}

static int key_is_ipv4(const struct client_key *key)
{
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(key->bytes, mapped_prefix, sizeof mapped_prefix) == 0;
}

void client_key_format(const struct client_key *key, char *text, size_t text_size)
{
    static const struct client_key LOCAL = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    char address[INET6_ADDRSTRLEN];
    if (memcmp(key, &LOCAL, sizeof LOCAL) == 0) {
        snprintf(text, text_size, "local");
        return;
    }
    if (key_is_ipv4(key)) {
        if (!inet_ntop(AF_INET, key->bytes + 12, address, sizeof address))
            snprintf(address, sizeof address, "?");
        snprintf(text, text_size, "%s", address);
        return;
    }
    if (!inet_ntop(AF_INET6, key->bytes, address, sizeof address))
        snprintf(address, sizeof address, "?");
    snprintf(text, text_size, "%s/64", address);
}

static uint64_t mix(uint64_t value)
{
    /* splitmix64's finaliser: every input bit affects every output bit. */
    value ^= value >> 30;
    value *= 0xbf58476d1ce4e5b9ull;
    value ^= value >> 27;
    value *= 0x94d049bb133111ebull;
    return value ^ (value >> 31);
}

static size_t key_hash(const struct client_table *table, const struct client_key *key)
{
    uint64_t high, low;
    memcpy(&high, key->bytes, 8);
    memcpy(&low, key->bytes + 8, 8);
    return (size_t)mix(mix(high ^ table->seed) ^ low);
}

int client_table_init(struct client_table *table, size_t max_clients, uint64_t seed)
{
    size_t capacity = 16;
    while (capacity < max_clients * 2)
        capacity *= 2;
    size_t bytes = capacity * sizeof(struct client_entry);
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return -1;
    /* Children get zeroes here instead of a copy: no other client's address. */
    if (madvise(memory, bytes, MADV_WIPEONFORK) != 0) {
        munmap(memory, bytes);
        return -1;
    }
    table->entries = memory;
    table->capacity = capacity;
    table->used = 0;
    table->seed = seed;
    return 0;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const struct client_table *table, const struct client_key *key)
{
    size_t mask = table->capacity - 1;
    size_t index = key_hash(table, key) & mask;
    while (table->entries[index].count != 0 &&
           memcmp(&table->entries[index].key, key, sizeof *key) != 0)
        index = (index + 1) & mask;
    return index;
}

uint32_t client_table_count(const struct client_table *table, const struct client_key *key)
{
    return table->entries[find_slot(table, key)].count;
}

int client_table_add(struct client_table *table, const struct client_key *key)
{
    size_t index = find_slot(table, key);
    struct client_entry *entry = &table->entries[index];
    if (entry->count == 0) {
        if ((table->used + 1) * 2 > table->capacity)
            return -1;
        entry->key = *key;
        table->used++;
    }
    entry->count++;
    return 0;
}

void client_table_remove(struct client_table *table, const struct client_key *key)
{
    size_t mask = table->capacity - 1;
    size_t index = find_slot(table, key);
    if (table->entries[index].count == 0)
        return;
    if (--table->entries[index].count > 0)
        return;
    table->used--;
    /* Backward-shift deletion: move later entries of the probe run into the gap
     * so that every remaining key stays reachable from its home slot. */
    size_t gap = index;
    for (size_t next = (gap + 1) & mask; table->entries[next].count != 0;
         next = (next + 1) & mask) {
        size_t home = key_hash(table, &table->entries[next].key) & mask;
        /* next may move to gap if its home is not within (gap, next] cyclically. */
        int home_after_gap =
            gap <= next ? (home > gap && home <= next) : (home > gap || home <= next);
        if (!home_after_gap) {
            table->entries[gap] = table->entries[next];
            table->entries[next].count = 0;
            gap = next;
        }
    }
}
