/* pid_index.h: which supervisor slot holds the child with a given pid.
 *
 * Contract: an open-addressing table from pid to slot index, for the
 * supervisor's reaping (wait4 names a pid) and the monitor's kill requests,
 * so neither scans every slot: with --max-children in the thousands, a scan
 * per reaped child would cost more than the child. The caller provides the
 * memory (pid_index_bytes) and never inserts more pids than it sized it for;
 * the table keeps at least half its places free, so a probe is short. Pids
 * are the kernel's, not an attacker's choice, so no keyed hash is needed.
 * Must not: allocate, make a system call, or return a slot for a pid not in it. */
#ifndef PRONG_PID_INDEX_H
#define PRONG_PID_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pid_place {
    int32_t pid; /* 0: empty */
    uint32_t slot;
};

struct pid_index {
    struct pid_place *places;
    uint32_t mask; /* places - 1: a power of two, at least twice the entries */
};

/* Bytes of memory for a table of up to `entries` pids. */
size_t pid_index_bytes(uint32_t entries);
/* Use `memory` (pid_index_bytes(entries), zeroed) for the table. */
void pid_index_init(struct pid_index *index, void *memory, uint32_t entries);
/* Record that pid (> 0, not already in it) is in slot. */
void pid_index_put(struct pid_index *index, pid_t pid, uint32_t slot);
/* The slot of pid, or -1. */
int64_t pid_index_find(const struct pid_index *index, pid_t pid);
/* Forget pid (nothing when it is not in it). */
void pid_index_remove(struct pid_index *index, pid_t pid);

#endif
