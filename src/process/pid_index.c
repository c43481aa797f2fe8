/* pid_index.c: pid to slot, by linear probing (include/process/pid_index.h).
 *
 * Removal shifts the entries after the freed place back where their probe
 * allows (Knuth, TAOCP vol. 3, 6.4, Algorithm R), so there are no tombstones
 * and a lookup always ends at the first empty place.
 * Must not: allocate or make a system call. */
#include <stdbool.h>

#include "process/pid_index.h"

static uint32_t places_for(uint32_t entries)
{
    uint32_t places = 16;
    while (places < 2u * entries && places < (1u << 30))
        places <<= 1;
    return places;
}

static uint32_t home(const struct pid_index *index, pid_t pid)
{
    return (uint32_t)(((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull) >> 32) & index->mask;
}

size_t pid_index_bytes(uint32_t entries)
{
    return (size_t)places_for(entries) * sizeof(struct pid_place);
}

void pid_index_init(struct pid_index *index, void *memory, uint32_t entries)
{
    index->places = memory;
    index->mask = places_for(entries) - 1;
}

void pid_index_put(struct pid_index *index, pid_t pid, uint32_t slot)
{
    uint32_t at = home(index, pid);
    while (index->places[at].pid != 0)
        at = (at + 1) & index->mask;
    index->places[at] = (struct pid_place){.pid = pid, .slot = slot};
}

int64_t pid_index_find(const struct pid_index *index, pid_t pid)
{
    if (pid <= 0)
        return -1;
    for (uint32_t at = home(index, pid); index->places[at].pid != 0; at = (at + 1) & index->mask)
        if (index->places[at].pid == pid)
            return index->places[at].slot;
    return -1;
}

void pid_index_remove(struct pid_index *index, pid_t pid)
{
    if (pid <= 0)
        return;
    uint32_t at = home(index, pid);
    while (index->places[at].pid != pid) {
        if (index->places[at].pid == 0)
            return;
        at = (at + 1) & index->mask;
    }
    /* Algorithm R: move back each later entry whose home is not between the
     * hole and it (cyclically), then empty the last hole. */
    uint32_t hole = at;
    for (uint32_t next = (hole + 1) & index->mask; index->places[next].pid != 0;
         next = (next + 1) & index->mask) {
        uint32_t wanted = home(index, index->places[next].pid);
        bool stays =
            hole <= next ? (hole < wanted && wanted <= next) : (hole < wanted || wanted <= next);
        if (!stays) {
            index->places[hole] = index->places[next];
            hole = next;
        }
    }
    index->places[hole] = (struct pid_place){0};
}
