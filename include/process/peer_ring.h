/* peer_ring.h: who each connection process serves, as the supervisor recorded it.
 *
 * Contract: a ring of PEER_RING_SIZE records in memory shared by the
 * supervisor, which appends one per connection process it forks (its pid, the
 * client's address as admitted, whether that peer is a --trusted-proxy), and
 * the monitor, which reads them to put the right CLIENT on a connection
 * process's access lines: a child's message is attributed by the pid the
 * kernel reports for it, never by anything in the message. The monitor creates
 * the mapping before it forks the supervisor; the supervisor marks it
 * MADV_DONTFORK, so no connection process maps it. Each record carries a
 * sequence number written last (release) and checked before and after a read
 * (acquire), so the monitor never takes a half-written or overwritten record;
 * if it falls a whole ring behind, the records it missed are counted lost.
 * The monitor treats every record as data from a less privileged process:
 * fixed-size fields only, validated before use.
 * Must not: hold a pointer, a length, or anything of a connection process's. */
#ifndef PRONG_PEER_RING_H
#define PRONG_PEER_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "process/log_record.h"

#define PEER_RING_SIZE 4096 /* a power of two: forks the monitor may fall behind by */

struct peer_record {
    _Atomic uint64_t sequence; /* its index + 1 once complete; 0 while being written */
    int32_t pid;
    uint32_t trusted_proxy; /* 1: the connection's peer is a --trusted-proxy */
    struct log_peer peer;
};

struct peer_ring {
    _Atomic uint64_t written; /* records appended so far */
    struct peer_record records[PEER_RING_SIZE];
};

/* A shared mapping for the ring (monitor, before the fork), or NULL. */
struct peer_ring *peer_ring_create(void);

/* In the supervisor: keep the ring out of every fork. 0 or -1. */
int peer_ring_keep_from_children(struct peer_ring *ring);

/* Supervisor: one more child. */
void peer_ring_publish(struct peer_ring *ring, pid_t pid, const struct log_peer *peer,
                       bool trusted_proxy);

/* Monitor: the record at index (the reader's own count), copied into *out if it
 * is complete and still that index's; 1 copied, 0 not yet written, -1 overwritten. */
int peer_ring_read(const struct peer_ring *ring, uint64_t index, struct peer_record *out);

#endif
