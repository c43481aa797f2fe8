/* test_access_log_json.c: unit tests of src/process/access_log_json.c
 * (include/process/access_log_json.h, docs/logging.md "JSON lines").
 *
 * What it does: checks whole lines written by hand: a served request, a refusal
 * with every field absent (null), a hostile User-Agent and Referer (quotes,
 * backslashes, CR LF, ESC[31m, NUL, invalid UTF-8, 0xff, valid UTF-8, DEL), the
 * request line's split into method, target and protocol and every shape that
 * must not split; all 256 byte values against a reference escaper written here
 * (\" \\, printable ASCII, else \u00XX of the byte); fields at and around their
 * caps, with an escape straddling the cap, checked whole (the "..." inside the
 * closing quote, the object closed); the worst case (every field at its cap,
 * every byte escaped) within ACCESS_LOG_JSON_MAX; random binary fields, each
 * line checked by a JSON reader written here (RFC 8259 grammar for the flat
 * object prong writes, ASCII only) whose decoded strings give back the exact
 * bytes; and that a buffer below ACCESS_LOG_JSON_SIZE gets an empty string.
 *
 * Contract: request-derived spans are exact heap copies and each output buffer
 * is a heap block of exactly out_size bytes, so AddressSanitizer reports any
 * read or write past them.
 * Must not: build an expected line with access_log_format_json itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/access_log_json.h"
#include "unit.h"
#include "unit_suites.h"

#define KNOWN_TIME 784111777 /* 1994-11-06T08:49:37Z */
#define FIELD_CAP 1020u      /* docs/logging.md: escaped bytes per field, then "..." */
#define FORWARDED_CAP 512u
#define LINE_BUFFER (ACCESS_LOG_JSON_SIZE)

/* Spans and strings the suite made, freed at its end. */
static void *made[512];
static size_t made_count;

static void *remember(void *block)
{
    if (made_count == sizeof made / sizeof made[0])
        unit_die(NULL, "test_access_log_json: too many allocations");
    made[made_count++] = block;
    return block;
}

static struct http_span bytes_span(const char *data, size_t length)
{
    return (struct http_span){remember(unit_exact_copy(data, length)), length};
}

static struct http_span text_span(const char *text)
{
    return bytes_span(text, strlen(text));
}

/* Formats into a heap block of exactly out_size bytes; the caller frees *out. */
static size_t format_exact(const struct access_record *record, size_t out_size, char **out)
{
    *out = malloc(out_size ? out_size : 1u);
    if (!*out)
        unit_die(NULL, "out of memory");
    memset(*out, '#', out_size ? out_size : 1u);
    return access_log_format_json(record, *out, out_size);
}

static void check_line(const struct access_record *record, const char *expected, const char *what)
{
    char *line = NULL;
    size_t length = format_exact(record, LINE_BUFFER, &line);
    CHECK_STR(line, expected, "%s", what);
    CHECK_UINT(length, strlen(expected), "%s: returned length", what);
    free(line);
}

/* ------------------------------------------------------------------ a JSON reader
 * RFC 8259 for what prong writes: one object of members whose values are
 * strings, unsigned integers or null, nothing around it, only printable ASCII.
 * Strings decode to bytes: every \u escape must be below U+0100 (one byte). */

struct reader {
    const char *at, *end;
};

static bool read_string(struct reader *reader, char *out, size_t out_size, size_t *out_length)
{
    size_t used = 0;
    if (reader->at >= reader->end || *reader->at++ != '"')
        return false;
    while (reader->at < reader->end) {
        unsigned char byte = (unsigned char)*reader->at++;
        int value = -1;
        if (byte == '"') {
            *out_length = used;
            return true;
        }
        if (byte < 0x20 || byte > 0x7e)
            return false;
        if (byte != '\\') {
            value = byte;
        } else if (reader->at < reader->end && (*reader->at == '"' || *reader->at == '\\')) {
            value = (unsigned char)*reader->at++;
        } else if (reader->end - reader->at >= 5 && reader->at[0] == 'u') {
            unsigned code = 0;
            for (int i = 1; i <= 4; i++) {
                char digit = reader->at[i];
                unsigned nibble = digit >= '0' && digit <= '9'   ? (unsigned)(digit - '0')
                                  : digit >= 'a' && digit <= 'f' ? (unsigned)(digit - 'a' + 10)
                                  : digit >= 'A' && digit <= 'F' ? (unsigned)(digit - 'A' + 10)
                                                                 : 16u;
                if (nibble == 16u)
                    return false;
                code = code * 16u + nibble;
            }
            if (code > 0xff)
                return false;
            value = (int)code;
            reader->at += 5;
        } else {
            return false; /* \b \f \n \r \t \/ are JSON, but prong never writes them */
        }
        if (used == out_size)
            return false;
        out[used++] = (char)value;
    }
    return false;
}

/* One decoded member: its value's kind and bytes. */
struct member {
    char name[32];
    enum { VALUE_STRING, VALUE_NUMBER, VALUE_NULL } kind;
    char value[8192];
    size_t length;
};

#define MEMBERS_MAX 16

static bool read_value(struct reader *reader, struct member *member)
{
    if (reader->at < reader->end && *reader->at == '"') {
        member->kind = VALUE_STRING;
        return read_string(reader, member->value, sizeof member->value, &member->length);
    }
    if (reader->end - reader->at >= 4 && memcmp(reader->at, "null", 4) == 0) {
        member->kind = VALUE_NULL;
        member->length = 0;
        reader->at += 4;
        return true;
    }
    member->kind = VALUE_NUMBER;
    member->length = 0;
    if (reader->at < reader->end && *reader->at == '0') { /* RFC 8259 §6: no leading zeros */
        member->value[member->length++] = *reader->at++;
        return reader->at < reader->end && (*reader->at == ',' || *reader->at == '}');
    }
    while (reader->at < reader->end && *reader->at >= '0' && *reader->at <= '9' &&
           member->length < 20)
        member->value[member->length++] = *reader->at++;
    return member->length > 0;
}

/* The members of a whole line, or -1 when it is not such an object. */
static int read_object(const char *line, size_t length, struct member *members)
{
    struct reader reader = {line, line + length};
    int count = 0;
    if (length < 2 || *reader.at++ != '{')
        return -1;
    for (;;) {
        if (count == MEMBERS_MAX)
            return -1;
        struct member *member = &members[count++];
        size_t name_length = 0;
        if (!read_string(&reader, member->name, sizeof member->name - 1, &name_length))
            return -1;
        member->name[name_length] = '\0';
        if (reader.at >= reader.end || *reader.at++ != ':' || !read_value(&reader, member))
            return -1;
        if (reader.at >= reader.end)
            return -1;
        char next = *reader.at++;
        if (next == '}')
            return reader.at == reader.end ? count : -1;
        if (next != ',')
            return -1;
    }
}

static const char *const NAMES[] = {"time",        "client", "request",  "method",  "target",
                                    "protocol",    "status", "bytes",    "referer", "user_agent",
                                    "duration_us", "reason", "forwarded"};
#define NAME_COUNT (sizeof NAMES / sizeof NAMES[0])

static struct member members[MEMBERS_MAX];

/* The line is valid JSON of the documented members, in order, pure printable ASCII. */
static bool check_json(const char *line, size_t length, const char *what)
{
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return CHECK(false, "%s: byte 0x%02x at %zu", what, (unsigned char)line[i], i);
    int count = read_object(line, length, members);
    if (!CHECK_INT(count, (int)NAME_COUNT, "%s: a JSON object of the documented members", what))
        return false;
    for (size_t i = 0; i < NAME_COUNT; i++)
        if (!CHECK_STR(members[i].name, NAMES[i], "%s: member %zu", what, i))
            return false;
    return true;
}

/* The decoded bytes of a string member equal data (a field not cut). */
static void check_round_trip(size_t index, struct http_span span, const char *what)
{
    if (!span.data) {
        CHECK(members[index].kind == VALUE_NULL, "%s: %s is null", what, NAMES[index]);
        return;
    }
    CHECK(members[index].kind == VALUE_STRING, "%s: %s is a string", what, NAMES[index]);
    CHECK_BYTES(members[index].value, members[index].length, span.data, span.length,
                "%s: %s decodes to the bytes received", what, NAMES[index]);
}

/* ------------------------------------------------------------------ the reference escaper */

/* The documented escaping, written independently of the module. */
static size_t reference_escape(const unsigned char *data, size_t length, char *out)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        if (data[i] == '"' || data[i] == '\\')
            used += (size_t)sprintf(out + used, "\\%c", data[i]);
        else if (data[i] >= 0x20 && data[i] <= 0x7e)
            out[used++] = (char)data[i];
        else
            used += (size_t)sprintf(out + used, "\\u%04x", data[i]);
    }
    out[used] = '\0';
    return used;
}

/* ------------------------------------------------------------------ whole lines */

static void test_exact_lines(void)
{
    struct access_record served = {
        .client = "127.0.0.1",
        .time_seconds = KNOWN_TIME,
        .request_line = text_span("GET /style.css HTTP/1.1"),
        .status = 200,
        .body_bytes = 7,
        .user_agent = text_span("curl/7.88.1"),
        .duration_us = 79,
    };
    check_line(&served,
               "{\"time\":\"1994-11-06T08:49:37Z\",\"client\":\"127.0.0.1\","
               "\"request\":\"GET /style.css HTTP/1.1\",\"method\":\"GET\","
               "\"target\":\"/style.css\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":7,"
               "\"referer\":null,\"user_agent\":\"curl/7.88.1\",\"duration_us\":79,"
               "\"reason\":null,\"forwarded\":null}",
               "a served request");

    struct access_record refused = {.time_seconds = 0, .status = 503, .reason = "per-client-cap"};
    check_line(&refused,
               "{\"time\":\"1970-01-01T00:00:00Z\",\"client\":null,\"request\":null,"
               "\"method\":null,\"target\":null,\"protocol\":null,\"status\":503,\"bytes\":0,"
               "\"referer\":null,\"user_agent\":null,\"duration_us\":0,"
               "\"reason\":\"per-client-cap\",\"forwarded\":null}",
               "a refusal: every absent field null");

    struct access_record everything = {
        .client = "2001:db8::1",
        .time_seconds = 1709164800,
        .request_line = text_span("HEAD /a%20b?x=1 HTTP/1.1"),
        .status = 304,
        .body_bytes = UINT64_MAX,
        .referer = text_span("https://example.org/"),
        .user_agent = text_span(""),
        .duration_us = UINT64_MAX,
        .reason = "precondition-failed",
        .forwarded = text_span("198.51.100.7, 203.0.113.1"),
    };
    check_line(&everything,
               "{\"time\":\"2024-02-29T00:00:00Z\",\"client\":\"2001:db8::1\","
               "\"request\":\"HEAD /a%20b?x=1 HTTP/1.1\",\"method\":\"HEAD\","
               "\"target\":\"/a%20b?x=1\",\"protocol\":\"HTTP/1.1\",\"status\":304,"
               "\"bytes\":18446744073709551615,\"referer\":\"https://example.org/\","
               "\"user_agent\":\"\",\"duration_us\":18446744073709551615,"
               "\"reason\":\"precondition-failed\",\"forwarded\":\"198.51.100.7, 203.0.113.1\"}",
               "every field, numbers at their maximum, an empty user agent");

    struct access_record odd_status = {.time_seconds = KNOWN_TIME, .status = -1};
    check_line(&odd_status,
               "{\"time\":\"1994-11-06T08:49:37Z\",\"client\":null,\"request\":null,"
               "\"method\":null,\"target\":null,\"protocol\":null,\"status\":null,\"bytes\":0,"
               "\"referer\":null,\"user_agent\":null,\"duration_us\":0,\"reason\":null,"
               "\"forwarded\":null}",
               "a status out of 0..999 is null");
}

static void test_hostile_fields(void)
{
    static const char AGENT[] = "a\"b\\c\r\nX: \x1b[31mred\x1b[0m\0nul\xff\xc3\x28\xc3\x91\x7f"
                                "\xed\xa0\x80 \"}{";
    static const char REFERER[] = "\"},{\"status\":200,\"x\":\"\n";
    struct access_record hostile = {
        .client = "127.0.0.1",
        .time_seconds = KNOWN_TIME,
        .request_line = text_span("GET /q?\"\\ HTTP/1.1"),
        .status = 400,
        .body_bytes = 72,
        .referer = text_span(REFERER),
        .user_agent = bytes_span(AGENT, sizeof AGENT - 1),
        .duration_us = 5,
        .reason = "bad-field-value",
        .forwarded = text_span("\x1b]0;title\x07"),
    };
    check_line(
        &hostile,
        "{\"time\":\"1994-11-06T08:49:37Z\",\"client\":\"127.0.0.1\","
        "\"request\":\"GET /q?\\\"\\\\ HTTP/1.1\",\"method\":\"GET\","
        "\"target\":\"/q?\\\"\\\\\",\"protocol\":\"HTTP/1.1\",\"status\":400,"
        "\"bytes\":72,\"referer\":\"\\\"},{\\\"status\\\":200,\\\"x\\\":\\\"\\u000a\","
        "\"user_agent\":\"a\\\"b\\\\c\\u000d\\u000aX: \\u001b[31mred\\u001b[0m\\u0000nul"
        "\\u00ff\\u00c3(\\u00c3\\u0091\\u007f\\u00ed\\u00a0\\u0080 \\\"}{\","
        "\"duration_us\":5,\"reason\":\"bad-field-value\","
        "\"forwarded\":\"\\u001b]0;title\\u0007\"}",
        "quotes, backslashes, CR LF, ESC, NUL, invalid UTF-8, 0xff, UTF-8, DEL, a surrogate");
    char *line = NULL;
    size_t length = format_exact(&hostile, LINE_BUFFER, &line);
    if (check_json(line, length, "hostile fields")) {
        check_round_trip(9, hostile.user_agent, "hostile fields");
        check_round_trip(8, hostile.referer, "hostile fields");
        check_round_trip(12, hostile.forwarded, "hostile fields");
        check_round_trip(2, hostile.request_line, "hostile fields");
    }
    free(line);
}

static void test_every_byte(void)
{
    unsigned char all[256];
    for (unsigned i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char escaped[256 * 6 + 1];
    /* 256 bytes escape to more than the cap: two halves, each whole. */
    for (unsigned half = 0; half < 2; half++) {
        struct access_record record = {.client = "127.0.0.1",
                                       .time_seconds = KNOWN_TIME,
                                       .status = 200,
                                       .user_agent = bytes_span((char *)all + 128 * half, 128)};
        reference_escape(all + 128 * half, 128, escaped);
        char expected[2048];
        snprintf(expected, sizeof expected,
                 "{\"time\":\"1994-11-06T08:49:37Z\",\"client\":\"127.0.0.1\",\"request\":null,"
                 "\"method\":null,\"target\":null,\"protocol\":null,\"status\":200,\"bytes\":0,"
                 "\"referer\":null,\"user_agent\":\"%s\",\"duration_us\":0,\"reason\":null,"
                 "\"forwarded\":null}",
                 escaped);
        check_line(&record, expected, half ? "bytes 0x80..0xff" : "bytes 0x00..0x7f");
    }
}

/* A user agent of the given bytes: the whole line, its user_agent as expected. */
static void check_capped_agent(const char *data, size_t length, const char *expected_value,
                               const char *what)
{
    struct access_record record = {.client = "127.0.0.1",
                                   .time_seconds = KNOWN_TIME,
                                   .status = 200,
                                   .user_agent = bytes_span(data, length)};
    static char expected[ACCESS_LOG_JSON_SIZE];
    snprintf(expected, sizeof expected,
             "{\"time\":\"1994-11-06T08:49:37Z\",\"client\":\"127.0.0.1\",\"request\":null,"
             "\"method\":null,\"target\":null,\"protocol\":null,\"status\":200,\"bytes\":0,"
             "\"referer\":null,\"user_agent\":\"%s\",\"duration_us\":0,\"reason\":null,"
             "\"forwarded\":null}",
             expected_value);
    check_line(&record, expected, what);
    char *line = NULL;
    size_t got = format_exact(&record, LINE_BUFFER, &line);
    check_json(line, got, what);
    free(line);
}

static void test_caps(void)
{
    static char data[2 * FIELD_CAP], value[8 * FIELD_CAP];
    /* Exactly the cap of plain bytes: whole, no "...". */
    memset(data, 'a', FIELD_CAP);
    memcpy(value, data, FIELD_CAP);
    value[FIELD_CAP] = '\0';
    check_capped_agent(data, FIELD_CAP, value, "1,020 plain bytes: whole");
    /* One more: the cap, then "..." inside the quotes. */
    memset(data, 'a', FIELD_CAP + 1);
    memcpy(value + FIELD_CAP, "...", 4);
    check_capped_agent(data, FIELD_CAP + 1, value, "1,021 plain bytes: cut, \"...\", closed");
    /* An escape that would straddle the cap is left out whole. */
    memset(data, 'a', FIELD_CAP - 1);
    data[FIELD_CAP - 1] = '\x01';
    memset(value, 'a', FIELD_CAP - 1);
    memcpy(value + FIELD_CAP - 1, "...", 4);
    check_capped_agent(data, FIELD_CAP, value, "a \\u0001 across the cap: left out whole");
    /* A two-byte escape ending exactly at the cap fits: the value ends \" . */
    memset(data, 'a', FIELD_CAP - 2);
    data[FIELD_CAP - 2] = '"';
    char expected_value[FIELD_CAP + 8];
    memset(expected_value, 'a', FIELD_CAP - 2);
    memcpy(expected_value + FIELD_CAP - 2, "\\\"", 3);
    check_capped_agent(data, FIELD_CAP - 1, expected_value, "\\\" ending at the cap: whole");
    /* A maximal field of 0xff: 170 escapes, then "...". */
    memset(data, '\xff', FIELD_CAP);
    size_t used = 0;
    for (unsigned i = 0; i < FIELD_CAP / 6; i++)
        used += (size_t)sprintf(value + used, "\\u00ff");
    memcpy(value + used, "...", 4);
    check_capped_agent(data, FIELD_CAP, value, "1,020 bytes of 0xff: 170 escapes, then ...");
    /* Every length around the cap, for two patterns: a valid line whose value is
     * the reference escape, cut at whole escapes. */
    for (size_t length = FIELD_CAP - 12; length <= FIELD_CAP + 12; length++)
        for (int pattern = 0; pattern < 2; pattern++) {
            for (size_t i = 0; i < length; i++)
                data[i] = pattern ? (char)(i % 7 == 3 ? '\n' : 'b') : 'c';
            size_t escaped = 0;
            for (size_t i = 0; i < length; i++) {
                char one[8];
                size_t width = reference_escape((const unsigned char *)data + i, 1, one);
                if (escaped + width > FIELD_CAP) {
                    memcpy(value + escaped, "...", 3);
                    escaped += 3;
                    break;
                }
                memcpy(value + escaped, one, width);
                escaped += width;
            }
            value[escaped] = '\0';
            char what[64];
            snprintf(what, sizeof what, "length %zu, pattern %d", length, pattern);
            check_capped_agent(data, length, value, what);
        }
}

static void test_worst_case(void)
{
    static char field[FIELD_CAP];
    memset(field, '\x01', sizeof field);
    char reason[49];
    memset(reason, '\x02', 48);
    reason[48] = '\0';
    char client[64];
    memset(client, '\x03', 63);
    client[63] = '\0';
    struct access_record worst = {.client = client,
                                  .time_seconds = 253402300799, /* 9999-12-31T23:59:59Z */
                                  .request_line = bytes_span(field, FIELD_CAP),
                                  .status = 599,
                                  .body_bytes = UINT64_MAX,
                                  .referer = bytes_span(field, FIELD_CAP),
                                  .user_agent = bytes_span(field, FIELD_CAP),
                                  .duration_us = UINT64_MAX,
                                  .reason = reason,
                                  .forwarded = bytes_span(field, FORWARDED_CAP)};
    char *line = NULL;
    size_t length = format_exact(&worst, LINE_BUFFER, &line);
    CHECK(length > 0 && length <= ACCESS_LOG_JSON_MAX,
          "every field at its cap, every byte escaped: %zu bytes, at most %d", length,
          ACCESS_LOG_JSON_MAX);
    check_json(line, length, "the worst case, escaped");
    free(line);
    /* The longest line that splits: a request line just below the cut, all plain. */
    static char request[FIELD_CAP - 1];
    memset(request, 'a', sizeof request);
    memcpy(request, "GET /", 5);
    memcpy(request + sizeof request - 9, " HTTP/1.1", 9);
    worst.request_line = bytes_span(request, sizeof request);
    length = format_exact(&worst, LINE_BUFFER, &line);
    CHECK(length > 0 && length <= ACCESS_LOG_JSON_MAX,
          "the worst case with the request line split: %zu bytes, at most %d", length,
          ACCESS_LOG_JSON_MAX);
    if (check_json(line, length, "the worst case, split"))
        CHECK_STR(members[5].value, "HTTP/1.1", "a 1,019-byte request line splits");
    free(line);
}

static void test_request_split(void)
{
    static const struct {
        const char *line;
        const char *method, *target, *protocol; /* NULL: not split */
    } CASES[] = {
        {"GET / HTTP/1.1", "GET", "/", "HTTP/1.1"},
        {"OPTIONS * HTTP/1.0", "OPTIONS", "*", "HTTP/1.0"},
        {"BREW /pot HTTP/9.9", "BREW", "/pot", "HTTP/9.9"},
        {"GET  / HTTP/1.1", NULL, NULL, NULL},
        {"GET / HTTP/1.1 ", NULL, NULL, NULL},
        {" GET / HTTP/1.1", NULL, NULL, NULL},
        {"GET / HTTP/1.1 extra", NULL, NULL, NULL},
        {"GET /", NULL, NULL, NULL},
        {"GET", NULL, NULL, NULL},
        {"", NULL, NULL, NULL},
        {"GET\t/ HTTP/1.1", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        struct access_record record = {
            .time_seconds = KNOWN_TIME, .status = 400, .request_line = text_span(CASES[i].line)};
        char *line = NULL;
        size_t length = format_exact(&record, LINE_BUFFER, &line);
        char what[64];
        snprintf(what, sizeof what, "request line %zu", i);
        if (check_json(line, length, what)) {
            check_round_trip(2, record.request_line, what);
            const char *parts[3] = {CASES[i].method, CASES[i].target, CASES[i].protocol};
            for (int part = 0; part < 3; part++)
                check_round_trip((size_t)(3 + part),
                                 parts[part] ? (struct http_span){parts[part], strlen(parts[part])}
                                             : (struct http_span){NULL, 0},
                                 what);
        }
        free(line);
    }
    /* A line as long as the cut (LOG_FIELD_MAX bytes) may have lost its end: not split. */
    static char cut[FIELD_CAP];
    memset(cut, 'a', sizeof cut);
    memcpy(cut, "GET /", 5);
    memcpy(cut + sizeof cut - 9, " HTTP/1.1", 9);
    struct access_record record = {
        .time_seconds = KNOWN_TIME, .status = 414, .request_line = bytes_span(cut, sizeof cut)};
    char *line = NULL;
    size_t length = format_exact(&record, LINE_BUFFER, &line);
    if (check_json(line, length, "a request line of 1,020 bytes"))
        CHECK(members[3].kind == VALUE_NULL && members[4].kind == VALUE_NULL &&
                  members[5].kind == VALUE_NULL,
              "a request line of 1,020 bytes (maybe cut) is not split");
    free(line);
    /* One whose escapes pass the cap: the request is cut, so not split either. */
    static char escaped[400];
    memset(escaped, '\x01', sizeof escaped);
    memcpy(escaped, "GET /", 5);
    memcpy(escaped + sizeof escaped - 9, " HTTP/1.1", 9);
    record.request_line = bytes_span(escaped, sizeof escaped);
    length = format_exact(&record, LINE_BUFFER, &line);
    if (check_json(line, length, "a request line past its cap escaped")) {
        CHECK(members[2].length >= 3 &&
                  memcmp(members[2].value + members[2].length - 3, "...", 3) == 0,
              "the request ends with ...");
        CHECK(members[3].kind == VALUE_NULL && members[5].kind == VALUE_NULL,
              "a request cut by its cap is not split");
    }
    free(line);
}

static void test_random_fields(void)
{
    uint64_t random = unit_random_state(0x15011);
    static char data[4][FIELD_CAP];
    for (int round = 0; round < 2000; round++) {
        struct http_span spans[4];
        for (int f = 0; f < 4; f++) {
            size_t cap = f == 3 ? FORWARDED_CAP : FIELD_CAP;
            size_t length = unit_random_below(&random, 8) == 0 ? unit_random_below(&random, cap + 1)
                                                               : unit_random_below(&random, 40);
            bool ascii = unit_random_below(&random, 2) == 0;
            for (size_t i = 0; i < length; i++) {
                uint64_t pick = unit_random(&random);
                data[f][i] = ascii ? (char)(0x20 + pick % 0x5f) : (char)(pick & 0xff);
            }
            spans[f] = unit_random_below(&random, 6) == 0 ? (struct http_span){NULL, 0}
                                                          : (struct http_span){data[f], length};
        }
        struct access_record record = {.client = "192.0.2.1",
                                       .time_seconds =
                                           (int64_t)unit_random_below(&random, 1u << 31),
                                       .request_line = spans[0],
                                       .status = 100 + (int)unit_random_below(&random, 500),
                                       .body_bytes = unit_random(&random),
                                       .referer = spans[1],
                                       .user_agent = spans[2],
                                       .duration_us = unit_random(&random),
                                       .forwarded = spans[3]};
        static char line[ACCESS_LOG_JSON_SIZE];
        size_t length = access_log_format_json(&record, line, sizeof line);
        char what[48];
        snprintf(what, sizeof what, "random round %d", round);
        if (!CHECK(length > 0 && length <= ACCESS_LOG_JSON_MAX && line[length] == '\0',
                   "%s: length %zu", what, length) ||
            !check_json(line, length, what))
            break;
        /* A field that did not need cutting decodes to its bytes. */
        static const size_t INDEX[4] = {2, 8, 9, 12};
        for (int f = 0; f < 4; f++) {
            size_t cap = f == 3 ? FORWARDED_CAP : FIELD_CAP;
            char scratch[6 * FIELD_CAP + 1];
            if (!spans[f].data || reference_escape((const unsigned char *)spans[f].data,
                                                   spans[f].length, scratch) <= cap)
                check_round_trip(INDEX[f], spans[f], what);
        }
    }
}

static void test_buffer_sizes(void)
{
    struct access_record record = {.client = "127.0.0.1",
                                   .time_seconds = KNOWN_TIME,
                                   .request_line = text_span("GET / HTTP/1.1"),
                                   .status = 200};
    static const size_t SIZES[] = {1, 2, 64, 400, ACCESS_LOG_JSON_SIZE - 1};
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
        char *line = NULL;
        size_t length = format_exact(&record, SIZES[i], &line);
        CHECK(length == 0 && line[0] == '\0', "a %zu-byte buffer gets an empty string", SIZES[i]);
        free(line);
    }
    char *line = NULL;
    CHECK_UINT(format_exact(&record, 0, &line), 0, "a 0-byte buffer: nothing");
    CHECK(line[0] == '#', "a 0-byte buffer is not written");
    free(line);
    size_t length = format_exact(&record, ACCESS_LOG_JSON_SIZE, &line);
    CHECK(length > 0 && line[length] == '\0', "a buffer of ACCESS_LOG_JSON_SIZE bytes holds it");
    free(line);
}

void test_access_log_json(void)
{
    test_exact_lines();
    test_hostile_fields();
    test_every_byte();
    test_caps();
    test_worst_case();
    test_request_split();
    test_random_fields();
    test_buffer_sizes();
    for (size_t i = 0; i < made_count; i++)
        free(made[i]);
    made_count = 0;
}
