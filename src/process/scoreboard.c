/* scoreboard.c: the shared page-per-child table of child phases and counters.
 *
 * One shared anonymous mapping, one page per slot, marked MADV_DONTFORK as a
 * whole; lending a slot marks its page MADV_DOFORK for one fork (the kernel
 * splits the mapping around it) and reclaiming marks it DONTFORK again (the
 * pieces merge back). A child thus maps only its own slot, and fork copies
 * one mapping, not one per slot: separate per-slot mappings cost every fork
 * ~150 us here (docs/performance.md, "Decisions and the measurements behind them").
 * Must not: be given any field that the supervisor would trust without checking. */
#include "process/scoreboard.h"

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
    size_t bytes = slot_count * stride;
    void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return -1;
    if (madvise(base, bytes, MADV_DONTFORK) != 0) {
        munmap(base, bytes);
        return -1;
    }
    scoreboard->base = base;
    scoreboard->slot_count = slot_count;
    scoreboard->page = stride;
    return 0;
}

struct scoreboard_slot *scoreboard_slot(const struct scoreboard *scoreboard, size_t index)
{
    return (struct scoreboard_slot *)(void *)(scoreboard->base + index * scoreboard->page);
}

int scoreboard_lend(const struct scoreboard *scoreboard, size_t index)
{
    return madvise(scoreboard->base + index * scoreboard->page, scoreboard->page, MADV_DOFORK);
}

int scoreboard_reclaim(const struct scoreboard *scoreboard, size_t index)
{
    return madvise(scoreboard->base + index * scoreboard->page, scoreboard->page, MADV_DONTFORK);
}

void scoreboard_set_phase(struct scoreboard_slot *slot, enum child_phase phase)
{
    atomic_store_explicit(&slot->phase_since_ns, monotonic_ns(), memory_order_relaxed);
    atomic_store_explicit(&slot->phase, (uint32_t)phase, memory_order_release);
}
