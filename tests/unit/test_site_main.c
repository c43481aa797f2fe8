/* test_site_main.c: runs the test_site suites (site_check.h) and reports.
 *
 * Contract: usage `test_site SCRATCH_DIR` (an existing, empty directory the
 * suites may write in; mk/site-tests.mk makes it fresh and removes it). Prints
 * one line per suite with its check count, then `site: N checks passed`, or
 * `site: F of N checks FAILED`; exit 0 only when nothing failed, 2 on usage.
 * Must not: count a check that did not run, or stop at the first failure. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site_check.h"

unsigned long site_passed, site_failed;
const char *site_scratch;

bool site_check(bool passed, const char *file, int line, const char *format, ...)
{
    if (passed) {
        site_passed++;
        return true;
    }
    site_failed++;
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    return false;
}

static void show(FILE *out, const char *text)
{
    if (!text) {
        fputs("(null)", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            fputc(*p, out);
        else
            fprintf(out, "\\x%02x", *p);
    fputc('"', out);
}

bool site_check_string(const char *got, const char *expected, const char *file, int line,
                       const char *format, ...)
{
    bool passed = got && expected ? strcmp(got, expected) == 0 : got == expected;
    if (passed) {
        site_passed++;
        return true;
    }
    site_failed++;
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, format, arguments);
    fputs(": got ", stderr);
    show(stderr, got);
    fputs(", expected ", stderr);
    show(stderr, expected);
    fputc('\n', stderr);
    va_end(arguments);
    return false;
}

char *site_copy(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (!copy) {
        fputs("test_site: out of memory\n", stderr);
        exit(2);
    }
    memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

uint64_t site_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: test_site SCRATCH_DIR\n", stderr);
        return 2;
    }
    site_scratch = argv[1];
    static const struct {
        const char *name;
        void (*run)(void);
    } SUITES[] = {
        {"headers", test_site_headers},   {"error_pages", test_site_error_pages},
        {"redirect", test_site_redirect}, {"listing", test_site_listing},
        {"listen", test_site_listen},     {"user", test_site_user},
        {"budget", test_site_budget},
    };
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++) {
        unsigned long before = site_passed + site_failed;
        SUITES[i].run();
        printf("site: %-12s %8lu checks\n", SUITES[i].name, site_passed + site_failed - before);
    }
    if (site_failed) {
        printf("site: %lu of %lu checks FAILED\n", site_failed, site_passed + site_failed);
        return 1;
    }
    printf("site: %lu checks passed\n", site_passed);
    return 0;
}
