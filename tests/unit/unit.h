/* unit.h: the one check harness of prong's unit-level test binaries (test_unit,
 * test_static, test_proxy_protocol, test_parser).
 *
 * What it does: counts checks that passed and reports each one that failed in
 * one precise line (where, what was checked, the value got and the value
 * expected, control bytes shown as \xHH); reads the base seed of every random
 * sequence from an environment variable; ends the run with the exit status and,
 * after a failure, the seed that reproduces it. It also holds what the suites
 * share: exact-length heap copies, a seeded generator, and the driver that feeds
 * a parser its input byte by byte and split at random.
 *
 * Contract: a binary calls unit_begin() first and returns unit_end() last,
 * printing its own summary line in between. A check never stops the run (every
 * failure is reported); values expected by a test are written by hand or
 * computed by an independent reference (the C library, a model in the test),
 * never by the module under test. Random sequences are reproducible: the seed
 * is fixed unless the binary's variable (UNIT_TEST_SEED, PARSER_TEST_SEED) is
 * set, and unit_end() prints it with every failure summary.
 *
 * Must not: hide a failure (unit_end() returns 0 only when nothing failed),
 * count a check that did not run, or write files (the suites that need files
 * write them under unit_scratch_dir only). */
#ifndef PRONG_TESTS_UNIT_H
#define PRONG_TESTS_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ the run */

extern unsigned long unit_checks_passed;
extern unsigned long unit_failures;
extern uint64_t unit_seed;           /* base seed of every random sequence */
extern const char *unit_scratch_dir; /* test_unit only: a directory for temporary files */

/* The seed of test_unit, test_static and test_proxy_protocol when UNIT_TEST_SEED is unset. */
#define UNIT_DEFAULT_SEED 0x5eed2026u

/* label prefixes the failure summary ("unit", "parser"); seed_variable names
 * the environment variable (decimal or 0x hexadecimal) that replaces
 * default_seed. A seed that is not a number ends the run with status 2. */
void unit_begin(const char *label, const char *seed_variable, uint64_t default_seed);

/* The exit status: 0 when every check passed; otherwise 1, after the line
 * "LABEL: F of N checks FAILED (seed S; set VARIABLE to vary it)" on stdout. */
int unit_end(void);

/* ------------------------------------------------------------------ checks */

/* Counts checks that passed as a group (a suite that verified them at once). */
void unit_pass(unsigned long checks);

/* Counts one failed check and prints "FAIL where: message"; returns false.
 * For failures located by something other than a source line (a line of a case
 * file, a seed file, a case by name). */
__attribute__((format(printf, 2, 3))) bool unit_fail(const char *where, const char *format, ...);
__attribute__((format(printf, 2, 0))) bool unit_vfail(const char *where, const char *format,
                                                      va_list arguments);

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

/* Each takes a printf format and its arguments describing what was checked,
 * and evaluates to whether the check passed. */
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

/* ------------------------------------------------------------------ set-up errors */

/* A test that cannot run (usage, an unreadable or malformed input file, no
 * memory) is not a failed check: "PROGRAM: where: message", exit status 2.
 * where may be NULL. */
__attribute__((format(printf, 2, 3), noreturn)) void unit_die(const char *where, const char *format,
                                                              ...);
__attribute__((format(printf, 2, 0), noreturn)) void unit_vdie(const char *where,
                                                               const char *format,
                                                               va_list arguments);

/* realloc() that ends the run (unit_die) rather than return NULL. */
void *unit_reallocate(void *pointer, size_t size);

/* A heap copy of exactly length bytes (no NUL after them), so AddressSanitizer
 * reports any read at or past length; free it with free(). */
void *unit_exact_copy(const void *data, size_t length);

/* The same for a module that takes a C string: length bytes, then a NUL, and
 * nothing after it; free it with free(). */
char *unit_string_copy(const char *text, size_t length);

/* ------------------------------------------------------------------ rendering */

#define UNIT_RENDER_LIMIT 200u /* input bytes shown; longer input ends in "..." */
#define UNIT_RENDER_SIZE (4u * UNIT_RENDER_LIMIT + 8u)

/* "a\x0a" style rendering of bytes for messages, into out (UNIT_RENDER_SIZE
 * bytes hold any input); "(null)" for NULL data. Returns out. */
const char *unit_render(const char *data, size_t length, char *out, size_t out_size);

/* ------------------------------------------------------------------ random numbers */

/* xorshift64*: reproducible pseudo-random numbers; *state must not be 0. */
uint64_t unit_random(uint64_t *state);
/* A generator state derived from unit_seed and a suite-specific constant. */
uint64_t unit_random_state(uint64_t salt);
/* Uniform-enough value in [0, bound) for the small bounds the tests use. */
uint64_t unit_random_below(uint64_t *state, uint64_t bound);

/* ------------------------------------------------------------------ feeding a parser in pieces
 *
 * For a parser that is called again on the whole, growing buffer each time a
 * read adds bytes (the request-head parser, the PROXY header parser): the
 * input is fed as growing prefixes, and the suite's judge says of each one
 * whether the parser still waits for bytes, or agrees or disagrees with its
 * answer to the whole input. An agreement counts as a passed check; a
 * disagreement is reported as "FAIL where [delivery]: prefix of P/L bytes: why". */

enum unit_judgement { UNIT_WAITING, UNIT_AGREES, UNIT_DISAGREES };

struct unit_delivery {
    const char *name; /* "byte by byte", "random split 3 of 8, cuts 5 17" */
    bool every_byte;  /* every shorter prefix was fed too, one byte more each time */
};

/* Judges the parser's answer to the first prefix bytes of the input. It must
 * decide (not wait) at the whole length; on UNIT_DISAGREES it writes why. */
typedef enum unit_judgement (*unit_judge)(void *context, size_t prefix,
                                          const struct unit_delivery *delivery, char *why,
                                          size_t why_size);

struct unit_feed {
    const char *where; /* names the input in failure lines */
    size_t length;     /* of the whole input */
    unit_judge judge;
    void *context;
};

#define UNIT_MAX_CUTS 64u

/* Prefixes of first, first + 1, ... bytes up to the whole input. With
 * until_decided, stops at the first prefix the parser decides (one check);
 * otherwise judges every prefix, one check per decided one. Stops at a
 * disagreement; returns false after one. */
bool unit_feed_byte_by_byte(const struct unit_feed *feed, size_t first, bool until_decided);

/* splits random splits, each of 1 to max_cuts (at most UNIT_MAX_CUTS) cut
 * points drawn from *random: the prefixes that end at the sorted cuts, then
 * the whole input, up to the first one decided (one check per split). Inputs
 * shorter than 2 bytes cannot be split. Returns false after a disagreement. */
bool unit_feed_random_splits(const struct unit_feed *feed, uint64_t *random, unsigned splits,
                             size_t max_cuts);

#endif
