/* client_table.h: connections counted per client, for --max-per-ip and eviction.
 *
 * Contract: a client is an IPv4 address, or an IPv6 /64 (one subscriber usually
 * holds a whole /64), and an IPv4-mapped IPv6 address counts as the IPv4 address
 * it maps; every client of a unix socket counts as one, "local" (behind a proxy
 * on a PROXY listener, the address the proxy reports counts instead). The table is fixed-size open
 * addressing (linear probing, backward-shift deletion) with a seeded hash, allocated once; it never
 * allocates afterwards. Its memory is wiped in children (MADV_WIPEONFORK): a connection process
 * never learns other clients' addresses. Must not: grow, allocate per connection, or keep a key
 * whose count is zero. */
#ifndef PRONG_CLIENT_TABLE_H
#define PRONG_CLIENT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "process/keyed_hash.h"

struct client_key {
    uint8_t bytes[16]; /* IPv4: ::ffff:a.b.c.d; IPv6: the /64, then zeros; unix: 12 × 0xff, uid */
};

struct client_entry {
    struct client_key key;
    uint32_t count; /* 0: empty slot */
};

struct client_table {
    struct client_entry *entries;
    size_t capacity; /* a power of two */
    size_t used;
    struct hash_key key;
};

/* The client of an accepted connection's peer address (a unix socket's peer
 * has no address: use client_key_local). */
void client_key_from_address(const struct sockaddr *address, struct client_key *key);
void client_key_local(uint32_t uid, struct client_key *key);

/* The /24 or /48 that key belongs to (a unix client is its own prefix). */
void client_key_prefix(const struct client_key *key, struct client_key *prefix);

/* "203.0.113.7", "2001:db8:1:2::/64" or "local uid 1000". */
void client_key_format(const struct client_key *key, char *text, size_t text_size);

/* The key's hash under hash_key: the one all per-client tables share. */
uint64_t client_key_hash(const struct hash_key *hash_key, const struct client_key *key);

/* Room for at least max_clients distinct clients. 0, or -1 when out of memory. */
int client_table_init(struct client_table *table, size_t max_clients, const struct hash_key *key);

uint32_t client_table_count(const struct client_table *table, const struct client_key *key);

/* Count one more connection of key; -1 if the table is full (never happens when
 * sized for max_children live connections). */
int client_table_add(struct client_table *table, const struct client_key *key);

/* Count one connection less; the entry goes when its count reaches zero. */
void client_table_remove(struct client_table *table, const struct client_key *key);

#endif
