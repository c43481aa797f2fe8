/* test_access_log.c: unit tests of src/process/access_log.c (include/process/access_log.h,
 * docs/logging.md).
 *
 * What it does: checks whole lines written by hand (combined log format, then
 * duration, reason and the forwarded field; absent fields as "-"); the escaping
 * of all 256 byte values in the request line, the referer, the user agent and
 * the forwarded field against a reference escaper written here (\xHH for bytes
 * outside printable ASCII and for '"' and '\'); the 1,020-escaped-byte cap
 * with "..." at every length and pattern around it (512 for the forwarded
 * field); that random binary fields never put a control byte, a raw quote, CR,
 * LF or NUL into a line, nor make it longer than one log-channel message; and
 * every output size from 0 to past the line's length (a prefix, always
 * terminated, never a byte past out_size).
 *
 * Contract: request-derived spans are exact heap copies, and each output buffer
 * is a heap block of exactly out_size bytes, so AddressSanitizer reports any
 * read or write past them.
 * Must not: build an expected line with access_log_format itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/access_log.h"
#include "process/log.h"
#include "unit.h"
#include "unit_suites.h"

#define FIELD_CAP 1020u /* docs/logging.md: longer escaped fields end with "..." */
#define FORWARDED_CAP \
    512u /* the forwarded field's cap (access_log.c), so four fields fit one message */
#define BIG_BUFFER 16384u
#define KNOWN_TIME 784111777 /* 06/Nov/1994:08:49:37 +0000 */

static struct http_span span_of(const char *data, size_t length)
{
    return (struct http_span){data, length};
}

static struct http_span text_span(const char *text)
{
    return span_of(text, strlen(text));
}

/* The documented escaping, written independently of the module. */
static size_t reference_escape(const char *data, size_t length, char *out)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)data[i];
        if (byte >= 0x20 && byte <= 0x7e && byte != '"' && byte != '\\')
            out[used++] = (char)byte;
        else
            used += (size_t)sprintf(out + used, "\\x%02x", byte);
    }
    out[used] = '\0';
    return used;
}

/* The documented escaping cut to at most cap escaped bytes (whole escapes),
 * then "...", when the whole field is longer than cap. */
static size_t reference_escape_capped(const char *data, size_t length, size_t cap, char *out)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        char one[8];
        size_t width = reference_escape(data + i, 1, one);
        if (used + width > cap) {
            memcpy(out + used, "...", 4);
            return used + 3;
        }
        memcpy(out + used, one, width);
        used += width;
    }
    out[used] = '\0';
    return used;
}

/* Formats into a heap buffer of exactly out_size bytes; the caller frees *out. */
static size_t format_exact(const struct access_record *record, size_t out_size, char **out)
{
    *out = malloc(out_size ? out_size : 1u);
    if (!*out) {
        fprintf(stderr, "test_unit: out of memory\n");
        exit(2);
    }
    memset(*out, '#', out_size ? out_size : 1u);
    return access_log_format(record, *out, out_size);
}

static void check_line(const struct access_record *record, const char *expected, const char *what)
{
    char *line = NULL;
    size_t length = format_exact(record, BIG_BUFFER, &line);
    CHECK_STR(line, expected, "%s", what);
    CHECK_UINT(length, strlen(expected), "%s: returned length", what);
    free(line);
}

static void test_exact_lines(void)
{
    struct access_record served = {
        .client = "127.0.0.1",
        .time_seconds = KNOWN_TIME,
        .request_line = text_span("GET /style.css HTTP/1.1"),
        .status = 200,
        .body_bytes = 7,
        .referer = {NULL, 0},
        .user_agent = text_span("curl/7.88.1"),
        .duration_us = 79,
        .reason = NULL,
    };
    check_line(&served,
               "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /style.css HTTP/1.1\" 200 7 \"-\" "
               "\"curl/7.88.1\" 79 - \"-\"",
               "a served request");

    struct access_record refused = {.client = "203.0.113.9",
                                    .time_seconds = KNOWN_TIME,
                                    .status = 503,
                                    .reason = "per-client-cap"};
    check_line(&refused,
               "203.0.113.9 - - [06/Nov/1994:08:49:37 +0000] \"-\" 503 0 \"-\" \"-\" 0 "
               "per-client-cap \"-\"",
               "a connection refused before any request");

    struct access_record nothing = {.time_seconds = 0,
                                    .status = 400,
                                    .body_bytes = 72,
                                    .duration_us = 102686,
                                    .reason = "nul-byte"};
    check_line(&nothing,
               "- - - [01/Jan/1970:00:00:00 +0000] \"-\" 400 72 \"-\" \"-\" 102686 nul-byte \"-\"",
               "no client, no request line");

    struct access_record everything = {
        .client = "2001:db8::1",
        .time_seconds = 1709164800,
        .request_line = text_span("HEAD /a%20b?x=1 HTTP/1.1"),
        .status = 304,
        .body_bytes = UINT64_MAX,
        .referer = text_span("https://example.com/page?q=1"),
        .user_agent = text_span("Mozilla/5.0 (X11; Linux x86_64)"),
        .duration_us = UINT64_MAX,
        .reason = "-",
        .forwarded = text_span("198.51.100.7, 203.0.113.1"),
    };
    check_line(&everything,
               "2001:db8::1 - - [29/Feb/2024:00:00:00 +0000] \"HEAD /a%20b?x=1 HTTP/1.1\" 304 "
               "18446744073709551615 "
               "\"https://example.com/page?q=1\" \"Mozilla/5.0 (X11; Linux x86_64)\" "
               "18446744073709551615 - \"198.51.100.7, 203.0.113.1\"",
               "every field present, largest numbers");

    /* Present but empty is not absent: "" rather than "-". */
    struct access_record empty = {.client = "192.0.2.1",
                                  .time_seconds = KNOWN_TIME,
                                  .request_line = span_of("", 0),
                                  .status = 400,
                                  .referer = span_of("", 0),
                                  .user_agent = span_of("-", 1),
                                  .forwarded = span_of("", 0)};
    check_line(&empty, "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"\" 400 0 \"\" \"-\" 0 - \"\"",
               "empty fields");
}

static void test_escaping(void)
{
    /* By hand: quote, backslash, CR, LF, tab, DEL, a high byte, NUL. */
    static const char NASTY[] = "a\"b\\c\r\n\t\x7f\x80 \xff\0z";
    char *nasty = unit_exact_copy(NASTY, sizeof NASTY - 1);
    struct access_record record = {.client = "192.0.2.1",
                                   .time_seconds = KNOWN_TIME,
                                   .status = 400,
                                   .request_line = span_of(nasty, sizeof NASTY - 1),
                                   .referer = span_of(nasty, sizeof NASTY - 1),
                                   .user_agent = span_of(nasty, sizeof NASTY - 1),
                                   .forwarded = span_of(nasty, sizeof NASTY - 1)};
    check_line(&record,
               "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] "
               "\"a\\x22b\\x5cc\\x0d\\x0a\\x09\\x7f\\x80 \\xff\\x00z\" 400 0 "
               "\"a\\x22b\\x5cc\\x0d\\x0a\\x09\\x7f\\x80 \\xff\\x00z\" "
               "\"a\\x22b\\x5cc\\x0d\\x0a\\x09\\x7f\\x80 \\xff\\x00z\" "
               "0 - \"a\\x22b\\x5cc\\x0d\\x0a\\x09\\x7f\\x80 \\xff\\x00z\"",
               "control bytes, quote, backslash, DEL and high bytes escaped in all four fields");
    free(nasty);

    /* A forged field cannot close its quotes. */
    struct access_record forged = {.client = "192.0.2.1",
                                   .time_seconds = KNOWN_TIME,
                                   .status = 200,
                                   .user_agent = text_span("x\" 200 0 \"-\" \"evil")};
    check_line(&forged,
               "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"-\" 200 0 \"-\" \"x\\x22 200 0 "
               "\\x22-\\x22 \\x22evil\" 0 - \"-\"",
               "quotes inside the user agent");

    /* All 256 byte values, in each field in turn, against the reference escaper. */
    char all_bytes[256], escaped[4 * 256 + 1], forwarded[4 * 256 + 4],
        expected[4 * sizeof escaped + 128];
    for (int i = 0; i < 256; i++)
        all_bytes[i] = (char)i;
    char *copy = unit_exact_copy(all_bytes, sizeof all_bytes);
    reference_escape(all_bytes, sizeof all_bytes, escaped);
    reference_escape_capped(all_bytes, sizeof all_bytes, FORWARDED_CAP, forwarded);
    for (int field = 0; field < 4; field++) {
        struct access_record all = {
            .client = "192.0.2.1", .time_seconds = KNOWN_TIME, .status = 200};
        struct http_span span = span_of(copy, sizeof all_bytes);
        if (field == 0)
            all.request_line = span;
        else if (field == 1)
            all.referer = span;
        else if (field == 2)
            all.user_agent = span;
        else
            all.forwarded = span;
        snprintf(expected, sizeof expected,
                 "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"%s\" 200 0 \"%s\" \"%s\" 0 - \"%s\"",
                 field == 0 ? escaped : "-", field == 1 ? escaped : "-", field == 2 ? escaped : "-",
                 field == 3 ? forwarded : "-");
        static const char *const FIELD_NAMES[4] = {
            "all bytes in the request line", "all bytes in the referer",
            "all bytes in the user agent", "all bytes in the forwarded field"};
        check_line(&all, expected, FIELD_NAMES[field]);
    }
    free(copy);
}

/* ------------------------------------------------------------------ the field cap */

/* The request-line field of a line whose other fields are fixed. */
static const char LINE_PREFIX[] = "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"";
static const char LINE_SUFFIX[] = "\" 200 0 \"-\" \"-\" 0 - \"-\"";

static void check_capped_field(const char *data, size_t length, const char *pattern)
{
    char *copy = unit_exact_copy(data, length);
    struct access_record record = {.client = "192.0.2.1",
                                   .time_seconds = KNOWN_TIME,
                                   .status = 200,
                                   .request_line = span_of(copy, length)};
    char *line = NULL;
    size_t line_length = format_exact(&record, BIG_BUFFER, &line);
    char *full = malloc(4 * length + 1);
    if (!full) {
        fprintf(stderr, "test_unit: out of memory\n");
        exit(2);
    }
    size_t full_length = reference_escape(data, length, full);
    size_t prefix = sizeof LINE_PREFIX - 1, suffix = sizeof LINE_SUFFIX - 1;
    bool framed = line_length >= prefix + suffix && memcmp(line, LINE_PREFIX, prefix) == 0 &&
                  memcmp(line + line_length - suffix, LINE_SUFFIX, suffix) == 0;
    if (CHECK(framed, "%s, %zu bytes: the line keeps its other fields", pattern, length)) {
        const char *field = line + prefix;
        size_t field_length = line_length - prefix - suffix;
        if (full_length <= FIELD_CAP) {
            CHECK_BYTES(field, field_length, full, full_length,
                        "%s, %zu bytes (%zu escaped): kept whole", pattern, length, full_length);
        } else {
            /* Cut after whole escapes: the escaped form of the first `kept` input bytes. */
            size_t kept_escaped = field_length >= 3 ? field_length - 3 : 0;
            bool ends_with_dots = field_length >= 3 && memcmp(field + kept_escaped, "...", 3) == 0;
            size_t kept = 0, boundary = 0;
            while (kept < length && boundary < kept_escaped) {
                unsigned char byte = (unsigned char)data[kept++];
                boundary += (byte >= 0x20 && byte <= 0x7e && byte != '"' && byte != '\\') ? 1 : 4;
            }
            CHECK(ends_with_dots, "%s, %zu bytes (%zu escaped): a longer field ends with \"...\"",
                  pattern, length, full_length);
            size_t next_width = 0;
            if (kept < length) {
                unsigned char next = (unsigned char)data[kept];
                next_width = (next >= 0x20 && next <= 0x7e && next != '"' && next != '\\') ? 1 : 4;
            }
            CHECK(kept_escaped <= FIELD_CAP && kept < length &&
                      kept_escaped + next_width > FIELD_CAP,
                  "%s, %zu bytes: %zu escaped bytes kept, expected as many whole escapes as fit in "
                  "%u",
                  pattern, length, kept_escaped, FIELD_CAP);
            CHECK(boundary == kept_escaped && memcmp(field, full, kept_escaped) == 0,
                  "%s, %zu bytes: the kept part is the escaped form of the first input bytes, cut "
                  "between escapes",
                  pattern, length);
        }
    }
    free(full);
    free(line);
    free(copy);
}

static void test_field_cap(void)
{
    static const char PLAIN_BYTE = 'A', ESCAPED_BYTE = '\x01';
    char data[5000];

    memset(data, PLAIN_BYTE, sizeof data);
    char expected_field[FIELD_CAP + 4];
    memset(expected_field, PLAIN_BYTE, FIELD_CAP);
    memcpy(expected_field + FIELD_CAP, "...", 3);
    for (size_t length = FIELD_CAP - 1; length <= FIELD_CAP + 1; length++) {
        char *copy = unit_exact_copy(data, length);
        struct access_record record = {.client = "c",
                                       .time_seconds = KNOWN_TIME,
                                       .status = 200,
                                       .user_agent = span_of(copy, length)};
        char *line = NULL;
        size_t line_length = format_exact(&record, BIG_BUFFER, &line);
        /* The line ends with the user agent, then UA_TAIL. */
        static const char UA_TAIL[] = "\" 0 - \"-\"";
        const size_t tail = sizeof UA_TAIL - 1;
        size_t kept = length <= FIELD_CAP ? length : FIELD_CAP + 3;
        bool ends_right =
            line_length >= kept + tail + 1 && memcmp(line + line_length - tail, UA_TAIL, tail) == 0;
        if (length <= FIELD_CAP)
            CHECK(ends_right && memcmp(line + line_length - tail - kept, data, length) == 0 &&
                      line[line_length - tail - 1 - kept] == '"',
                  "a %zu-byte user agent is kept whole", length);
        else if (CHECK(ends_right, "a %zu-byte user agent: the line ends with the field", length))
            CHECK_BYTES(line + line_length - tail - kept, kept, expected_field, FIELD_CAP + 3,
                        "a %zu-byte user agent: 1,020 bytes and \"...\"", length);
        free(line);
        free(copy);
    }

    /* Only escapes: 255 of them fill 1,020 bytes exactly. */
    memset(data, ESCAPED_BYTE, sizeof data);
    char escapes[FIELD_CAP + 4];
    for (size_t i = 0; i < FIELD_CAP / 4; i++)
        memcpy(escapes + 4 * i, "\\x01", 4);
    memcpy(escapes + FIELD_CAP, "...", 3);
    escapes[FIELD_CAP + 3] = '\0';
    char *copy = unit_exact_copy(data, sizeof data);
    struct access_record record = {.client = "c",
                                   .time_seconds = KNOWN_TIME,
                                   .status = 200,
                                   .referer = span_of(copy, sizeof data)};
    char *line = NULL, expected_line[2048];
    snprintf(expected_line, sizeof expected_line,
             "c - - [06/Nov/1994:08:49:37 +0000] \"-\" 200 0 \"%s\" \"-\" 0 - \"-\"", escapes);
    format_exact(&record, BIG_BUFFER, &line);
    CHECK_STR(line, expected_line, "5,000 bytes 0x01 in the referer");
    free(line);
    free(copy);

    /* The forwarded field has its own, smaller cap. */
    memset(data, PLAIN_BYTE, sizeof data);
    char forwarded[FORWARDED_CAP + 4];
    reference_escape_capped(data, sizeof data, FORWARDED_CAP, forwarded);
    CHECK_UINT(strlen(forwarded), FORWARDED_CAP + 3,
               "the test's own reference: 512 bytes and \"...\"");
    copy = unit_exact_copy(data, sizeof data);
    struct access_record proxied = {.client = "c",
                                    .time_seconds = KNOWN_TIME,
                                    .status = 200,
                                    .forwarded = span_of(copy, sizeof data)};
    snprintf(expected_line, sizeof expected_line,
             "c - - [06/Nov/1994:08:49:37 +0000] \"-\" 200 0 \"-\" \"-\" 0 - \"%s\"", forwarded);
    format_exact(&proxied, BIG_BUFFER, &line);
    CHECK_STR(line, expected_line, "5,000 bytes in the forwarded field");
    free(line);
    free(copy);

    /* Every length around the cap, with escapes at every alignment. */
    uint64_t random = unit_random_state(0xacce55);
    for (size_t length = 240; length <= 1100; length++) {
        for (int pattern = 0; pattern < 5; pattern++) {
            for (size_t i = 0; i < length; i++) {
                switch (pattern) {
                case 0: data[i] = PLAIN_BYTE; break;
                case 1: data[i] = ESCAPED_BYTE; break;
                case 2:
                    data[i] = (i + 1 == length) ? ESCAPED_BYTE : PLAIN_BYTE;
                    break; /* one escape at the end */
                case 3: data[i] = (i % 3 == 0) ? '"' : 'x'; break;
                default: data[i] = (char)unit_random(&random); break;
                }
            }
            static const char *const NAMES[] = {"plain", "escapes", "plain then one escape",
                                                "every third a quote", "random bytes"};
            check_capped_field(data, length, NAMES[pattern]);
        }
    }
}

/* ------------------------------------------------------------------ buffers */

static void test_line_bounds(void)
{
    /* Huge random binary fields: only printable ASCII in the line, eight quotes,
     * and short enough for one log-channel message (connection.c keeps 2 bytes). */
    enum { HUGE = 100000 };
    uint64_t random = unit_random_state(0x1095);
    char *fields[4];
    for (int f = 0; f < 4; f++) {
        fields[f] = malloc(HUGE);
        if (!fields[f]) {
            fprintf(stderr, "test_unit: out of memory\n");
            exit(2);
        }
        for (size_t i = 0; i < HUGE; i++)
            fields[f][i] = (char)unit_random(&random);
    }
    struct access_record record = {
        .client = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        .time_seconds = INT64_MIN /* formatted as the epoch */,
        .request_line = span_of(fields[0], HUGE),
        .status = -2147483647 - 1,
        .body_bytes = UINT64_MAX,
        .referer = span_of(fields[1], HUGE),
        .user_agent = span_of(fields[2], HUGE),
        .duration_us = UINT64_MAX,
        .reason = "request-header-fields-too-large",
        .forwarded = span_of(fields[3], HUGE),
    };
    char *line = NULL;
    size_t length = format_exact(&record, BIG_BUFFER, &line);
    CHECK(length < LOG_MESSAGE_MAX - 2,
          "the longest line (%zu bytes) fits one log message with its newline", length);
    CHECK_UINT(strlen(line), length, "no NUL inside the line");
    size_t unprintable = 0, quotes = 0;
    for (size_t i = 0; i < length; i++) {
        unprintable += (unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e;
        quotes += line[i] == '"';
    }
    CHECK_UINT(unprintable, 0,
               "bytes outside printable ASCII (CR, LF, control, high) in a line of random fields");
    CHECK_UINT(quotes, 8, "quotes in a line of four random fields");

    /* Every output size: the line's prefix, terminated, returned length = strlen. */
    for (size_t out_size = 0; out_size <= length + 2; out_size++) {
        char *out = NULL;
        size_t got = format_exact(&record, out_size, &out);
        if (out_size == 0) {
            CHECK_UINT(got, 0, "out_size 0 returns 0");
            CHECK(out[0] == '#', "out_size 0 writes nothing");
        } else {
            size_t expected = length < out_size - 1 ? length : out_size - 1;
            bool ok = CHECK_UINT(got, expected, "returned length for out_size %zu", out_size) &&
                      CHECK(out[got] == '\0' && strlen(out) == got,
                            "out_size %zu: terminated right after the line", out_size) &&
                      CHECK(memcmp(out, line, got) == 0, "out_size %zu: a prefix of the whole line",
                            out_size);
            if (!ok) {
                free(out);
                break;
            }
        }
        free(out);
    }
    free(line);
    for (int f = 0; f < 4; f++)
        free(fields[f]);
}

void test_access_log(void)
{
    test_exact_lines();
    test_escaping();
    test_field_cap();
    test_line_bounds();
}
