/* unit.h: the check harness shared by the unit tests of prong's pure helpers.
 *
 * What it does: CHECK* macros count a passed check, or print one precise line
 * (file:line, what was checked, the value got and the value expected, with
 * control bytes shown as \xHH) and count a failure; the suites are the
 * test_*() functions below, run in order by unit_main.c.
 *
 * Contract: a CHECK never stops the run (every failure is reported); values
 * expected by a test are written by hand or computed by an independent
 * reference (the C library, a model in the test), never by the module under
 * test. Random sequences are reproducible: unit_seed is fixed unless
 * UNIT_TEST_SEED is set, and it is printed with every failure summary.
 *
 * Must not: hide a failure (exit status 0 only when nothing failed), or write
 * files anywhere but unit_scratch_dir. */
#ifndef PRONG_TESTS_UNIT_H
#define PRONG_TESTS_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern unsigned long unit_checks_passed;
extern unsigned long unit_failures;
extern uint64_t unit_seed;           /* base seed of every random sequence */
extern const char *unit_scratch_dir; /* an existing directory for temporary files */

__attribute__((format(printf, 4, 5))) bool unit_check(bool passed, const char *file, int line,
                                                      const char *format, ...);
__attribute__((format(printf, 5, 6))) bool unit_check_string(const char *got, const char *expected,
                                                             const char *file, int line,
                                                             const char *format, ...);
__attribute__((format(printf, 7, 8))) bool unit_check_bytes(const char *got, size_t got_length,
                                                            const char *expected,
                                                            size_t expected_length,
                                                            const char *file, int line,
                                                            const char *format, ...);
__attribute__((format(printf, 5, 6))) bool unit_check_int(int64_t got, int64_t expected,
                                                          const char *file, int line,
                                                          const char *format, ...);
__attribute__((format(printf, 5, 6))) bool unit_check_uint(uint64_t got, uint64_t expected,
                                                           const char *file, int line,
                                                           const char *format, ...);

/* Each takes a printf format and its arguments describing what was checked. */
#define CHECK(passed, ...) unit_check((passed), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STR(got, expected, ...) \
    unit_check_string((got), (expected), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_BYTES(got, got_length, expected, expected_length, ...)                         \
    unit_check_bytes((got), (got_length), (expected), (expected_length), __FILE__, __LINE__, \
                     __VA_ARGS__)
#define CHECK_INT(got, expected, ...) \
    unit_check_int((int64_t)(got), (int64_t)(expected), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_UINT(got, expected, ...) \
    unit_check_uint((uint64_t)(got), (uint64_t)(expected), __FILE__, __LINE__, __VA_ARGS__)

#define LITERAL(text) (text), (sizeof(text) - 1u)

/* xorshift64*: reproducible pseudo-random numbers; *state must not be 0. */
uint64_t unit_random(uint64_t *state);
/* A generator state derived from unit_seed and a suite-specific constant. */
uint64_t unit_random_state(uint64_t salt);
/* Uniform-enough value in [0, bound) for the small bounds the tests use. */
uint64_t unit_random_below(uint64_t *state, uint64_t bound);

/* A heap copy of exactly length bytes (no NUL after them), so AddressSanitizer
 * reports any read at or past length; free it with free(). */
char *unit_exact_copy(const char *data, size_t length);

/* "a\x0a" style rendering of bytes for messages (at most 200 bytes shown). */
const char *unit_render(const char *data, size_t length, char *out, size_t out_size);

/* The suites, one per module. */
void test_http_date(void);
void test_client_table(void);
void test_access_log(void);
void test_proc_status(void);
void test_config(void);
void test_mime(void);
void test_listener(void);
void test_response(void);
void test_rate_limit(void);
void test_cidr(void);
void test_text_number(void);
void test_posix_acl(void);
void test_prefault(void);
void test_seam_tables(void);
void test_log_channel(void);

#endif
