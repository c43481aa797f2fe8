/* test_static.c: unit tests of the pure modules behind static files.
 *
 * What it does: checks byte_range.c (every Range form, overflow and huge
 * values, whitespace, invalid units and syntax, too many and overlapping
 * ranges, 64-bit lengths), field_list.c (qvalues, members, quoted commas),
 * negotiation.c (Accept-Encoding q-values, q=0, "*", identity, br over gzip;
 * whether any offer of siblings could be encoded, against every offer for
 * written and generated values; Accept json-vs-html preference), conditional.c
 * (entity-tag lists with strong and weak comparison, the precondition order of
 * RFC 9110 §13.2.2 on requests parsed by the real parser, If-Range, dates in
 * the three HTTP formats), and text_escape.c and listing.c (HTML, JSON and URI
 * escaping, UTF-8 validity, sorting, sizing equals writing). Expected values
 * are written out here, never taken from the code under test.
 *
 * Contract: no arguments; UNIT_TEST_SEED varies the generated Accept-Encoding
 * values. One line per failed check (file:line and what differed, through the
 * shared harness tests/unit/unit.h), then the summary "static: N passed, N
 * failed" and, after a failure, the seed; exit 0 only when nothing failed.
 * Built with ASan and UBSan without recovery (mk/static-tests.mk),
 * so an out-of-bounds read in any module fails the run. Every input handed to a
 * module is a heap copy of exactly its length.
 *
 * Must not: touch the file system or the network, or pass a check that never ran. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "static/byte_range.h"
#include "static/conditional.h"
#include "http/field_list.h"
#include "http/http_date.h"
#include "http/http_parser.h"
#include "static/listing.h"
#include "static/negotiation.h"
#include "http/text_escape.h"
#include "unit.h"

/* ------------------------------------------------------------------ ranges */

static const char *outcome_name(enum byte_range_outcome outcome)
{
    static const char *const NAMES[] = {"IGNORE", "WHOLE", "UNSATISFIABLE", "PARTIAL"};
    return NAMES[outcome];
}

/* expected: "first-last first-last …" for PARTIAL, else empty. */
static void expect_range(const char *value, uint64_t size, enum byte_range_outcome expected_outcome,
                         const char *expected_ranges, int line)
{
    size_t length = strlen(value);
    char *copy = unit_exact_copy(value, length);
    struct byte_range ranges[BYTE_RANGE_MAX];
    size_t count = 99;
    enum byte_range_outcome outcome = byte_range_parse(copy, length, size, ranges, &count);
    char got[1024] = "";
    size_t used = 0;
    for (size_t i = 0; outcome == BYTE_RANGE_PARTIAL && i < count && used < sizeof got - 64; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%llu-%llu", i ? " " : "",
                                 (unsigned long long)ranges[i].first,
                                 (unsigned long long)ranges[i].last);
    unit_check(outcome == expected_outcome &&
                   (outcome != BYTE_RANGE_PARTIAL || strcmp(got, expected_ranges) == 0) &&
                   (outcome == BYTE_RANGE_PARTIAL || count == 0),
               __FILE__, line, "Range '%.60s' size %llu: got %s [%s] count %zu, expected %s [%s]",
               value, (unsigned long long)size, outcome_name(outcome), got, count,
               outcome_name(expected_outcome), expected_ranges);
    free(copy);
}

#define RANGE(value, size, outcome, ranges) \
    expect_range(value, size, BYTE_RANGE_##outcome, ranges, __LINE__)

static void test_ranges(void)
{
    /* The three forms (RFC 9110 §14.1.2). */
    RANGE("bytes=0-99", 1000, PARTIAL, "0-99");
    RANGE("bytes=100-", 1000, PARTIAL, "100-999");
    RANGE("bytes=-100", 1000, PARTIAL, "900-999");
    RANGE("bytes=0-0", 1000, PARTIAL, "0-0");
    RANGE("bytes=999-999", 1000, PARTIAL, "999-999");
    /* Clamping and satisfiability. */
    RANGE("bytes=-2000", 1000, PARTIAL, "0-999");
    RANGE("bytes=500-5000", 1000, PARTIAL, "500-999");
    RANGE("bytes=1000-", 1000, UNSATISFIABLE, "");
    RANGE("bytes=1000-2000", 1000, UNSATISFIABLE, "");
    RANGE("bytes=-0", 1000, UNSATISFIABLE, "");
    RANGE("bytes=2000-3000,0-1", 1000, PARTIAL, "0-1");
    RANGE("bytes=2000-3000,-0", 1000, UNSATISFIABLE, "");
    /* Overflow: numbers saturate, never wrap. */
    RANGE("bytes=0-99999999999999999999999999", 1000, PARTIAL, "0-999");
    RANGE("bytes=99999999999999999999999999-", 1000, UNSATISFIABLE, "");
    RANGE("bytes=-99999999999999999999999999", 1000, PARTIAL, "0-999");
    RANGE("bytes=18446744073709551615-18446744073709551615", 1000, UNSATISFIABLE, "");
    RANGE("bytes=18446744073709551616-1", 1000, IGNORE, ""); /* saturated first > last */
    RANGE("bytes=99999999999999999999999999-99999999999999999999999998", 1000, UNSATISFIABLE, "");
    /* 64-bit lengths: a 5 GiB file. */
    RANGE("bytes=5368709020-", 5368709120ull, PARTIAL, "5368709020-5368709119");
    RANGE("bytes=-100", 5368709120ull, PARTIAL, "5368709020-5368709119");
    RANGE("bytes=4294967296-4294967305", 5368709120ull, PARTIAL, "4294967296-4294967305");
    /* Units: case-insensitive "bytes"; anything else is ignored. */
    RANGE("Bytes=0-1", 1000, PARTIAL, "0-1");
    RANGE("BYTES=0-1", 1000, PARTIAL, "0-1");
    RANGE("items=0-1", 1000, IGNORE, "");
    RANGE("bytes 0-1", 1000, IGNORE, "");
    RANGE("bytes:0-1", 1000, IGNORE, "");
    RANGE("bytesx=0-1", 1000, IGNORE, "");
    RANGE("byte=0-1", 1000, IGNORE, "");
    RANGE("", 1000, IGNORE, "");
    /* Invalid syntax: the whole field is ignored. */
    RANGE("bytes=", 1000, IGNORE, "");
    RANGE("bytes=,", 1000, IGNORE, "");
    RANGE("bytes=5-3", 1000, IGNORE, "");
    RANGE("bytes=0-1,5-3", 1000, IGNORE, "");
    RANGE("bytes=a-b", 1000, IGNORE, "");
    RANGE("bytes=-", 1000, IGNORE, "");
    RANGE("bytes=--1", 1000, IGNORE, "");
    RANGE("bytes=+1-2", 1000, IGNORE, "");
    RANGE("bytes=0x10-20", 1000, IGNORE, "");
    RANGE("bytes=1", 1000, IGNORE, "");
    RANGE("bytes=0-1;x", 1000, IGNORE, "");
    RANGE("bytes=0-1 2-3", 1000, IGNORE, "");
    /* Whitespace: allowed around list commas, not inside a range-spec. */
    RANGE("bytes=0-1 , 5-6", 1000, PARTIAL, "0-1 5-6");
    RANGE("bytes=0-1,\t5-6", 1000, PARTIAL, "0-1 5-6");
    RANGE("bytes=0-1,,5-6,", 1000, PARTIAL, "0-1 5-6");
    RANGE("bytes= 0-1", 1000, PARTIAL, "0-1");
    RANGE("bytes=0 -1", 1000, IGNORE, "");
    RANGE("bytes=0- 1", 1000, IGNORE, "");
    RANGE("bytes=- 1", 1000, IGNORE, "");
    /* Several ranges keep their order; overlapping ones mean the whole file. */
    RANGE("bytes=500-599,0-99", 1000, PARTIAL, "500-599 0-99");
    RANGE("bytes=0-9,10-19", 1000, PARTIAL, "0-9 10-19");
    RANGE("bytes=0-10,5-15", 1000, WHOLE, "");
    RANGE("bytes=0-0,0-0", 1000, WHOLE, "");
    RANGE("bytes=-1,999-", 1000, WHOLE, "");
    RANGE("bytes=0-,-500", 1000, WHOLE, "");
    RANGE("bytes=0-0,-1", 1, WHOLE, "");
    /* An empty representation: Range is ignored (RFC 9110 §14.2 allows it). */
    RANGE("bytes=0-1", 0, IGNORE, "");
    RANGE("bytes=-1", 0, IGNORE, "");
    /* The cap: 16 ranges are served, 17 mean the whole file. */
    char value[16384];
    size_t used = (size_t)snprintf(value, sizeof value, "bytes=");
    char expected[1024] = "";
    size_t expected_used = 0;
    for (int i = 0; i < BYTE_RANGE_MAX; i++) {
        used += (size_t)snprintf(value + used, sizeof value - used, "%s%d-%d", i ? "," : "", i * 10,
                                 i * 10 + 4);
        expected_used += (size_t)snprintf(expected + expected_used, sizeof expected - expected_used,
                                          "%s%d-%d", i ? " " : "", i * 10, i * 10 + 4);
    }
    expect_range(value, 1000, BYTE_RANGE_PARTIAL, expected, __LINE__);
    snprintf(value + used, sizeof value - used, ",900-901");
    expect_range(value, 1000, BYTE_RANGE_WHOLE, "", __LINE__);
    /* 1,000 ranges of one byte each: no amplification, the whole file once. */
    used = (size_t)snprintf(value, sizeof value, "bytes=");
    for (int i = 0; i < 1000; i++)
        used += (size_t)snprintf(value + used, sizeof value - used, "%s0-0", i ? "," : "");
    expect_range(value, 1000, BYTE_RANGE_WHOLE, "", __LINE__);
    /* A NULL value (no field). */
    size_t count = 7;
    struct byte_range ranges[BYTE_RANGE_MAX];
    CHECK(byte_range_parse(NULL, 0, 100, ranges, &count) == BYTE_RANGE_IGNORE && count == 0,
          "NULL Range value");
}

/* ------------------------------------------------------------------ lists and weights */

static void test_quality(void)
{
    static const struct {
        const char *text;
        int expected;
    } CASES[] = {
        {"1", 1000},   {"1.", 1000},   {"1.0", 1000}, {"1.000", 1000}, {"0", 0},
        {"0.", 0},     {"0.5", 500},   {"0.05", 50},  {"0.123", 123},  {"0.001", 1},
        {"1.001", -1}, {"0.1234", -1}, {"2", -1},     {"", -1},        {".5", -1},
        {"0,5", -1},   {"-0", -1},     {"0.5x", -1},  {"1.0000", -1},  {"01", -1},
        {"0.a", -1},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t length = strlen(CASES[i].text);
        char *copy = unit_exact_copy(CASES[i].text, length);
        int got = field_list_parse_quality(copy, length);
        CHECK(got == CASES[i].expected, "qvalue '%s': got %d, expected %d", CASES[i].text, got,
              CASES[i].expected);
        free(copy);
    }
}

/* Members of one list value as "word=q;word=q". */
static void expect_members(const char *value, const char *expected, int line)
{
    size_t length = strlen(value);
    char *copy = unit_exact_copy(value, length);
    struct list_cursor cursor = field_list_begin((struct http_span){copy, length});
    struct list_member member;
    char got[512] = "";
    size_t used = 0;
    while (field_list_next(&cursor, &member) && used < sizeof got - 80)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%.*s=%d", used ? ";" : "",
                                 (int)member.value.length, member.value.data, member.quality);
    unit_check(strcmp(got, expected) == 0, __FILE__, line,
               "members of '%s': got '%s', expected '%s'", value, got, expected);
    free(copy);
}

static void test_members(void)
{
    expect_members("gzip", "gzip=1000", __LINE__);
    expect_members("gzip;q=0.5, br", "gzip=500;br=1000", __LINE__);
    expect_members(" gzip ; q=0.5 ,\tbr ;Q=0 ", "gzip=500;br=0", __LINE__);
    expect_members(",, gzip,,", "gzip=1000", __LINE__);
    expect_members("text/html;level=1;q=0.7, */*;q=0.1", "text/html=700;*/*=100", __LINE__);
    expect_members("text/html;x=\"a,b;q=0\";q=0.3, b", "text/html=300;b=1000", __LINE__);
    expect_members("gzip;q=abc, br", "gzip=-1;br=1000", __LINE__);
    expect_members("gzip;q=, br", "gzip=-1;br=1000", __LINE__);
    expect_members("gzip;=1, br", "gzip=-1;br=1000", __LINE__);
    expect_members("gzip junk, br", "gzip=-1;br=1000", __LINE__);
    expect_members(";q=1, br", "=-1;br=1000", __LINE__);
    expect_members("", "", __LINE__);
}

/* ------------------------------------------------------------------ Accept-Encoding */

static void expect_coding(const char *const *values, size_t count, bool have_br, bool have_gzip,
                          enum content_coding expected, int line)
{
    struct http_span spans[8];
    char *copies[8];
    char joined[256] = "";
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(values[i]);
        copies[i] = unit_exact_copy(values[i], length);
        spans[i] = (struct http_span){copies[i], length};
        strncat(joined, values[i], sizeof joined - strlen(joined) - 4);
        strncat(joined, " | ", sizeof joined - strlen(joined) - 1);
    }
    enum content_coding got = negotiation_choose_coding(spans, count, have_br, have_gzip);
    const char *got_name = negotiation_coding_name(got),
               *expected_name = negotiation_coding_name(expected);
    unit_check(got == expected, __FILE__, line,
               "Accept-Encoding '%s' (br %d, gzip %d): got %s, expected %s", joined, have_br,
               have_gzip, got_name ? got_name : "identity",
               expected_name ? expected_name : "identity");
    for (size_t i = 0; i < count; i++)
        free(copies[i]);
}

#define CODING(value, br, gzip, expected)                                 \
    do {                                                                  \
        const char *const values_[] = {value};                            \
        expect_coding(values_, 1, br, gzip, CODING_##expected, __LINE__); \
    } while (0)

static void test_accept_encoding(void)
{
    expect_coding(NULL, 0, true, true, CODING_IDENTITY, __LINE__); /* no field: identity */
    CODING("", true, true, IDENTITY);
    CODING("gzip", true, true, GZIP);
    CODING("br", true, true, BR);
    CODING("gzip, br", true, true, BR); /* equal weights: br first */
    CODING("br, gzip", true, true, BR);
    CODING("gzip, deflate, br, zstd", true, true, BR); /* Chrome's value */
    CODING("br;q=0.5, gzip", true, true, GZIP);
    CODING("br;q=0.5, gzip;q=0.4", true, true, BR);
    CODING("gzip;q=0.5", true, true, GZIP); /* identity unnamed ranks last */
    CODING("gzip;q=0.5, identity", true, true, IDENTITY);
    CODING("gzip, identity", true, true, GZIP); /* equal: the encoded one */
    CODING("identity", true, true, IDENTITY);
    CODING("*", true, true, BR);
    CODING("*", false, true, GZIP);
    CODING("*;q=0", true, true, IDENTITY);
    CODING("*;q=0, gzip", true, true, GZIP);
    CODING("br;q=0, *", true, true, GZIP);
    CODING("br;q=0", true, true, IDENTITY);
    CODING("gzip;q=0", true, true, IDENTITY);
    CODING("br;q=0, gzip;q=0", true, true, IDENTITY);
    CODING("identity;q=0", false, false, IDENTITY);       /* nothing else: identity anyway */
    CODING("identity;q=0, br;q=0", true, true, IDENTITY); /* nothing acceptable: identity */
    CODING("identity;q=0, gzip;q=0.1", true, true, GZIP);
    CODING("br", false, true, IDENTITY); /* gzip not named, no "*" */
    CODING("gzip", true, false, IDENTITY);
    CODING("GZip", true, true, GZIP);
    CODING("x-gzip", false, true, GZIP);
    CODING("BR", true, false, BR);
    CODING("gzip;q=abc", true, true, IDENTITY); /* malformed weight: member ignored */
    CODING("gzip;q=2, br;q=0.1", true, true, BR);
    CODING("gzip;q=1.001", true, true, IDENTITY);
    CODING("gzip , br ; q=0.9", true, true, GZIP);
    CODING("gzip;q=0, gzip", true, true, IDENTITY); /* the first member naming gzip decides */
    CODING("compress, deflate", true, true, IDENTITY);
    const char *const two_fields[] = {"br;q=0", "gzip"};
    expect_coding(two_fields, 2, true, true, CODING_GZIP, __LINE__);
    const char *const two_fields_star[] = {"identity;q=0.1", "*"};
    expect_coding(two_fields_star, 2, true, true, CODING_BR, __LINE__);
}

/* negotiation_may_encode() must be false exactly when every offer of siblings
 * (none, br, gzip, both) gets identity: a false "no" would skip a sibling the
 * client should get, a false "yes" only costs two lookups. */
static bool some_offer_encodes(const struct http_span *value)
{
    bool encodes = false;
    for (int offer = 0; offer < 4; offer++)
        encodes |= negotiation_choose_coding(value, 1, offer & 1, offer & 2) != CODING_IDENTITY;
    return encodes;
}

/* expected: -1 to compare with every offer only. */
static void expect_may_encode(const char *value, int expected, int line)
{
    size_t length = strlen(value);
    char *copy = unit_exact_copy(value, length);
    struct http_span span = {copy, length};
    bool got = negotiation_may_encode(&span, 1), reference = some_offer_encodes(&span);
    unit_check(got == reference, __FILE__, line,
               "Accept-Encoding '%s': may_encode %d, some offer encodes %d", value, got, reference);
    if (expected >= 0)
        unit_check(got == (expected == 1), __FILE__, line,
                   "Accept-Encoding '%s': may_encode %d, expected %d", value, got, expected);
    free(copy);
}

static void test_may_encode(void)
{
    CHECK(!negotiation_may_encode(NULL, 0),
          "no Accept-Encoding field: identity, nothing to look for");
    expect_may_encode("", 0, __LINE__);
    expect_may_encode("gzip", 1, __LINE__);
    expect_may_encode("br", 1, __LINE__);
    expect_may_encode("x-gzip;q=0.1", 1, __LINE__);
    expect_may_encode("*", 1, __LINE__);
    expect_may_encode("identity", 0, __LINE__);
    expect_may_encode("deflate, compress, zstd", 0, __LINE__);
    expect_may_encode("*;q=0", 0, __LINE__);
    expect_may_encode("br;q=0, gzip;q=0", 0, __LINE__);
    expect_may_encode("gzip;q=0.5, identity", 0, __LINE__);
    expect_may_encode("br;q=0.4, gzip;q=0.5, identity;q=0.45", 1,
                      __LINE__); /* gzip beats identity */
    expect_may_encode("br;q=0.4, gzip;q=0.3, identity;q=0.45", 0, __LINE__);
    expect_may_encode("gzip;q=abc", 0, __LINE__);   /* malformed member ignored */
    expect_may_encode("identity;q=0", 0, __LINE__); /* nothing acceptable: identity anyway */
    /* Generated values: members and weights drawn from the cases above. */
    static const char *const codings[] = {"br", "gzip", "x-gzip", "identity", "*", "deflate", "BR"};
    static const char *const weights[] = {"",         ";q=0",    ";q=0.5", ";q=1",
                                          ";q=0.001", ";q=0.45", ";q=abc"};
    uint64_t state = unit_random_state(0xacce97);
    for (int round = 0; round < 20000; round++) {
        char value[160] = "";
        int members = 1 + (int)unit_random_below(&state, 4);
        for (int i = 0; i < members; i++) {
            if (i > 0)
                strcat(value, ", ");
            strcat(value, codings[unit_random_below(&state, 7)]);
            strcat(value, weights[unit_random_below(&state, 7)]);
        }
        expect_may_encode(value, -1, __LINE__);
    }
}

/* ------------------------------------------------------------------ Accept */

static void expect_json(const char *value, bool expected, int line)
{
    size_t length = value ? strlen(value) : 0;
    char *copy = value ? unit_exact_copy(value, length) : NULL;
    struct http_span span = {copy, length};
    bool got = negotiation_prefers_json(&span, value ? 1 : 0);
    unit_check(got == expected, __FILE__, line, "Accept '%s': got %s, expected %s",
               value ? value : "(none)", got ? "json" : "html", expected ? "json" : "html");
    free(copy);
}

static void test_accept(void)
{
    expect_json(NULL, false, __LINE__);
    expect_json("application/json", true, __LINE__);
    expect_json("APPLICATION/JSON", true, __LINE__);
    expect_json("text/html", false, __LINE__);
    expect_json("text/html, application/json", false, __LINE__); /* equal: HTML */
    expect_json("application/json, text/html", false, __LINE__);
    expect_json("application/json, text/html;q=0.9", true, __LINE__);
    expect_json("text/html;q=0.5, application/json;q=0.6", true, __LINE__);
    expect_json("*/*", false, __LINE__);
    expect_json("application/*", true, __LINE__);
    expect_json("text/*", false, __LINE__);
    expect_json("text/*;q=0.1, application/json;q=0.05", false, __LINE__);
    expect_json("application/json;q=0", false, __LINE__);
    expect_json("*/*;q=0.8, application/json", true, __LINE__);
    expect_json("application/json;q=0.5, */*", false, __LINE__); /* html through "any" at 1 */
    expect_json("application/json, */*;q=0.1", true, __LINE__);
    expect_json("application/json;q=abc, text/html;q=0.1", false, __LINE__);
    expect_json("application/jsonx", false, __LINE__);
    expect_json("application/json;charset=utf-8;q=0.9, text/html;q=0.8", true, __LINE__);
    /* Browsers ask for HTML. */
    expect_json(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        false, __LINE__);
}

/* ------------------------------------------------------------------ entity tags */

static void expect_etag_match(const char *value, const char *etag, enum etag_comparison comparison,
                              bool expected, int line)
{
    size_t length = strlen(value);
    char *copy = unit_exact_copy(value, length);
    struct http_span span = {copy, length};
    bool got = conditional_etag_list_matches(&span, 1, etag, comparison);
    unit_check(got == expected, __FILE__, line, "'%s' vs %s (%s): got %d, expected %d", value, etag,
               comparison == ETAG_STRONG ? "strong" : "weak", got, expected);
    free(copy);
}

static void test_etags(void)
{
    const char *tag = "\"6b07c3d6.1e00eae-18\"";
    char formatted[ETAG_SIZE];
    conditional_format_etag(0x6b07c3d6, 0x1e00eae, 0x18, CODING_IDENTITY, formatted);
    CHECK(strcmp(formatted, tag) == 0, "ETag format: got %s", formatted);
    conditional_format_etag(0x6b07c3d6, 0x1e00eae, 0x18, CODING_BR, formatted);
    CHECK(strcmp(formatted, "\"6b07c3d6.1e00eae-18-br\"") == 0, "ETag format br: got %s",
          formatted);
    conditional_format_etag(0x6b07c3d6, 0x1e00eae, 0x18, CODING_GZIP, formatted);
    CHECK(strcmp(formatted, "\"6b07c3d6.1e00eae-18-gzip\"") == 0, "ETag format gzip: got %s",
          formatted);
    conditional_format_etag(0x7fffffffffffll, 999999999, 5368709120ull, CODING_BR, formatted);
    CHECK(strcmp(formatted, "\"7fffffffffff.3b9ac9ff-140000000-br\"") == 0,
          "ETag format large: got %s", formatted);
    CHECK(strlen(formatted) < ETAG_SIZE, "ETag fits");

    expect_etag_match(tag, tag, ETAG_WEAK, true, __LINE__);
    expect_etag_match(tag, tag, ETAG_STRONG, true, __LINE__);
    expect_etag_match("W/\"6b07c3d6.1e00eae-18\"", tag, ETAG_WEAK, true, __LINE__);
    expect_etag_match("W/\"6b07c3d6.1e00eae-18\"", tag, ETAG_STRONG, false, __LINE__);
    expect_etag_match("\"other\", \"6b07c3d6.1e00eae-18\"", tag, ETAG_WEAK, true, __LINE__);
    expect_etag_match("\"other\",W/\"6b07c3d6.1e00eae-18\"", tag, ETAG_WEAK, true, __LINE__);
    expect_etag_match("\"other\" ,\t\"6b07c3d6.1e00eae-18\" ", tag, ETAG_STRONG, true, __LINE__);
    expect_etag_match(",,\"other\",,\"6b07c3d6.1e00eae-18\",", tag, ETAG_STRONG, true, __LINE__);
    expect_etag_match("\"other\"", tag, ETAG_WEAK, false, __LINE__);
    expect_etag_match("*", tag, ETAG_WEAK, true, __LINE__);
    expect_etag_match("*", tag, ETAG_STRONG, true, __LINE__);
    expect_etag_match(" * ", tag, ETAG_STRONG, true, __LINE__);
    expect_etag_match("*x", tag, ETAG_STRONG, false, __LINE__);
    expect_etag_match("6b07c3d6.1e00eae-18", tag, ETAG_WEAK, false, __LINE__);   /* unquoted */
    expect_etag_match("\"6b07c3d6.1e00eae-18", tag, ETAG_WEAK, false, __LINE__); /* unterminated */
    expect_etag_match("\"6b07c3d6.1e00eae-18\"junk", tag, ETAG_WEAK, false, __LINE__);
    expect_etag_match("w/\"6b07c3d6.1e00eae-18\"", tag, ETAG_WEAK, false,
                      __LINE__); /* W/ is case-sensitive */
    expect_etag_match("\"6B07C3D6.1E00EAE-18\"", tag, ETAG_WEAK, false,
                      __LINE__); /* opaque: exact bytes */
    expect_etag_match("\"6b07c3d6.1e00eae-18-br\"", tag, ETAG_WEAK, false, __LINE__);
    expect_etag_match("", tag, ETAG_WEAK, false, __LINE__);
    expect_etag_match("\"a b\", \"6b07c3d6.1e00eae-18\"", tag, ETAG_WEAK, true,
                      __LINE__); /* bad member skipped */
    expect_etag_match("\"\"", "\"\"", ETAG_STRONG, true, __LINE__);
    /* Several field lines form one list. */
    char *first = unit_exact_copy("\"a\"", 3),
         *second = unit_exact_copy("\"6b07c3d6.1e00eae-18\"", strlen(tag));
    struct http_span lines[2] = {{first, 3}, {second, strlen(tag)}};
    CHECK(conditional_etag_list_matches(lines, 2, tag, ETAG_STRONG), "two If-None-Match lines");
    free(first);
    free(second);
}

/* ------------------------------------------------------------------ preconditions */

#define MTIME 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define ETAG "\"2ebc4c21.0-64\""

static const char *result_name(enum precondition_result result)
{
    static const char *const NAMES[] = {"PASS", "NOT_MODIFIED", "FAILED"};
    return NAMES[result];
}

/* Parse "METHOD / HTTP/1.1" with the given field lines (each ending in \r\n). */
static struct http_request *parse(const char *method, const char *fields)
{
    static struct http_request request;
    char text[4096];
    int length = snprintf(text, sizeof text, "%s / HTTP/1.1\r\nHost: a\r\n%s\r\n", method, fields);
    static char *buffer; /* kept alive: the request's spans point into it */
    free(buffer);
    buffer = unit_exact_copy(text, (size_t)length);
    if (http_parse_request(buffer, (size_t)length, NULL, &request) != HTTP_PARSE_COMPLETE) {
        unit_die(NULL, "the parser refused %s", text);
    }
    return &request;
}

static void expect_precondition(const char *fields, enum precondition_result expected, int line)
{
    struct validators validators = {ETAG, MTIME};
    enum precondition_result got = conditional_evaluate(parse("GET", fields), &validators);
    unit_check(got == expected, __FILE__, line, "preconditions [%s]: got %s, expected %s", fields,
               result_name(got), result_name(expected));
}

#define PRECONDITION(fields, expected) \
    expect_precondition(fields, PRECONDITION_##expected, __LINE__)

static void test_preconditions(void)
{
    PRECONDITION("", PASS);
    /* If-None-Match (weak comparison) */
    PRECONDITION("If-None-Match: " ETAG "\r\n", NOT_MODIFIED);
    PRECONDITION("If-None-Match: W/" ETAG "\r\n", NOT_MODIFIED);
    PRECONDITION("If-None-Match: \"x\", " ETAG "\r\n", NOT_MODIFIED);
    PRECONDITION("If-None-Match: \"x\"\r\nIf-None-Match: " ETAG "\r\n", NOT_MODIFIED);
    PRECONDITION("If-None-Match: *\r\n", NOT_MODIFIED);
    PRECONDITION("If-None-Match: \"x\"\r\n", PASS);
    /* If-Modified-Since at, before and after the mtime, in the three formats. */
    PRECONDITION("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", NOT_MODIFIED);
    PRECONDITION("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n", NOT_MODIFIED);
    PRECONDITION("If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n", NOT_MODIFIED);
    PRECONDITION("If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", PASS);
    PRECONDITION("If-Modified-Since: Sunday, 06-Nov-94 08:49:36 GMT\r\n", PASS);
    PRECONDITION("If-Modified-Since: Sun Nov  6 08:49:36 1994\r\n", PASS);
    PRECONDITION("If-Modified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n", NOT_MODIFIED);
    PRECONDITION("If-Modified-Since: Sunday, 06-Nov-94 08:49:38 GMT\r\n", NOT_MODIFIED);
    PRECONDITION("If-Modified-Since: Sun Nov  6 08:49:38 1994\r\n", NOT_MODIFIED);
    /* An unparsable or repeated date is ignored. */
    PRECONDITION("If-Modified-Since: yesterday\r\n", PASS);
    PRECONDITION("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 UTC\r\n", PASS);
    PRECONDITION("If-Modified-Since: Mon, 06 Nov 1994 08:49:37 GMT\r\n", PASS); /* wrong weekday */
    PRECONDITION(
        "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Modified-Since: Sun, 06 Nov 1994 "
        "08:49:37 GMT\r\n",
        PASS);
    /* If-None-Match wins over If-Modified-Since (§13.2.2 step 4 only without it). */
    PRECONDITION("If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n",
                 PASS);
    PRECONDITION("If-None-Match: " ETAG "\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n",
                 NOT_MODIFIED);
    /* If-Match (strong comparison) */
    PRECONDITION("If-Match: " ETAG "\r\n", PASS);
    PRECONDITION("If-Match: *\r\n", PASS);
    PRECONDITION("If-Match: \"x\", " ETAG "\r\n", PASS);
    PRECONDITION("If-Match: \"x\"\r\n", FAILED);
    PRECONDITION("If-Match: W/" ETAG "\r\n", FAILED);
    /* If-Unmodified-Since */
    PRECONDITION("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", FAILED);
    PRECONDITION("If-Unmodified-Since: Sunday, 06-Nov-94 08:49:36 GMT\r\n", FAILED);
    PRECONDITION("If-Unmodified-Since: Sun Nov  6 08:49:36 1994\r\n", FAILED);
    PRECONDITION("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", PASS);
    PRECONDITION("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n", PASS);
    PRECONDITION("If-Unmodified-Since: garbage\r\n", PASS);
    /* If-Match present: If-Unmodified-Since is not evaluated (§13.1.4). */
    PRECONDITION("If-Match: " ETAG "\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n",
                 PASS);
    /* 412 comes before 304. */
    PRECONDITION("If-Match: \"x\"\r\nIf-None-Match: " ETAG "\r\n", FAILED);
    PRECONDITION("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\nIf-None-Match: *\r\n",
                 FAILED);
    PRECONDITION("If-Match: " ETAG "\r\nIf-None-Match: " ETAG "\r\n", NOT_MODIFIED);
}

static void expect_if_range(const char *fields, int64_t now, bool expected, int line)
{
    struct validators validators = {ETAG, MTIME};
    bool got = conditional_if_range_holds(parse("GET", fields), &validators, now);
    unit_check(got == expected, __FILE__, line, "If-Range [%s] now %lld: got %d, expected %d",
               fields, (long long)now, got, expected);
}

static void test_if_range(void)
{
    int64_t later = MTIME + 3600;
    expect_if_range("", later, true, __LINE__);
    expect_if_range("If-Range: " ETAG "\r\n", later, true, __LINE__);
    expect_if_range("If-Range: \"x\"\r\n", later, false, __LINE__);
    expect_if_range("If-Range: W/" ETAG "\r\n", later, false, __LINE__); /* weak never matches */
    expect_if_range("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", later, true, __LINE__);
    expect_if_range("If-Range: Sunday, 06-Nov-94 08:49:37 GMT\r\n", later, true, __LINE__);
    expect_if_range("If-Range: Sun Nov  6 08:49:37 1994\r\n", later, true, __LINE__);
    expect_if_range("If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n", later, false,
                    __LINE__); /* exact only */
    expect_if_range("If-Range: Sun, 06 Nov 1994 08:49:36 GMT\r\n", later, false, __LINE__);
    expect_if_range("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", MTIME, false,
                    __LINE__); /* weak date */
    expect_if_range("If-Range: garbage\r\n", later, false, __LINE__);
    expect_if_range("If-Range: " ETAG "\r\nIf-Range: " ETAG "\r\n", later, false, __LINE__);
    /* A date whose weekday starts with W is a date, not a weak entity tag. */
    struct validators wednesday = {ETAG, 1599645600}; /* Wed, 09 Sep 2020 10:00:00 GMT */
    static const char *const WEDNESDAY[] = {"If-Range: Wed, 09 Sep 2020 10:00:00 GMT\r\n",
                                            "If-Range: Wednesday, 09-Sep-20 10:00:00 GMT\r\n",
                                            "If-Range: Wed Sep  9 10:00:00 2020\r\n"};
    for (size_t i = 0; i < 3; i++)
        CHECK(conditional_if_range_holds(parse("GET", WEDNESDAY[i]), &wednesday, 1599645600 + 60),
              "If-Range with a Wednesday date: %s", WEDNESDAY[i]);
}

static void test_dates(void)
{
    static const char *const FORMS[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                        "Sunday, 06-Nov-94 08:49:37 GMT",
                                        "Sun Nov  6 08:49:37 1994"};
    for (size_t i = 0; i < 3; i++) {
        char *copy = unit_exact_copy(FORMS[i], strlen(FORMS[i]));
        int64_t got = http_date_parse(copy, strlen(FORMS[i]));
        CHECK(got == MTIME, "date '%s': got %lld", FORMS[i], (long long)got);
        free(copy);
    }
}

/* ------------------------------------------------------------------ escaping */

typedef size_t (*escape_function)(const char *, size_t, char *);

static void expect_escape(escape_function escape, const char *name, const char *input,
                          size_t length, const char *expected, int line)
{
    char *copy = unit_exact_copy(input, length);
    size_t needed = escape(copy, length, NULL);
    char *out = unit_reallocate(NULL, needed + 1);
    size_t written = escape(copy, length, out);
    out[written] = '\0';
    unit_check(needed == written && strcmp(out, expected) == 0, __FILE__, line,
               "%s: got '%s' (%zu, sized %zu), expected '%s'", name, out, written, needed,
               expected);
    free(out);
    free(copy);
}

#define HTML(input, expected) \
    expect_escape(escape_html, "html", input, sizeof input - 1, expected, __LINE__)
#define JSON(input, expected) \
    expect_escape(escape_json, "json", input, sizeof input - 1, expected, __LINE__)
#define URI(input, expected) \
    expect_escape(escape_uri_component, "uri", input, sizeof input - 1, expected, __LINE__)

static void test_escaping(void)
{
    HTML("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    HTML("a&b \"c\" 'd'", "a&amp;b &quot;c&quot; &#39;d&#39;");
    HTML("plain.txt", "plain.txt");
    HTML("", "");
    HTML("caf\xc3\xa9", "caf\xc3\xa9");           /* valid UTF-8 passes */
    HTML("\xf0\x9f\x90\xb1", "\xf0\x9f\x90\xb1"); /* four bytes */
    HTML("a\xff"
         "b",
         "a&#xfffd;b");                                           /* invalid byte */
    HTML("\xc0\xaf", "&#xfffd;&#xfffd;");                         /* overlong '/' */
    HTML("\xed\xa0\x80", "&#xfffd;&#xfffd;&#xfffd;");             /* surrogate */
    HTML("\xf4\x90\x80\x80", "&#xfffd;&#xfffd;&#xfffd;&#xfffd;"); /* above U+10FFFF */
    HTML("\xc3", "&#xfffd;");                                     /* truncated sequence */
    HTML("a\nb\x7f", "a&#xfffd;b&#xfffd;");                       /* control bytes */
    JSON("<script>\"x\"\\", "\\u003cscript\\u003e\\\"x\\\"\\\\");
    JSON("a\nb\x01\x7f", "a\\u000ab\\u0001\\u007f");
    JSON("caf\xc3\xa9 & co", "caf\xc3\xa9 \\u0026 co");
    JSON("\xff", "\\ufffd");
    JSON("", "");
    URI("a b/c?d#e", "a%20b%2Fc%3Fd%23e");
    URI("AZaz09-._~", "AZaz09-._~");
    URI("<script>", "%3Cscript%3E");
    URI("javascript:x", "javascript%3Ax");
    URI("\xc3\xa9\xff", "%C3%A9%FF");

    static const struct {
        const char *bytes;
        size_t available, expected;
    } UTF8[] = {
        {"a", 1, 1},
        {"\x7f", 1, 1},
        {"\xc2\x80", 2, 2},
        {"\xc1\xbf", 2, 0},
        {"\xdf\xbf", 2, 2},
        {"\xe0\xa0\x80", 3, 3},
        {"\xe0\x9f\xbf", 3, 0},
        {"\xed\x9f\xbf", 3, 3},
        {"\xed\xa0\x80", 3, 0},
        {"\xef\xbf\xbf", 3, 3},
        {"\xf0\x90\x80\x80", 4, 4},
        {"\xf0\x8f\xbf\xbf", 4, 0},
        {"\xf4\x8f\xbf\xbf", 4, 4},
        {"\xf4\x90\x80\x80", 4, 0},
        {"\xf5\x80\x80\x80", 4, 0},
        {"\x80", 1, 0},
        {"\xe2\x82", 2, 0},
        {"\xc3\xa9", 1, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof UTF8 / sizeof UTF8[0]; i++) {
        char *copy = unit_exact_copy(UTF8[i].bytes, UTF8[i].available);
        size_t got = utf8_valid_length((const unsigned char *)copy, UTF8[i].available);
        CHECK(got == UTF8[i].expected, "utf8 case %zu: got %zu, expected %zu", i, got,
              UTF8[i].expected);
        free(copy);
    }
}

/* ------------------------------------------------------------------ listings */

static char *render(const struct listing *listing, enum listing_format format)
{
    size_t needed = listing_render(listing, format, NULL);
    char *out = unit_reallocate(NULL, needed + 1);
    size_t written = listing_render(listing, format, out);
    out[written] = '\0';
    CHECK(needed == written, "listing sized %zu, wrote %zu", needed, written);
    return out;
}

static void test_listing(void)
{
    struct listing_entry entries[] = {
        {"zeta.txt", 8, LISTING_FILE, 10, MTIME},
        {"<script>alert(1)<", 17, LISTING_FILE, 0, MTIME},
        {"alpha", 5, LISTING_DIRECTORY, 0, MTIME},
        {"Beta.txt", 8, LISTING_FILE, 5368709120ull, MTIME},
        {"link", 4, LISTING_SYMLINK, 0, MTIME},
        {"\"q\" & 'a'", 9, LISTING_FILE, 1, MTIME},
        {"bad\xff", 4, LISTING_FILE, 1, MTIME},
        {"aa", 2, LISTING_DIRECTORY, 0, MTIME},
    };
    size_t count = sizeof entries / sizeof entries[0];
    listing_sort(entries, count);
    static const char *const ORDER[] = {"aa",       "alpha",   "\"q\" & 'a'", "<script>alert(1)<",
                                        "Beta.txt", "bad\xff", "link",        "zeta.txt"};
    for (size_t i = 0; i < count; i++)
        CHECK(entries[i].name_length == strlen(ORDER[i]) &&
                  memcmp(entries[i].name, ORDER[i], strlen(ORDER[i])) == 0,
              "sorted entry %zu: got '%.*s', expected '%s'", i, (int)entries[i].name_length,
              entries[i].name, ORDER[i]);
    struct listing listing = {"/d<i>r/", 7, entries, count, false, 10000};
    char *html = render(&listing, LISTING_HTML);
    CHECK(strstr(html, "<script") == NULL, "HTML listing contains a raw <script");
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;") != NULL,
          "HTML listing shows the escaped name");
    CHECK(strstr(html, "href=\"./%3Cscript%3Ealert%281%29%3C\"") != NULL,
          "HTML link is percent-encoded");
    CHECK(strstr(html, "&quot;q&quot; &amp; &#39;a&#39;") != NULL, "quotes and ampersands escaped");
    CHECK(strstr(html, "<title>Index of /d&lt;i&gt;r/</title>") != NULL,
          "the path is escaped in the title");
    CHECK(strstr(html, "href=\"./alpha/\">alpha/</a>") != NULL, "directories end in /");
    CHECK(strstr(html, ">5.0 GiB (5,368,709,120)<") != NULL, "64-bit size");
    CHECK(strstr(html, "1994-11-06T08:49:37Z") != NULL, "ISO dates");
    CHECK(strstr(html, "bad&#xfffd;") != NULL && strstr(html, "href=\"./bad%FF\"") != NULL,
          "invalid UTF-8 name");
    CHECK(strstr(html, "href=\"../\"") != NULL, "parent link below the root");
    CHECK(strstr(html, "Only the first") == NULL, "no truncation notice");
    free(html);
    listing.truncated = true;
    listing.path = "/";
    listing.path_length = 1;
    html = render(&listing, LISTING_HTML);
    CHECK(strstr(html, "Only the first 10000 entries are listed.") != NULL, "truncation notice");
    CHECK(strstr(html, "href=\"../\"") == NULL, "no parent link at the root");
    free(html);
    char *json = render(&listing, LISTING_JSON);
    CHECK(strchr(json, '<') == NULL, "JSON listing contains a raw <");
    CHECK(strstr(json,
                 "{\"name\":\"\\u003cscript\\u003ealert(1)\\u003c\",\"href\":\"./"
                 "%3Cscript%3Ealert%281%29%3C\","
                 "\"type\":\"file\",\"size\":0,\"size_human\":\"0 B\",\"modified\":\"1994-11-06T08:"
                 "49:37Z\"}") != NULL,
          "JSON entry: %s", json);
    CHECK(strstr(json, "{\"name\":\"aa\",\"href\":\"./aa/\",\"type\":\"directory\",\"modified\"") !=
              NULL,
          "JSON directory entry");
    CHECK(strstr(json, "\"name\":\"bad\\ufffd\"") != NULL, "JSON invalid UTF-8");
    CHECK(strstr(json, "\"type\":\"symlink\"") != NULL, "JSON symlink entry");
    CHECK(strncmp(json, "{\"path\":\"/\",\"entries\":[", 23) == 0, "JSON head: %.40s", json);
    CHECK(strstr(json, "],\"truncated\":true}\n") != NULL, "JSON truncated flag");
    free(json);
    struct listing empty = {"/e/", 3, NULL, 0, false, 10000};
    json = render(&empty, LISTING_JSON);
    CHECK(strcmp(json, "{\"path\":\"/e/\",\"entries\":[],\"truncated\":false}\n") == 0,
          "empty JSON: %s", json);
    free(json);
    listing_sort(entries, 0);
    listing_sort(entries, 1);
}

int main(void)
{
    unit_begin("static", "UNIT_TEST_SEED", UNIT_DEFAULT_SEED);
    test_ranges();
    test_quality();
    test_members();
    test_accept_encoding();
    test_may_encode();
    test_accept();
    test_etags();
    test_dates();
    test_preconditions();
    test_if_range();
    test_escaping();
    test_listing();
    printf("static: %lu passed, %lu failed\n", unit_checks_passed, unit_failures);
    return unit_end();
}
