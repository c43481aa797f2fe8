/* scoreboard.c: the shared page-per-child table of child phases and counters.
 *
 * A child isolates itself with two munmap calls (the slots before and after its
 * own); the mapping is MAP_SHARED, so fork copies no page tables for it. The
 * supervisor's own reads are plain atomic loads. Must not: be given any field
 * that the supervisor would trust without checking. */
#include "scoreboard.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int scoreboard_create(struct scoreboard *scoreboard, size_t slot_count)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t stride = page > 0 ? (size_t)page : 4096;
    _Static_assert(sizeof(struct scoreboard_slot) <= 4096, "a slot fits in one page");
    void *base = mmap(NULL, stride * slot_count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return -1;
    scoreboard->base = base;
    scoreboard->slot_count = slot_count;
    scoreboard->slot_stride = stride;
    return 0;
}

struct scoreboard_slot *scoreboard_slot(const struct scoreboard *scoreboard, size_t index)
{
    return (struct scoreboard_slot *)(scoreboard->base + index * scoreboard->slot_stride);
}

int scoreboard_isolate(const struct scoreboard *scoreboard, size_t index)
{
    size_t before = index * scoreboard->slot_stride;
    size_t after = (scoreboard->slot_count - index - 1) * scoreboard->slot_stride;
    if (before && munmap(scoreboard->base, before) != 0)
        return -1;
    if (after && munmap(scoreboard->base + before + scoreboard->slot_stride, after) != 0)
        return -1;
    return 0;
}

void scoreboard_set_phase(struct scoreboard_slot *slot, enum child_phase phase)
{
    atomic_store_explicit(&slot->phase_since_ns, monotonic_ns(), memory_order_relaxed);
    atomic_store_explicit(&slot->phase, (uint32_t)phase, memory_order_release);
}
