/* unit_main.c: runs every unit-test suite of the pure helpers and reports.
 *
 * What it does: runs the suites declared in unit.h in order, prints one line per
 * suite with its check count, then the summary `unit: N checks passed`, or
 * `unit: F of N checks FAILED (seed S)` after the failure lines.
 *
 * Contract: usage `test_unit SCRATCH_DIR` (an existing directory for temporary
 * files, removed again by the suites that use it). UNIT_TEST_SEED=N (decimal
 * or 0x hex) varies the random sequences. Exit status 0 when every check
 * passed, 1 when one failed, 2 on a usage error.
 *
 * Must not: count a check that did not run, or stop at the first failure. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit.h"

#define DEFAULT_SEED 0x5eed2026u
#define RENDER_LIMIT 200u

unsigned long unit_checks_passed;
unsigned long unit_failures;
uint64_t unit_seed = DEFAULT_SEED;
const char *unit_scratch_dir;

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
    for (size_t i = 0; i < length && i < RENDER_LIMIT && used + 5u < out_size; i++) {
        unsigned char byte = (unsigned char)data[i];
        if (byte >= 0x20 && byte < 0x7f && byte != '\\')
            out[used++] = (char)byte;
        else
            used += (size_t)snprintf(out + used, out_size - used, "\\x%02x", byte);
    }
    if (length > RENDER_LIMIT && used + 4u < out_size) {
        memcpy(out + used, "...", 3u);
        used += 3u;
    }
    out[used < out_size ? used : out_size - 1u] = '\0';
    return out;
}

__attribute__((format(printf, 3, 0))) static void report_failure(const char *file, int line,
                                                                 const char *format,
                                                                 va_list arguments)
{
    fprintf(stderr, "FAIL %s:%d: ", file, line);
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
        char got_text[4 * RENDER_LIMIT + 8], expected_text[4 * RENDER_LIMIT + 8];
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
        char got_text[4 * RENDER_LIMIT + 8], expected_text[4 * RENDER_LIMIT + 8];
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

bool unit_check_int(int64_t got, int64_t expected, const char *file, int line, const char *format,
                    ...)
{
    bool passed = got == expected;
    if (!passed) {
        va_list arguments;
        va_start(arguments, format);
        report_failure(file, line, format, arguments);
        va_end(arguments);
        fprintf(stderr, ": got %" PRId64 ", expected %" PRId64 "\n", got, expected);
    }
    return record(passed);
}

bool unit_check_uint(uint64_t got, uint64_t expected, const char *file, int line,
                     const char *format, ...)
{
    bool passed = got == expected;
    if (!passed) {
        va_list arguments;
        va_start(arguments, format);
        report_failure(file, line, format, arguments);
        va_end(arguments);
        fprintf(stderr, ": got %" PRIu64 " (0x%" PRIx64 "), expected %" PRIu64 " (0x%" PRIx64 ")\n",
                got, got, expected, expected);
    }
    return record(passed);
}

/* ------------------------------------------------------------------ utilities */

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

char *unit_exact_copy(const char *data, size_t length)
{
    char *copy = malloc(length ? length : 1u);
    if (!copy) {
        fprintf(stderr, "test_unit: out of memory (%zu bytes)\n", length);
        exit(2);
    }
    if (length)
        memcpy(copy, data, length);
    return copy;
}

/* ------------------------------------------------------------------ main */

struct suite {
    const char *name;
    void (*run)(void);
};

static const struct suite SUITES[] = {
    {"http_date", test_http_date},     {"client_table", test_client_table},
    {"access_log", test_access_log},   {"proc_status", test_proc_status},
    {"config", test_config},           {"mime", test_mime},
    {"listener", test_listener},       {"response", test_response},
    {"rate_limit", test_rate_limit},   {"cidr", test_cidr},
    {"text_number", test_text_number}, {"posix_acl", test_posix_acl},
    {"prefault", test_prefault},       {"seam_tables", test_seam_tables},
    {"log_channel", test_log_channel},
};

int main(int argc, char **argv)
{
    struct stat scratch;
    if (argc != 2 || stat(argv[1], &scratch) != 0 || !S_ISDIR(scratch.st_mode)) {
        fprintf(stderr, "usage: test_unit SCRATCH_DIR (an existing directory)\n");
        return 2;
    }
    unit_scratch_dir = argv[1];
    const char *seed_text = getenv("UNIT_TEST_SEED");
    if (seed_text && *seed_text) {
        char *end = NULL;
        unit_seed = strtoull(seed_text, &end, 0);
        if (*end != '\0') {
            fprintf(stderr, "test_unit: UNIT_TEST_SEED must be a number, got '%s'\n", seed_text);
            return 2;
        }
    }
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++) {
        unsigned long passed_before = unit_checks_passed, failed_before = unit_failures;
        SUITES[i].run();
        fflush(stdout);
        printf("unit: %-12s %8lu checks%s\n", SUITES[i].name,
               unit_checks_passed - passed_before + unit_failures - failed_before,
               unit_failures > failed_before ? ", FAILED" : "");
    }
    unsigned long total = unit_checks_passed + unit_failures;
    if (unit_failures) {
        printf("unit: %lu of %lu checks FAILED (seed 0x%" PRIx64 ")\n", unit_failures, total,
               unit_seed);
        return 1;
    }
    printf("unit: %lu checks passed\n", total);
    return 0;
}
