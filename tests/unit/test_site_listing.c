/* test_site_listing.c: unit tests of listing.c's sizes and order (--autoindex).
 *
 * What it does: listing_format_size and listing_format_exact on written cases
 * at every unit's edges (rounding half up, 9.9 to 10, 1023.95 KiB to 1.0 MiB,
 * the largest 64-bit size); listing_compare_names on written pairs (code point
 * order: "Z" < "a" < "z" < "Ñ" < "日"; invalid UTF-8 after every character:
 * overlong forms, surrogates, past U+10FFFF, truncated sequences, stray
 * continuation bytes) and on 20,000 pairs of random valid UTF-8 names against a
 * model (decode with an encoder written here, compare code points), which for
 * valid UTF-8 must also be byte order; listing_sort with directories first; and
 * the rendered HTML ("1.2 KiB (1,234)", "12 B") and JSON ("size" kept,
 * "size_human" added after it).
 * Must not: touch the file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "unit_suites.h"
#include "static/listing.h"

static void expect_size(uint64_t bytes, const char *human, const char *exact)
{
    char out[LISTING_SIZE_TEXT_MAX];
    size_t length = listing_format_size(bytes, out);
    CHECK(length == strlen(out), "listing_format_size(%llu) length", (unsigned long long)bytes);
    CHECK_STR(out, human, "listing_format_size(%llu)", (unsigned long long)bytes);
    length = listing_format_exact(bytes, out);
    CHECK(length == strlen(out), "listing_format_exact(%llu) length", (unsigned long long)bytes);
    CHECK_STR(out, exact, "listing_format_exact(%llu)", (unsigned long long)bytes);
}

static void test_sizes(void)
{
    expect_size(0, "0 B", "0");
    expect_size(1, "1 B", "1");
    expect_size(999, "999 B", "999");
    expect_size(1000, "1000 B", "1,000");
    expect_size(1023, "1023 B", "1,023");
    expect_size(1024, "1.0 KiB", "1,024");
    expect_size(1075, "1.0 KiB", "1,075"); /* 1.0498 */
    expect_size(1076, "1.1 KiB", "1,076"); /* 1.0508: half up */
    expect_size(1234, "1.2 KiB", "1,234");
    expect_size(10188, "9.9 KiB", "10,188"); /* 9.9492 */
    expect_size(10189, "10 KiB", "10,189");  /* 9.9502 rounds to 10.0: whole units */
    expect_size(10240, "10 KiB", "10,240");
    expect_size(10751, "10 KiB", "10,751"); /* 10.4990 */
    expect_size(10752, "11 KiB", "10,752"); /* 10.5 */
    expect_size(1048063, "1023 KiB", "1,048,063");
    expect_size(1048064, "1.0 MiB", "1,048,064"); /* 1023.5 KiB rounds to 1024 */
    expect_size(1048576, "1.0 MiB", "1,048,576");
    expect_size(5368709120ull, "5.0 GiB", "5,368,709,120");
    expect_size(1ull << 40, "1.0 TiB", "1,099,511,627,776");
    expect_size(1ull << 50, "1.0 PiB", "1,125,899,906,842,624");
    expect_size(1ull << 60, "1.0 EiB", "1,152,921,504,606,846,976");
    expect_size(UINT64_MAX, "16 EiB", "18,446,744,073,709,551,615");
}

/* ---------------------------------------------------------------- order */

static int sign(int value)
{
    return value < 0 ? -1 : value > 0 ? 1 : 0;
}

static void expect_before(const char *a, const char *b)
{
    char *x = unit_string_copy(a, strlen(a)), *y = unit_string_copy(b, strlen(b));
    CHECK(sign(listing_compare_names(x, strlen(a), y, strlen(b))) == -1, "'%s' sorts before '%s'",
          a, b);
    CHECK(sign(listing_compare_names(y, strlen(b), x, strlen(a))) == 1, "'%s' sorts after '%s'", b,
          a);
    CHECK(listing_compare_names(x, strlen(a), x, strlen(a)) == 0, "'%s' equals itself", a);
    free(x);
    free(y);
}

/* UTF-8 of one code point (RFC 3629), written here as the reference. */
static size_t encode(uint32_t code_point, unsigned char *out)
{
    if (code_point < 0x80) {
        out[0] = (unsigned char)code_point;
        return 1;
    }
    if (code_point < 0x800) {
        out[0] = (unsigned char)(0xc0 | code_point >> 6);
        out[1] = (unsigned char)(0x80 | (code_point & 0x3f));
        return 2;
    }
    if (code_point < 0x10000) {
        out[0] = (unsigned char)(0xe0 | code_point >> 12);
        out[1] = (unsigned char)(0x80 | (code_point >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (code_point & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | code_point >> 18);
    out[1] = (unsigned char)(0x80 | (code_point >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (code_point >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (code_point & 0x3f));
    return 4;
}

static uint32_t random_code_point(uint64_t *state)
{
    static const uint32_t RANGES[][2] = {{0x20, 0x7e},     {0x80, 0x7ff},       {0x800, 0xd7ff},
                                         {0xe000, 0xfffd}, {0x10000, 0x10ffff}, {0x61, 0x63}};
    const uint32_t *range = RANGES[unit_random(state) % 6];
    return range[0] + (uint32_t)(unit_random(state) % (range[1] - range[0] + 1));
}

static void test_order(void)
{
    expect_before("Z", "a");
    expect_before("a", "ab");
    expect_before("a", "b");
    expect_before("z", "\xc3\x91");                    /* z < Ñ (U+00D1) */
    expect_before("\xc3\x91", "\xc3\xb1");             /* Ñ < ñ */
    expect_before("\xc3\xb1", "\xe6\x97\xa5");         /* ñ < 日 */
    expect_before("\xef\xbf\xbd", "\xf0\x9f\x98\x80"); /* U+FFFD < U+1F600 */
    expect_before("\xf4\x8f\xbf\xbf", "\x80");         /* U+10FFFF < a stray continuation byte */
    /* Invalid bytes after every valid character, where byte order says otherwise. */
    expect_before("\xc3\xa9", "\x80");                     /* é (C3 A9) < 0x80 */
    expect_before("\xc3\xa9", "\xc0\x80");                 /* overlong NUL */
    expect_before("\xef\xbf\xbf", "\xed\xa0\x80");         /* a surrogate (U+D800) */
    expect_before("\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"); /* past U+10FFFF */
    expect_before("\xe6\x97\xa5", "\xe6\x97");             /* truncated at the end */
    expect_before("a\xe6\x97\xa5", "a\xe6\x97z");          /* truncated before an ASCII byte */
    expect_before("\xc2", "\xff");                         /* both invalid: by byte value */
    expect_before("ab", "a\xff");                          /* 'b' before an invalid byte */

    /* Random valid names: code point order (the model) and byte order agree. */
    uint64_t state = unit_random_state(0x243f6a8885a308d3ull);
    for (int round = 0; round < 20000; round++) {
        unsigned char a[64], b[64];
        uint32_t points_a[16], points_b[16];
        size_t count_a = unit_random(&state) % 6, count_b = unit_random(&state) % 6;
        size_t length_a = 0, length_b = 0;
        for (size_t i = 0; i < count_a; i++)
            length_a += encode(points_a[i] = random_code_point(&state), a + length_a);
        for (size_t i = 0; i < count_b; i++) {
            points_b[i] =
                i < count_a && unit_random(&state) % 2 ? points_a[i] : random_code_point(&state);
            length_b += encode(points_b[i], b + length_b);
        }
        int model = 0;
        for (size_t i = 0; model == 0 && i < count_a && i < count_b; i++)
            model = points_a[i] < points_b[i] ? -1 : points_a[i] > points_b[i] ? 1 : 0;
        if (model == 0)
            model = count_a < count_b ? -1 : count_a > count_b ? 1 : 0;
        size_t shorter = length_a < length_b ? length_a : length_b;
        int bytes = sign(memcmp(a, b, shorter));
        if (bytes == 0)
            bytes = length_a < length_b ? -1 : length_a > length_b ? 1 : 0;
        char *x = unit_string_copy((const char *)a, length_a),
             *y = unit_string_copy((const char *)b, length_b);
        int got = sign(listing_compare_names(x, length_a, y, length_b));
        CHECK(got == model && model == bytes, "random pair %d: got %d, code points %d, bytes %d",
              round, got, model, bytes);
        free(x);
        free(y);
    }
}

/* ---------------------------------------------------------------- sort and render */

static char *render(const struct listing *listing, enum listing_format format)
{
    size_t needed = listing_render(listing, format, NULL);
    char *out = unit_reallocate(NULL, needed + 1);
    size_t written = listing_render(listing, format, out);
    out[written] = '\0';
    CHECK(needed == written, "listing sized %zu, wrote %zu", needed, written);
    return out;
}

static void test_sort_and_render(void)
{
    struct listing_entry entries[] = {
        {"zeta.txt", 8, LISTING_FILE, 12, 0}, {"\xc3\x91u.txt", 7, LISTING_FILE, 1234, 0},
        {"bad\xff", 4, LISTING_FILE, 1, 0},   {"bad\xc3\xa9", 5, LISTING_FILE, 1, 0},
        {"Zdir", 4, LISTING_DIRECTORY, 0, 0}, {"\xc3\xa9t\xc3\xa9", 5, LISTING_DIRECTORY, 0, 0},
        {"adir", 4, LISTING_DIRECTORY, 0, 0}, {"Apple", 5, LISTING_FILE, 1048576, 0},
    };
    size_t count = sizeof entries / sizeof entries[0];
    listing_sort(entries, count);
    static const char *const ORDER[] = {"Zdir",     "adir",         "\xc3\xa9t\xc3\xa9",
                                        "Apple",    "bad\xc3\xa9",  "bad\xff",
                                        "zeta.txt", "\xc3\x91u.txt"};
    for (size_t i = 0; i < count; i++)
        CHECK(entries[i].name_length == strlen(ORDER[i]) &&
                  memcmp(entries[i].name, ORDER[i], strlen(ORDER[i])) == 0,
              "sorted entry %zu: '%.*s', expected '%s'", i, (int)entries[i].name_length,
              entries[i].name, ORDER[i]);
    struct listing listing = {"/d/", 3, entries, count, false, 10000};
    char *html = render(&listing, LISTING_HTML);
    CHECK(strstr(html, "<td class=\"size\">1.2 KiB (1,234)</td>") != NULL, "HTML: 1.2 KiB (1,234)");
    CHECK(strstr(html, "<td class=\"size\">12 B</td>") != NULL, "HTML: 12 B without a repeat");
    CHECK(strstr(html, "<td class=\"size\">1.0 MiB (1,048,576)</td>") != NULL, "HTML: 1.0 MiB");
    CHECK(strstr(html, "Zdir/</a></td><td class=\"size\">-</td>") != NULL,
          "HTML: a directory has no size");
    free(html);
    char *json = render(&listing, LISTING_JSON);
    CHECK(
        strstr(json, "\"type\":\"file\",\"size\":1234,\"size_human\":\"1.2 KiB\",\"modified\":") !=
            NULL,
        "JSON: size kept, size_human after it: %s", json);
    CHECK(strstr(json,
                 "\"name\":\"Zdir\",\"href\":\"./Zdir/\",\"type\":\"directory\",\"modified\"") !=
              NULL,
          "JSON: a directory has neither");
    free(json);
}

void test_site_listing(void)
{
    test_sizes();
    test_order();
    test_sort_and_render();
}
