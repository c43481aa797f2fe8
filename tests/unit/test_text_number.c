/* test_text_number.c: unit tests of src/http/text_number.c (include/http/text_number.h).
 *
 * What it does: checks decimal, hexadecimal and zero-padded digits against
 * snprintf, the independent reference, at the edges (0, each power of the base
 * and one below it, UINT64_MAX) and for random values of every magnitude; each
 * output is written into a buffer of exactly the promised size, so
 * AddressSanitizer reports any byte written past it, and the byte after the
 * returned count is checked untouched.
 * Contract: only include/http/text_number.h is used. Must not: depend on the locale. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/text_number.h"
#include "unit.h"
#include "unit_suites.h"

enum form { DECIMAL, HEX, PADDED };

static void check_one(enum form form, uint64_t value, size_t width)
{
    char expected[64];
    size_t capacity = form == DECIMAL ? NUMBER_DECIMAL_MAX : form == HEX ? NUMBER_HEX_MAX : width;
    char *out = malloc(capacity + 1); /* one guard byte after the promised size */
    if (!CHECK(out != NULL, "malloc"))
        return;
    memset(out, '#', capacity + 1);
    size_t count = 0;
    switch (form) {
    case DECIMAL:
        snprintf(expected, sizeof expected, "%" PRIu64, value);
        count = number_decimal(value, out);
        break;
    case HEX:
        snprintf(expected, sizeof expected, "%" PRIx64, value);
        count = number_hex(value, out);
        break;
    case PADDED: {
        uint64_t modulus = 1;
        for (size_t i = 0; i < width; i++)
            modulus = modulus > UINT64_MAX / 10 ? 0 : modulus * 10;
        snprintf(expected, sizeof expected, "%0*" PRIu64, (int)width,
                 modulus == 0 ? value : value % modulus);
        count = number_padded(value, width, out);
        break;
    }
    }
    CHECK_BYTES(out, count, expected, strlen(expected), "form %d of %" PRIu64 " (width %zu)",
                (int)form, value, width);
    if (count < capacity + 1)
        CHECK(out[count] == '#', "form %d of %" PRIu64 ": nothing written after the digits",
              (int)form, value);
    free(out);
}

void test_text_number(void)
{
    static const uint64_t EDGES[] = {0,
                                     1,
                                     9,
                                     10,
                                     15,
                                     16,
                                     99,
                                     100,
                                     255,
                                     256,
                                     999,
                                     1000,
                                     1994,
                                     9999,
                                     10000,
                                     UINT32_MAX,
                                     (uint64_t)UINT32_MAX + 1,
                                     999999999999999999u,
                                     1000000000000000000u,
                                     9999999999999999999u,
                                     10000000000000000000u,
                                     UINT64_MAX - 1,
                                     UINT64_MAX};
    for (size_t i = 0; i < sizeof EDGES / sizeof EDGES[0]; i++) {
        check_one(DECIMAL, EDGES[i], 0);
        check_one(HEX, EDGES[i], 0);
        for (size_t width = 1; width <= NUMBER_DECIMAL_MAX; width++)
            check_one(PADDED, EDGES[i], width);
    }
    uint64_t state = unit_random_state(0x7e47);
    for (int i = 0; i < 20000; i++) {
        uint64_t value = unit_random(&state) >> unit_random_below(&state, 64); /* every magnitude */
        check_one(DECIMAL, value, 0);
        check_one(HEX, value, 0);
        check_one(PADDED, value, 1 + (size_t)unit_random_below(&state, NUMBER_DECIMAL_MAX));
    }
}
