/* prefault.h: map a new connection process's working pages in a few calls
 * instead of one page fault each.
 *
 * Contract: prefault_note_image() runs once at start-up, before any jail step,
 * and records the read-only segments of prong's own image (code and constants;
 * not the segment of ELF headers and relocations, used only at start-up).
 * prefault_child() runs first thing in a connection process: one
 * MADV_POPULATE_READ per read-only segment and one MADV_POPULATE_WRITE per
 * writable range it is given (the stack it is about to use, its connection
 * state, its scoreboard slot). Why: fork copies no page-table entries of the
 * file-backed code, and every first write to an inherited page is a
 * copy-on-write fault; on a virtual machine each fault is an exit to the
 * hypervisor (docs/architecture.md, "Per-connection cost").
 * Must not: change what any page holds or who may map it: populating only
 * makes present what the process would fault in anyway. A kernel without
 * MADV_POPULATE_* (before Linux 5.14) answers EINVAL and the pages then fault in
 * one by one, as before; nothing depends on it. */
#ifndef PRONG_PREFAULT_H
#define PRONG_PREFAULT_H

#include <stddef.h>

struct prefault_range {
    void *start;
    size_t length;
};

void prefault_note_image(void);

/* 0, or -1 with errno from the first call the kernel refused. */
int prefault_child(const struct prefault_range *writable, size_t count);

#endif
