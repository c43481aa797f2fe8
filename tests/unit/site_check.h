/* site_check.h: the check harness of test_site, the unit tests of what an
 * administrator sets (--header, --cache-control, --error-page, the redirect's
 * Location, listings' sizes and order, --listen shorthands, --user UID:GID, and
 * the response-head budget those rely on).
 *
 * What it does: CHECK counts a passed check or prints one line (file:line and
 * what differed) and counts a failure; CHECK_STR compares two strings and shows
 * control bytes as \xHH. The suites are the test_site_*() functions below, run
 * in order by test_site_main.c. It is its own small harness (test_static.c has
 * one too) so these suites do not depend on tests/unit/unit.h while that one is
 * reworked; the conventions are the same.
 *
 * Contract: a CHECK never stops the run; expected values are written by hand
 * or computed by a reference model in the test, never by the code under test.
 * Every text handed to a module is a heap copy of exactly its length
 * (site_copy), so AddressSanitizer reports any read past it.
 * Must not: hide a failure, or write files outside site_scratch. */
#ifndef PRONG_TESTS_SITE_CHECK_H
#define PRONG_TESTS_SITE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern unsigned long site_passed, site_failed;
extern const char *site_scratch; /* an empty directory of this run */

__attribute__((format(printf, 4, 5))) bool site_check(bool passed, const char *file, int line,
                                                      const char *format, ...);
__attribute__((format(printf, 5, 6))) bool site_check_string(const char *got, const char *expected,
                                                             const char *file, int line,
                                                             const char *format, ...);

#define CHECK(passed, ...) site_check((passed), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STR(got, expected, ...) \
    site_check_string((got), (expected), __FILE__, __LINE__, __VA_ARGS__)

/* A NUL-terminated heap copy of text (length bytes, then the NUL). */
char *site_copy(const char *text, size_t length);

/* xorshift64*, reproducible: the same sequence every run. */
uint64_t site_random(uint64_t *state);

void test_site_headers(void);
void test_site_error_pages(void);
void test_site_redirect(void);
void test_site_listing(void);
void test_site_listen(void);
void test_site_user(void);
void test_site_budget(void);

#endif
