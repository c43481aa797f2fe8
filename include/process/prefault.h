/* prefault.h: map a new connection process's working pages in a few calls
 * instead of one page fault each.
 *
 * Contract: prefault_note_image() runs once at start-up, before any jail step,
 * and records what every connection process will touch at the same addresses:
 * the read-only segments of prong's own image (code and constants; not the
 * segment of ELF headers and relocations, used only at start-up), the vDSO's
 * code, and the statics declared PREFAULT_CHILD_WRITES. prefault_note_writable()
 * adds process-wide spans a connection process writes (its connection state).
 * prefault_child() runs first thing in a connection process: one
 * MADV_POPULATE_READ per read-only range and one MADV_POPULATE_WRITE per
 * writable one, those noted and those it is given (the stack it is about to
 * use, its scoreboard slot). Why: fork copies no page-table entries of
 * file-backed code, and every first write to an inherited page is a
 * copy-on-write fault; on a virtual machine each fault is an exit to the
 * hypervisor, here ~15-20 µs, where populating a page costs about a third of
 * that (docs/performance.md, "Decisions and the measurements behind them").
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

/* A static that every connection process writes (a cache, its log role): the
 * linker keeps them together, on a page of their own (src/child_writes.ld), and
 * the prefault populates it in one call. Each connection process copies the
 * pages it writes: their total stays under a page, one copy per connection
 * (test_prefault.c checks the span). */
#define PREFAULT_CHILD_WRITES __attribute__((section("prong_child_writes")))

/* A connection process's own large state (one per program): placed right after
 * the PREFAULT_CHILD_WRITES statics (src/child_writes.ld), so its first bytes
 * share their page instead of starting a page of their own. Not part of their
 * span: the prefault populates only what prefault_note_writable() says of it. */
#define PREFAULT_CHILD_STATE __attribute__((section("prong_child_state")))

/* Code a new connection process runs before its pages are populated (from
 * fork's return to the madvise calls): kept together in one section, which GNU
 * ld's default script places among the .text.hot sections, so it faults in as
 * one or two windows of pages (where they fall depends on the load address),
 * not one fault for each file it comes from. */
#define PREFAULT_CHILD_START_CODE __attribute__((section(".text.hot.prong_child_start")))

void prefault_note_image(void);

/* 0, or -1 when the table of noted spans is full. */
int prefault_note_writable(void *start, size_t length);

/* 0, or -1 with errno from the first call the kernel refused. */
int prefault_child(const struct prefault_range *writable, size_t count);

#endif
