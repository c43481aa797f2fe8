/* scoreboard.c: the shared page-per-child table of child phases and counters.
 *
 * Each slot is its own mapping, inherited only by the child it is lent to
 * (MADV_DOFORK for that one fork), so a child never maps another's slot and
 * pays nothing to forget it. The supervisor's own reads are plain atomic loads.
 * Must not: be given any field that the supervisor would trust without checking. */
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
    /* The table of slot addresses is the supervisor's alone: wiped in children. */
    size_t table_bytes = slot_count * sizeof(struct scoreboard_slot *);
    void *table = mmap(NULL, table_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED || madvise(table, table_bytes, MADV_WIPEONFORK) != 0)
        return -1;
    scoreboard->slots = table;
    scoreboard->slot_count = slot_count;
    scoreboard->page = stride;
    for (size_t i = 0; i < slot_count; i++) {
        /* Separate shared anonymous mappings never merge into one VMA (each has
         * its own memory object), so marking one does not split the others. */
        void *slot = mmap(NULL, stride, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (slot == MAP_FAILED || madvise(slot, stride, MADV_DONTFORK) != 0)
            return -1;
        scoreboard->slots[i] = slot;
    }
    return 0;
}

struct scoreboard_slot *scoreboard_slot(const struct scoreboard *scoreboard, size_t index)
{
    return scoreboard->slots[index];
}

int scoreboard_lend(const struct scoreboard *scoreboard, size_t index)
{
    return madvise(scoreboard->slots[index], scoreboard->page, MADV_DOFORK);
}

int scoreboard_reclaim(const struct scoreboard *scoreboard, size_t index)
{
    return madvise(scoreboard->slots[index], scoreboard->page, MADV_DONTFORK);
}

void scoreboard_set_phase(struct scoreboard_slot *slot, enum child_phase phase)
{
    atomic_store_explicit(&slot->phase_since_ns, monotonic_ns(), memory_order_relaxed);
    atomic_store_explicit(&slot->phase, (uint32_t)phase, memory_order_release);
}
