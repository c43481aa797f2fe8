/* client_table.c: per-client connection counts (contract in include/process/client_table.h).
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones; the table is at most half full. The hash is SipHash under a key
 * drawn at start-up, so a client cannot choose addresses that collide. Must not:
 * allocate after client_table_init. */
#include "process/client_table.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void ipv4_key(const uint8_t address[4], struct client_key *key)
{
    memset(key, 0, sizeof *key);
    key->bytes[10] = 0xff;
    key->bytes[11] = 0xff;
    memcpy(key->bytes + 12, address, 4);
}

/* The IPv4 client an IPv6 address stands for, if any (see client_table.h). */
static bool embedded_ipv4(const struct in6_addr *address, uint8_t out[4])
{
    static const uint8_t NAT64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t *bytes = address->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(address) || memcmp(bytes, NAT64, sizeof NAT64) == 0) {
        memcpy(out, bytes + 12, 4);
        return true;
    }
    if (bytes[0] == 0x20 && bytes[1] == 0x02) { /* 6to4: 2002:AABB:CCDD::/48 */
        memcpy(out, bytes + 2, 4);
        return true;
    }
    if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0 && bytes[3] == 0) { /* Teredo */
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)~bytes[12 + i];
        return true;
    }
    return false;
}

void client_key_from_address(const struct sockaddr *address, struct client_key *key)
{
    memset(key, 0, sizeof *key);
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        ipv4_key((const uint8_t *)&v4->sin_addr, key);
    } else if (address->sa_family == AF_UNIX) {
        client_key_local(0xffffffffu, key); /* no credentials known: one "local" client */
    } else if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        uint8_t v4[4];
        if (embedded_ipv4(&v6->sin6_addr, v4))
            ipv4_key(v4, key);
        else
            memcpy(key->bytes, &v6->sin6_addr, 8); /* the /64 */
    }
}

void client_key_local(uint32_t uid, struct client_key *key)
{
    memset(key->bytes, 0xff, 12);
    memcpy(key->bytes + 12, &uid, sizeof uid);
}

static int key_is_ipv4(const struct client_key *key)
{
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(key->bytes, mapped_prefix, sizeof mapped_prefix) == 0;
}

static int key_is_local(const struct client_key *key)
{
    static const uint8_t local_prefix[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(key->bytes, local_prefix, sizeof local_prefix) == 0;
}

void client_key_prefix(const struct client_key *key, struct client_key *prefix)
{
    *prefix = *key;
    if (key_is_local(key))
        return;
    if (key_is_ipv4(key))
        prefix->bytes[15] = 0; /* the /24 */
    else
        memset(prefix->bytes + 6, 0, 10); /* the /48 */
}

void client_key_format(const struct client_key *key, char *text, size_t text_size)
{
    char address[INET6_ADDRSTRLEN];
    if (key_is_local(key)) {
        uint32_t uid;
        memcpy(&uid, key->bytes + 12, sizeof uid);
        if (uid == 0xffffffffu)
            snprintf(text, text_size, "local");
        else
            snprintf(text, text_size, "local uid %u", uid);
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

uint64_t client_key_hash(const struct hash_key *hash_key, const struct client_key *key)
{
    return keyed_hash(hash_key, key->bytes, sizeof key->bytes);
}

static size_t key_hash(const struct client_table *table, const struct client_key *key)
{
    return (size_t)client_key_hash(&table->key, key);
}

int client_table_init(struct client_table *table, size_t max_clients, const struct hash_key *key)
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
    table->key = *key;
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
