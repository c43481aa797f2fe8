/* scoreboard.c: the shared page-per-child table of child phases and counters.
 *
 * One shared anonymous mapping, one page per slot, marked MADV_DONTFORK as a
 * whole, so no fork inherits it. Lending a slot makes a second mapping of its
 * page (mremap with old_size 0, which aliases a shared page) at one fixed
 * window, a page of this image's bss, marked MADV_DOFORK for one fork and
 * DONTFORK again right after; the next lend replaces it. A child thus maps
 * only its own slot, fork copies one mapping, not one per slot (separate
 * per-slot mappings cost every fork ~150 us here: docs/architecture.md,
 * "Per-connection cost"), and the slot lies among pages the child maps anyway:
 * inside the 8 MiB table it cost each connection process a page-table page of
 * its own (4 KiB), since a 2 MiB span of address space needs one. Where the
 * page size is not the window's, the slot's own page is lent instead
 * (MADV_DOFORK on it, the kernel splitting the mapping around it).
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

/* Where a lent slot is mapped: replaced by the slot's page at the first lend. */
static _Alignas(4096) unsigned char lend_window[4096];

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
    scoreboard->window = stride == sizeof lend_window ? lend_window : NULL;
    return 0;
}

struct scoreboard_slot *scoreboard_slot(const struct scoreboard *scoreboard, size_t index)
{
    return (struct scoreboard_slot *)(void *)(scoreboard->base + index * scoreboard->page);
}

struct scoreboard_slot *scoreboard_lend(const struct scoreboard *scoreboard, size_t index)
{
    unsigned char *slot = scoreboard->base + index * scoreboard->page;
    if (!scoreboard->window)
        return madvise(slot, scoreboard->page, MADV_DOFORK) == 0
                   ? (struct scoreboard_slot *)(void *)slot
                   : NULL;
    /* The alias inherits the table's MADV_DONTFORK: lifted for this fork. */
    void *alias =
        mremap(slot, 0, scoreboard->page, MREMAP_MAYMOVE | MREMAP_FIXED, scoreboard->window);
    if (alias != scoreboard->window ||
        madvise(scoreboard->window, scoreboard->page, MADV_DOFORK) != 0)
        return NULL;
    return (struct scoreboard_slot *)(void *)scoreboard->window;
}

int scoreboard_reclaim(const struct scoreboard *scoreboard, size_t index)
{
    unsigned char *lent =
        scoreboard->window ? scoreboard->window : scoreboard->base + index * scoreboard->page;
    return madvise(lent, scoreboard->page, MADV_DONTFORK);
}

void scoreboard_set_phase(struct scoreboard_slot *slot, enum child_phase phase)
{
    atomic_store_explicit(&slot->phase_since_ns, monotonic_ns(), memory_order_relaxed);
    atomic_store_explicit(&slot->phase, (uint32_t)phase, memory_order_release);
}
