/* test_prefault.c: unit tests of src/process/prefault.c (include/process/prefault.h).
 *
 * What it does: forks a child, as the supervisor forks a connection process,
 * and reads the child's own page tables (/proc/self/pagemap, bit 63: present,
 * bit 56: mapped by this process alone) before and after prefault_child():
 * every page of this binary's read-only segments and of the vDSO must be
 * present afterwards; every page of the spans noted at start-up, of the
 * statics marked PREFAULT_CHILD_WRITES and of the range the child passes must
 * be its own (written: the copy-on-write copy made). The positive controls run
 * first in the same child: before the call some read-only page is absent (fork
 * copies no entries of file-backed code) and the written spans are still
 * shared with the parent, so a prefault that did nothing fails. The ranges
 * expected are found independently of prefault.c: dl_iterate_phdr(3) for the
 * image and the vDSO, the linker's __start_/__stop_ symbols for the section.
 * The section must lie on one page that it starts (src/child_writes.ld, linked
 * here as in the server). Then the table of noted spans must refuse a span once full. On a kernel
 * without MADV_POPULATE_* (before 5.14) it checks the documented fallback
 * instead: -1 with EINVAL, and nothing else changed.
 *
 * Contract: the child is made with _Fork, as the supervisor makes them (fork's
 * own resets would write pages beside the section under test), and the unit
 * binary is linked with -z now (lazy binding would write the GOT beside it);
 * the child reports counts through a pipe and exits; the checks run in the
 * parent. Must not: leave the child unreaped. */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/prefault.h"
#include "unit.h"
#include "unit_suites.h"

#define PAGE_PRESENT (UINT64_C(1) << 63)
#define PAGE_EXCLUSIVE (UINT64_C(1) << 56)

extern char __start_prong_child_writes[], __stop_prong_child_writes[];

static _Alignas(4096) char noted_span[2 * 4096]; /* noted at "start-up", written by the parent */
__attribute__((used)) static volatile PREFAULT_CHILD_WRITES long child_written =
    1; /* as a log role is */

struct page_counts {
    unsigned long pages, present, exclusive;
};

struct child_report {
    int pagemap_errno;
    struct page_counts image_before, image_after, vdso_before, vdso_after;
    struct page_counts noted_before, noted_after, section_before, section_after, given_after;
    int prefault_result, prefault_errno;
};

struct read_only_ranges {
    uintptr_t start[16], end[16];
    size_t count;
    uintptr_t vdso_start, vdso_end;
};

static void count_pages(int pagemap_fd, uintptr_t start, uintptr_t end, struct page_counts *counts)
{
    uintptr_t page = (uintptr_t)getpagesize();
    for (uintptr_t address = start & ~(page - 1); address < end; address += page) {
        uint64_t entry = 0;
        counts->pages++;
        if (pread(pagemap_fd, &entry, sizeof entry, (off_t)(address / page * sizeof entry)) !=
            (ssize_t)sizeof entry)
            continue;
        counts->present += (entry & PAGE_PRESENT) != 0;
        counts->exclusive += (entry & PAGE_PRESENT) && (entry & PAGE_EXCLUSIVE);
    }
}

/* The main program's read-only loadable segments other than the one holding
 * its ELF header (as prefault.h says), and the vDSO's whole segment. */
static int note_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct read_only_ranges *ranges = data;
    bool main_program = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
    bool vdso = info->dlpi_name && strstr(info->dlpi_name, "vdso") != NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (segment->p_type != PT_LOAD)
            continue;
        if (main_program && !(segment->p_flags & PF_W) && segment->p_offset != 0 &&
            ranges->count < 16) {
            ranges->start[ranges->count] = start;
            ranges->end[ranges->count++] = start + segment->p_memsz;
        }
        if (vdso && segment->p_offset == 0) {
            ranges->vdso_start = start;
            ranges->vdso_end = start + segment->p_memsz;
        }
    }
    return 0;
}

static void count_image(int pagemap_fd, const struct read_only_ranges *ranges,
                        struct page_counts *counts)
{
    for (size_t i = 0; i < ranges->count; i++)
        count_pages(pagemap_fd, ranges->start[i], ranges->end[i], counts);
}

static void run_child(int report_fd, const struct read_only_ranges *ranges)
{
    struct child_report report = {0};
    char given[3 * 4096];
    uintptr_t section_start = (uintptr_t)__start_prong_child_writes,
              section_end = (uintptr_t)__stop_prong_child_writes;
    int pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    uintptr_t noted_start = (uintptr_t)noted_span, noted_end = noted_start + sizeof noted_span;
    report.pagemap_errno = pagemap_fd < 0 ? errno : 0;
    if (pagemap_fd >= 0) {
        count_image(pagemap_fd, ranges, &report.image_before);
        count_pages(pagemap_fd, ranges->vdso_start, ranges->vdso_end, &report.vdso_before);
        count_pages(pagemap_fd, noted_start, noted_end, &report.noted_before);
        count_pages(pagemap_fd, section_start, section_end, &report.section_before);
        struct prefault_range writable[1] = {{given, sizeof given}};
        report.prefault_result = prefault_child(writable, 1);
        report.prefault_errno = errno;
        count_image(pagemap_fd, ranges, &report.image_after);
        count_pages(pagemap_fd, ranges->vdso_start, ranges->vdso_end, &report.vdso_after);
        count_pages(pagemap_fd, noted_start, noted_end, &report.noted_after);
        count_pages(pagemap_fd, section_start, section_end, &report.section_after);
        count_pages(pagemap_fd, (uintptr_t)given, (uintptr_t)given + sizeof given,
                    &report.given_after);
    }
    _exit(write(report_fd, &report, sizeof report) == (ssize_t)sizeof report ? 0 : 1);
}

/* Whether this kernel knows MADV_POPULATE_READ (Linux 5.14): asked of a page of our own. */
static bool kernel_populates(void)
{
    static _Alignas(4096) char probe[4096];
    return madvise(probe, sizeof probe, MADV_POPULATE_READ) == 0 || errno != EINVAL;
}

static void check_populated_in_child(void)
{
    struct read_only_ranges ranges = {0};
    dl_iterate_phdr(note_object, &ranges);
    CHECK(ranges.count > 0, "the main program has read-only segments besides its headers");
    CHECK(ranges.vdso_end > ranges.vdso_start, "the vDSO is found");
    memset(noted_span, 0x5a, sizeof noted_span); /* ours, so a fork shares it copy-on-write */
    child_written = 2;
    prefault_note_image();
    CHECK_INT(prefault_note_writable(noted_span, sizeof noted_span), 0,
              "noting a span at start-up");
    int report_pipe[2];
    if (!CHECK(pipe(report_pipe) == 0, "pipe for the child's report"))
        return;
    pid_t child = _Fork();
    if (child == 0) {
        close(report_pipe[0]);
        run_child(report_pipe[1], &ranges);
    }
    close(report_pipe[1]);
    struct child_report report = {0};
    ssize_t got = child > 0 ? read(report_pipe[0], &report, sizeof report) : -1;
    close(report_pipe[0]);
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0,
          "the child ran and was reaped");
    if (!CHECK_INT(got, (ssize_t)sizeof report, "the child's report") ||
        !CHECK_INT(report.pagemap_errno, 0, "the child reads its own pagemap"))
        return;
    /* The documented fallback: refused, and the pages fault in as before. */
    if (!kernel_populates()) {
        printf("unit: prefault: this kernel has no MADV_POPULATE_* (before Linux 5.14): checked "
               "the fallback only\n");
        CHECK(report.prefault_result == -1 && report.prefault_errno == EINVAL,
              "without MADV_POPULATE_*: -1 with EINVAL (got %d, errno %d)", report.prefault_result,
              report.prefault_errno);
        return;
    }
    CHECK_INT(report.prefault_result, 0, "prefault_child succeeds (errno %d)",
              report.prefault_errno);
    /* Positive controls: what the prefault is for was not done by fork. */
    CHECK(report.image_before.present < report.image_before.pages,
          "before: some read-only page is absent in a fresh child (%lu of %lu present)",
          report.image_before.present, report.image_before.pages);
    CHECK(report.vdso_before.present < report.vdso_before.pages,
          "before: the vDSO is not all present in a fresh child (%lu of %lu)",
          report.vdso_before.present, report.vdso_before.pages);
    CHECK(report.noted_before.exclusive == 0 &&
              report.noted_before.present == report.noted_before.pages,
          "before: the noted span is still shared with the parent (%lu of %lu own)",
          report.noted_before.exclusive, report.noted_before.pages);
    CHECK(report.section_before.exclusive < report.section_before.pages,
          "before: the PREFAULT_CHILD_WRITES page is still shared (%lu of %lu own)",
          report.section_before.exclusive, report.section_before.pages);
    /* The contract. */
    CHECK_UINT(report.image_after.present, report.image_after.pages,
               "after: every read-only page of the image present");
    CHECK(report.vdso_after.pages > 0 && report.vdso_after.present == report.vdso_after.pages,
          "after: every vDSO page present (%lu of %lu)", report.vdso_after.present,
          report.vdso_after.pages);
    CHECK_UINT(report.noted_after.exclusive, report.noted_after.pages,
               "after: the noted span is the child's own");
    CHECK(report.section_after.pages > 0 &&
              report.section_after.exclusive == report.section_after.pages,
          "after: the PREFAULT_CHILD_WRITES pages are the child's own (%lu of %lu)",
          report.section_after.exclusive, report.section_after.pages);
    CHECK_UINT(report.given_after.exclusive, report.given_after.pages,
               "after: the range passed in is the child's own");
}

/* src/child_writes.ld: the marked statics start a page and end on it, so a
 * connection process copies one page for all of them. */
static void check_one_page(void)
{
    uintptr_t page = (uintptr_t)getpagesize();
    uintptr_t start = (uintptr_t)__start_prong_child_writes,
              end = (uintptr_t)__stop_prong_child_writes;
    CHECK(start % page == 0, "the PREFAULT_CHILD_WRITES section starts a page (at %#lx)",
          (unsigned long)start);
    CHECK(end > start && end - start <= page,
          "the PREFAULT_CHILD_WRITES section fits that page (%lu bytes)",
          (unsigned long)(end - start));
}

static void check_table_limit(void)
{
    static _Alignas(4096) char spare[4096];
    int refused = 0, accepted_after_refusal = 0;
    for (int i = 0; i < 16; i++) {
        if (prefault_note_writable(spare, sizeof spare) != 0)
            refused++;
        else if (refused > 0)
            accepted_after_refusal++;
    }
    CHECK(refused > 0 && accepted_after_refusal == 0,
          "a full table refuses every further span (refused %d of 16, then accepted %d)", refused,
          accepted_after_refusal);
    prefault_note_image(); /* leaves the table as start-up would */
}

void test_prefault(void)
{
    check_populated_in_child();
    check_one_page();
    check_table_limit();
}
