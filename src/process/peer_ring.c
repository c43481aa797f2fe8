/* peer_ring.c: the supervisor's record of each child's client (include/process/peer_ring.h).
 *
 * One writer (the supervisor, single-threaded) and one reader (the monitor).
 * A record is claimed by zeroing its sequence, filled, then published by
 * storing its index + 1 with release order; the reader loads the sequence with
 * acquire order before and after copying, and keeps the copy only when both
 * equal the index it wanted. Must not: block, or be mapped by a connection process. */
#include "process/peer_ring.h"

#include <string.h>
#include <sys/mman.h>

struct peer_ring *peer_ring_create(void)
{
    void *memory = mmap(NULL, sizeof(struct peer_ring), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return memory == MAP_FAILED ? NULL : memory;
}

int peer_ring_keep_from_children(struct peer_ring *ring)
{
    return madvise(ring, sizeof *ring, MADV_DONTFORK);
}

void peer_ring_publish(struct peer_ring *ring, pid_t pid, const struct log_peer *peer,
                       bool trusted_proxy)
{
    uint64_t index = atomic_load_explicit(&ring->written, memory_order_relaxed);
    struct peer_record *record = &ring->records[index % PEER_RING_SIZE];
    atomic_store_explicit(&record->sequence, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    record->pid = (int32_t)pid;
    record->trusted_proxy = trusted_proxy ? 1u : 0u;
    record->peer = *peer;
    atomic_store_explicit(&record->sequence, index + 1, memory_order_release);
    atomic_store_explicit(&ring->written, index + 1, memory_order_release);
}

int peer_ring_read(const struct peer_ring *ring, uint64_t index, struct peer_record *out)
{
    if (atomic_load_explicit(&ring->written, memory_order_acquire) <= index)
        return 0;
    const struct peer_record *record = &ring->records[index % PEER_RING_SIZE];
    uint64_t before = atomic_load_explicit(&record->sequence, memory_order_acquire);
    out->pid = record->pid;
    out->trusted_proxy = record->trusted_proxy;
    out->peer = record->peer;
    atomic_thread_fence(memory_order_acquire);
    uint64_t after = atomic_load_explicit(&record->sequence, memory_order_relaxed);
    /* written > index was published after the record: any other value means a
     * later lap of the ring has claimed it. */
    return before == index + 1 && after == index + 1 ? 1 : -1;
}
