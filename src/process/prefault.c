/* prefault.c: populate a new connection process's pages in a few madvise calls.
 *
 * The read-only segments of the image come from its own program headers,
 * found through __ehdr_start (the linker's symbol for the ELF header, which a
 * PIE maps at its load address); the vDSO's from the ELF header the kernel
 * names in the auxiliary vector (AT_SYSINFO_EHDR, getauxval(3)); the statics
 * marked PREFAULT_CHILD_WRITES lie between the linker's __start_ and __stop_
 * symbols for their section. Every range is rounded out to whole pages, as
 * madvise requires. See prefault.h for why and what it must not do. */
#include "process/prefault.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#define READ_RANGES_MAX 8
#define WRITE_RANGES_MAX 4

extern char __ehdr_start[]; /* the first byte of the image: its ELF header */
extern char __start_prong_child_writes[], __stop_prong_child_writes[];

/* Keeps the section (and so the symbols above) in every link, even one in
 * which no other static is marked. */
__attribute__((used)) static PREFAULT_CHILD_WRITES char child_writes_anchor;

static struct prefault_range read_ranges[READ_RANGES_MAX];
static size_t read_range_count;
static struct prefault_range write_ranges[WRITE_RANGES_MAX];
static size_t write_range_count;
static size_t page_size =
    4096; /* getpagesize() at start-up: a child calling it would fault in its code */

/* The loadable read-only segments of the ELF image whose header is at base,
 * but not the one holding the header itself: the headers, symbols and
 * relocations in it are read only at start-up, and populating it could cost a
 * page-table page of its own. A segment's address is base plus its p_vaddr
 * (both prong, a PIE, and the vDSO are linked at 0). */
static void note_read_only_segments(const char *base)
{
    const ElfW(Ehdr) *header = (const ElfW(Ehdr) *)(const void *)base;
    const ElfW(Phdr) *segments = (const ElfW(Phdr) *)(const void *)(base + header->e_phoff);
    for (size_t i = 0; i < header->e_phnum && read_range_count < READ_RANGES_MAX; i++)
        if (segments[i].p_type == PT_LOAD && !(segments[i].p_flags & PF_W) &&
            segments[i].p_offset != 0)
            read_ranges[read_range_count++] =
                (struct prefault_range){(char *)base + segments[i].p_vaddr, segments[i].p_memsz};
}

void prefault_note_image(void)
{
    page_size = (size_t)getpagesize();
    read_range_count = 0;
    note_read_only_segments(__ehdr_start);
    /* The vDSO is one segment, header included, its code in the page the
     * header starts: take the whole of it. The kernel hands over its address
     * as a number. */
    const char *vdso =
        (const char *)getauxval(AT_SYSINFO_EHDR); // NOLINT(performance-no-int-to-ptr)
    if (vdso && read_range_count < READ_RANGES_MAX) {
        const ElfW(Ehdr) *header = (const ElfW(Ehdr) *)(const void *)vdso;
        const ElfW(Phdr) *segments = (const ElfW(Phdr) *)(const void *)(vdso + header->e_phoff);
        for (size_t i = 0; i < header->e_phnum; i++)
            if (segments[i].p_type == PT_LOAD && segments[i].p_offset == 0) {
                read_ranges[read_range_count++] =
                    (struct prefault_range){(char *)vdso, segments[i].p_memsz};
                break;
            }
    }
    write_range_count = 0;
    /* Two linker symbols, not one object: measure the span as addresses. */
    uintptr_t section_start = (uintptr_t)__start_prong_child_writes,
              section_end = (uintptr_t)__stop_prong_child_writes;
    prefault_note_writable(__start_prong_child_writes, (size_t)(section_end - section_start));
}

int prefault_note_writable(void *start, size_t length)
{
    if (write_range_count == WRITE_RANGES_MAX)
        return -1;
    write_ranges[write_range_count++] = (struct prefault_range){start, length};
    return 0;
}

/* madvise wants a page-aligned start: round the range out to whole pages. */
PREFAULT_CHILD_START_CODE static int populate(const struct prefault_range *range, int advice)
{
    char *start = range->start;
    size_t before = (uintptr_t)start & (page_size - 1);
    size_t length = (before + range->length + page_size - 1) & ~(page_size - 1);
    return range->length == 0 ? 0 : madvise(start - before, length, advice);
}

PREFAULT_CHILD_START_CODE static void populate_all(const struct prefault_range *ranges,
                                                   size_t count, int advice, int *first_errno)
{
    for (size_t i = 0; i < count; i++)
        if (populate(&ranges[i], advice) != 0 && *first_errno == 0)
            *first_errno = errno;
}

PREFAULT_CHILD_START_CODE int prefault_child(const struct prefault_range *writable, size_t count)
{
    int first_errno = 0;
    populate_all(read_ranges, read_range_count, MADV_POPULATE_READ, &first_errno);
    populate_all(write_ranges, write_range_count, MADV_POPULATE_WRITE, &first_errno);
    populate_all(writable, count, MADV_POPULATE_WRITE, &first_errno);
    errno = first_errno;
    return first_errno == 0 ? 0 : -1;
}
