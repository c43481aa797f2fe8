/* unit.c: the check harness of prong's unit-level test binaries (see unit.h).
 *
 * What it does: the counters and the one way a failure is printed ("FAIL
 * where: what", then got and expected where there are values); the seed read
 * from the binary's environment variable; the run's end (exit status, and the
 * seed after a failure); exact-length copies; the xorshift64* generator; and
 * the driver that feeds a parser growing prefixes of its input, every byte or
 * split at random, and counts what its judge says of them.
 *
 * Contract: failures go to stderr, the failure summary to stdout (after the
 * binary's own summary line); set-up errors end the run with status 2, never
 * as a failed check. Built into every test binary by mk/sanitizer-suite.mk.
 *
 * Must not: stop at a failed check, or count a check twice or not at all. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

unsigned long unit_checks_passed;
unsigned long unit_failures;
uint64_t unit_seed;
const char *unit_scratch_dir;

static const char *run_label = "unit";
static const char *run_seed_variable = "the seed variable";

/* ------------------------------------------------------------------ the run */

/* Decimal, or hexadecimal after 0x: nothing else (no sign, no spaces, no octal). */
static bool parse_seed(const char *text, uint64_t *seed)
{
    int base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (!(text[0] >= '0' && text[0] <= '9') &&
        !(base == 16 && ((text[0] >= 'a' && text[0] <= 'f') || (text[0] >= 'A' && text[0] <= 'F'))))
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    *seed = (uint64_t)value;
    return true;
}

void unit_begin(const char *label, const char *seed_variable, uint64_t default_seed)
{
    run_label = label;
    run_seed_variable = seed_variable;
    unit_seed = default_seed;
    const char *seed_text = getenv(seed_variable);
    if (seed_text && *seed_text && !parse_seed(seed_text, &unit_seed))
        unit_die(NULL, "%s must be a decimal or 0x hexadecimal number, got '%s'", seed_variable,
                 seed_text);
}

int unit_end(void)
{
    if (unit_failures == 0)
        return 0;
    fflush(stderr);
    printf("%s: %lu of %lu checks FAILED (seed 0x%" PRIx64 "; set %s to vary it)\n", run_label,
           unit_failures, unit_checks_passed + unit_failures, unit_seed, run_seed_variable);
    return 1;
}

/* ------------------------------------------------------------------ reporting */

const char *unit_render(const char *data, size_t length, char *out, size_t out_size)
{
    size_t used = 0;
    if (out_size == 0)
        return out;
    if (!data) {
        snprintf(out, out_size, "(null)");
        return out;
    }
    for (size_t i = 0; i < length && i < UNIT_RENDER_LIMIT && used + 5u < out_size; i++) {
        unsigned char byte = (unsigned char)data[i];
        if (byte >= 0x20 && byte < 0x7f && byte != '\\')
            out[used++] = (char)byte;
        else
            used += (size_t)snprintf(out + used, out_size - used, "\\x%02x", byte);
    }
    if (length > UNIT_RENDER_LIMIT && used + 4u < out_size) {
        memcpy(out + used, "...", 3u);
        used += 3u;
    }
    out[used < out_size ? used : out_size - 1u] = '\0';
    return out;
}

/* "FAIL where: " or "FAIL file:line: ", then the caller's description. */
__attribute__((format(printf, 3, 0))) static void report_failure(const char *where, int line,
                                                                 const char *format,
                                                                 va_list arguments)
{
    if (line > 0)
        fprintf(stderr, "FAIL %s:%d: ", where, line);
    else
        fprintf(stderr, "FAIL %s: ", where);
    vfprintf(stderr, format, arguments);
}

static bool record(bool passed)
{
    if (passed)
        unit_checks_passed++;
    else
        unit_failures++;
    return passed;
}

void unit_pass(unsigned long checks)
{
    unit_checks_passed += checks;
}

bool unit_vfail(const char *where, const char *format, va_list arguments)
{
    report_failure(where, 0, format, arguments);
    fputc('\n', stderr);
    return record(false);
}

bool unit_fail(const char *where, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    unit_vfail(where, format, arguments);
    va_end(arguments);
    return false;
}

bool unit_check(bool passed, const char *file, int line, const char *format, ...)
{
    if (!passed) {
        va_list arguments;
        va_start(arguments, format);
        report_failure(file, line, format, arguments);
        va_end(arguments);
        fputc('\n', stderr);
    }
    return record(passed);
}

bool unit_check_bytes(const char *got, size_t got_length, const char *expected,
                      size_t expected_length, const char *file, int line, const char *format, ...)
{
    bool passed = got && expected && got_length == expected_length &&
                  (got_length == 0 || memcmp(got, expected, got_length) == 0);
    if (!passed) {
        char got_text[UNIT_RENDER_SIZE], expected_text[UNIT_RENDER_SIZE];
        size_t first_difference = 0;
        while (got && expected && first_difference < got_length &&
               first_difference < expected_length &&
               got[first_difference] == expected[first_difference])
            first_difference++;
        va_list arguments;
        va_start(arguments, format);
        report_failure(file, line, format, arguments);
        va_end(arguments);
        fprintf(stderr,
                "\n    got      (%zu bytes) \"%s\"\n    expected (%zu bytes) \"%s\"\n    first "
                "difference at byte %zu\n",
                got_length, unit_render(got, got_length, got_text, sizeof got_text),
                expected_length,
                unit_render(expected, expected_length, expected_text, sizeof expected_text),
                first_difference);
    }
    return record(passed);
}

bool unit_check_string(const char *got, const char *expected, const char *file, int line,
                       const char *format, ...)
{
    bool passed = got && expected && strcmp(got, expected) == 0;
    if (!passed) {
        char got_text[UNIT_RENDER_SIZE], expected_text[UNIT_RENDER_SIZE];
        va_list arguments;
        va_start(arguments, format);
        report_failure(file, line, format, arguments);
        va_end(arguments);
        fprintf(stderr, "\n    got      \"%s\"\n    expected \"%s\"\n",
                unit_render(got, got ? strlen(got) : 0, got_text, sizeof got_text),
                unit_render(expected, expected ? strlen(expected) : 0, expected_text,
                            sizeof expected_text));
    }
    return record(passed);
}

/* values: "got G, expected E" as the caller printed them (read only on failure). */
__attribute__((format(printf, 5, 0))) static bool check_number(bool passed, const char *file,
                                                               int line, const char *values,
                                                               const char *format,
                                                               va_list arguments)
{
    if (!passed) {
        report_failure(file, line, format, arguments);
        fprintf(stderr, ": %s\n", values);
    }
    return record(passed);
}

bool unit_check_int(int64_t got, int64_t expected, const char *file, int line, const char *format,
                    ...)
{
    char values[96] = "";
    if (got != expected)
        snprintf(values, sizeof values, "got %" PRId64 ", expected %" PRId64, got, expected);
    va_list arguments;
    va_start(arguments, format);
    bool passed = check_number(got == expected, file, line, values, format, arguments);
    va_end(arguments);
    return passed;
}

bool unit_check_uint(uint64_t got, uint64_t expected, const char *file, int line,
                     const char *format, ...)
{
    char values[128] = "";
    if (got != expected)
        snprintf(values, sizeof values,
                 "got %" PRIu64 " (0x%" PRIx64 "), expected %" PRIu64 " (0x%" PRIx64 ")", got, got,
                 expected, expected);
    va_list arguments;
    va_start(arguments, format);
    bool passed = check_number(got == expected, file, line, values, format, arguments);
    va_end(arguments);
    return passed;
}

/* ------------------------------------------------------------------ set-up errors */

void unit_vdie(const char *where, const char *format, va_list arguments)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", program_invocation_short_name);
    if (where)
        fprintf(stderr, "%s: ", where);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    exit(2);
}

void unit_die(const char *where, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    unit_vdie(where, format, arguments);
}

void *unit_reallocate(void *pointer, size_t size)
{
    void *grown = realloc(pointer, size ? size : 1u);
    if (!grown)
        unit_die(NULL, "out of memory (%zu bytes)", size);
    return grown;
}

void *unit_exact_copy(const void *data, size_t length)
{
    void *copy = unit_reallocate(NULL, length);
    if (length)
        memcpy(copy, data, length);
    return copy;
}

char *unit_string_copy(const char *text, size_t length)
{
    char *copy = unit_reallocate(NULL, length + 1);
    if (length)
        memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

/* ------------------------------------------------------------------ random numbers */

uint64_t unit_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t unit_random_state(uint64_t salt)
{
    uint64_t state = (unit_seed ^ salt) * 0x9e3779b97f4a7c15ull;
    return state ? state : 0x9e3779b97f4a7c15ull;
}

uint64_t unit_random_below(uint64_t *state, uint64_t bound)
{
    return bound ? (unit_random(state) >> 11) % bound : 0;
}

/* ------------------------------------------------------------------ feeding a parser in pieces */

/* One prefix through the judge: an agreement is a passed check, a disagreement
 * a failed one; a judge still waiting at the whole length is a failure too. */
static enum unit_judgement judge_prefix(const struct unit_feed *feed, size_t prefix,
                                        const struct unit_delivery *delivery)
{
    char why[512] = "";
    enum unit_judgement judgement = feed->judge(feed->context, prefix, delivery, why, sizeof why);
    if (judgement == UNIT_WAITING && prefix == feed->length) {
        snprintf(why, sizeof why, "still waiting for bytes at the whole length");
        judgement = UNIT_DISAGREES;
    }
    if (judgement == UNIT_AGREES) {
        record(true);
    } else if (judgement == UNIT_DISAGREES) {
        char where[768];
        snprintf(where, sizeof where, "%s [%s]", feed->where, delivery->name);
        unit_fail(where, "prefix of %zu/%zu bytes: %s", prefix, feed->length, why);
    }
    return judgement;
}

bool unit_feed_byte_by_byte(const struct unit_feed *feed, size_t first, bool until_decided)
{
    const struct unit_delivery delivery = {"byte by byte", true};
    for (size_t prefix = first; prefix <= feed->length; prefix++) {
        enum unit_judgement judgement = judge_prefix(feed, prefix, &delivery);
        if (judgement == UNIT_DISAGREES)
            return false;
        if (judgement == UNIT_AGREES && until_decided)
            return true;
    }
    return true;
}

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* 1 to most cut points in [1, length), sorted (two may coincide); returns how many. */
static size_t draw_cuts(uint64_t *random, size_t length, size_t most, size_t *cuts)
{
    if (most > length - 1u)
        most = length - 1u;
    size_t count = 1u + (size_t)unit_random_below(random, most);
    for (size_t i = 0; i < count; i++)
        cuts[i] = 1u + (size_t)unit_random_below(random, length - 1u);
    qsort(cuts, count, sizeof cuts[0], compare_sizes);
    return count;
}

bool unit_feed_random_splits(const struct unit_feed *feed, uint64_t *random, unsigned splits,
                             size_t max_cuts)
{
    if (feed->length < 2u || max_cuts == 0)
        return true;
    for (unsigned split = 1; split <= splits; split++) {
        size_t cuts[UNIT_MAX_CUTS];
        size_t count = draw_cuts(random, feed->length,
                                 max_cuts < UNIT_MAX_CUTS ? max_cuts : UNIT_MAX_CUTS, cuts);
        char name[256];
        int used = snprintf(name, sizeof name, "random split %u of %u, cuts", split, splits);
        for (size_t i = 0; i < count && used > 0 && (size_t)used < sizeof name - 24u; i++)
            used += snprintf(name + used, sizeof name - (size_t)used, " %zu", cuts[i]);
        const struct unit_delivery delivery = {name, false};
        for (size_t i = 0; i <= count; i++) {
            enum unit_judgement judgement =
                judge_prefix(feed, i < count ? cuts[i] : feed->length, &delivery);
            if (judgement == UNIT_DISAGREES)
                return false;
            if (judgement == UNIT_AGREES)
                break;
        }
    }
    return true;
}
