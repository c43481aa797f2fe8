/* prefault.c: populate a new connection process's pages in a few madvise calls.
 *
 * The read-only segments of the image come from its own program headers,
 * found through __ehdr_start (the linker's symbol for the ELF header, which a
 * PIE maps at its load address); every range is rounded out to whole pages,
 * as madvise requires. See prefault.h for why and what it must not do. */
#include "prefault.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define IMAGE_SEGMENTS_MAX 8

extern char __ehdr_start[]; /* the first byte of the image: its ELF header */

static struct prefault_range image_segments[IMAGE_SEGMENTS_MAX];
static size_t image_segment_count;

void prefault_note_image(void)
{
    const ElfW(Ehdr) *header = (const ElfW(Ehdr) *)(const void *)__ehdr_start;
    const ElfW(Phdr) *segments = (const ElfW(Phdr) *)(const void *)(__ehdr_start + header->e_phoff);
    image_segment_count = 0;
    /* Read-only segments, but not the one holding the ELF header itself: the
     * headers, symbols and relocations in it are read only at start-up, and
     * populating it could cost a page-table page of its own. */
    for (size_t i = 0; i < header->e_phnum && image_segment_count < IMAGE_SEGMENTS_MAX; i++)
        if (segments[i].p_type == PT_LOAD && !(segments[i].p_flags & PF_W) && segments[i].p_offset != 0)
            image_segments[image_segment_count++] =
                (struct prefault_range){__ehdr_start + segments[i].p_vaddr, segments[i].p_memsz};
}

/* madvise wants a page-aligned start: round the range out to whole pages. */
static int populate(const struct prefault_range *range, int advice)
{
    size_t page = (size_t)getpagesize();
    char *start = range->start;
    size_t before = (uintptr_t)start & (page - 1);
    size_t length = (before + range->length + page - 1) & ~(page - 1);
    return range->length == 0 ? 0 : madvise(start - before, length, advice);
}

int prefault_child(const struct prefault_range *writable, size_t count)
{
    int first_errno = 0;
    for (size_t i = 0; i < image_segment_count; i++)
        if (populate(&image_segments[i], MADV_POPULATE_READ) != 0 && first_errno == 0)
            first_errno = errno;
    for (size_t i = 0; i < count; i++)
        if (populate(&writable[i], MADV_POPULATE_WRITE) != 0 && first_errno == 0)
            first_errno = errno;
    errno = first_errno;
    return first_errno == 0 ? 0 : -1;
}
