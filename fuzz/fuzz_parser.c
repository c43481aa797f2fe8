/* fuzz_parser.c: the invariant-checking fuzz harness of the request-head parser.
 *
 * What it does: runs src/http/http_parser.c (linked in, never copied) on each input
 * and abort()s when the answer breaks a property the contract promises
 * (include/http/http_parser.h, docs/conformance.md), not only when it crashes:
 *   - result, status and reason agree (error: a listed 4xx/5xx with its reason's
 *     status; complete: status 0), consumed <= length and > 0 when complete;
 *   - every span points inside the input (inside the head when complete);
 *   - the same bytes fed as growing prefixes, cut at points derived from the
 *     input, reach the same decision (result, status, reason, consumed, path,
 *     fields) as the whole input, and a decision, once taken, never changes;
 *   - an accepted head rebuilt from its parsed parts parses to the same request;
 *   - the decoded path starts with '/', has no dot segment, NUL or control byte,
 *     and equals what an independent RFC 3986 §5.2.4 reference decoder gives;
 *   - an accepted head satisfies the rows of the conformance table: target
 *     bytes and escapes, a Host/authority of host [":" port], one Host, no
 *     body framing, a served method, keep-alive as RFC 9112 §9.3 says;
 *   - lowering the limits can only turn an answer into a limit refusal
 *     (414/431) and never changes any other answer;
 *   - the parser never reads the request structure it is given (two poison
 *     patterns give identical answers).
 * Each input is copied into a heap buffer of exactly its size, and each prefix
 * to the very end of one, so ASan reports any read at or past `length`. Pipelined heads that follow
 * an accepted one are checked the same way.
 *
 * Builds: with clang -fsanitize=fuzzer it is a libFuzzer target; with
 * afl-clang-fast/afl-clang-lto it also gets a persistent-mode main() reading
 * AFL++'s shared-memory test case (it reads stdin when run outside afl-fuzz).
 *
 * What it must not do: keep state from one input to the next, print anything
 * unless a property is broken, or relax a check to make a finding go away
 * (save the input in tests/parser/regressions/ and fix the parser instead). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---------------------------------------------------------------- failing */

static _Noreturn void invariant_broken(const char *what, int line)
{
    fprintf(stderr, "fuzz_parser: invariant broken (fuzz/fuzz_parser.c:%d): %s\n", line, what);
    abort();
}

#define REQUIRE(condition, what)              \
    do {                                      \
        if (!(condition))                     \
            invariant_broken(what, __LINE__); \
    } while (0)

/* ---------------------------------------------------------------- small helpers */

/* A heap copy of exactly `size` bytes: ASan flags the first byte read past it. */
static char *copy_exact(const char *data, size_t size)
{
    char *copy = malloc(size > 0 ? size : 1);
    if (!copy)
        abort();
    if (size > 0)
        memcpy(copy, data, size);
    return copy;
}

static unsigned char lower_byte(unsigned char byte)
{
    return (byte >= 'A' && byte <= 'Z') ? (unsigned char)(byte + ('a' - 'A')) : byte;
}

static int bytes_equal_nocase(const char *a, size_t a_length, const char *b, size_t b_length)
{
    if (a_length != b_length)
        return 0;
    for (size_t i = 0; i < a_length; i++)
        if (lower_byte((unsigned char)a[i]) != lower_byte((unsigned char)b[i]))
            return 0;
    return 1;
}

static int span_equals_bytes(struct http_span span, const char *bytes, size_t length)
{
    return span.length == length && (length == 0 || memcmp(span.data, bytes, length) == 0);
}

/* Two spans hold the same bytes (both absent, or both present and equal). */
static int spans_same_bytes(struct http_span a, struct http_span b)
{
    if ((a.data == NULL) != (b.data == NULL))
        return 0;
    return a.data == NULL || span_equals_bytes(a, b.data, b.length);
}

/* Two spans sit at the same offset of their own buffers with the same length. */
static int spans_same_place(struct http_span a, const char *a_base, struct http_span b,
                            const char *b_base)
{
    if ((a.data == NULL) != (b.data == NULL) || a.length != b.length)
        return 0;
    return a.data == NULL || (a.data - a_base) == (b.data - b_base);
}

/* RFC 9110 §5.6.2 tchar. Written out here, apart from the parser's own table. */
static int is_tchar(unsigned char byte)
{
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= '0' && byte <= '9'))
        return 1;
    return byte != 0 && strchr("!#$%&'*+-.^_`|~", byte) != NULL;
}

static int is_ows(unsigned char byte)
{
    return byte == ' ' || byte == '\t';
}

static int hex_digit_value(unsigned char byte)
{
    if (byte >= '0' && byte <= '9')
        return byte - '0';
    if (byte >= 'a' && byte <= 'f')
        return byte - 'a' + 10;
    if (byte >= 'A' && byte <= 'F')
        return byte - 'A' + 10;
    return -1;
}

/* FNV-1a, then xorshift64: cut points and limits derived from the input, so a
 * finding replays exactly. */
static uint64_t hash_bytes(const char *data, size_t length)
{
    uint64_t hash = 0xcbf29ce484222325u;
    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char)data[i];
        hash *= 0x100000001b3u;
    }
    return hash | 1u; /* xorshift must not start at zero */
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* ---------------------------------------------------------------- status table */

/* docs/conformance.md: the status each reason must be answered with. */
static int expected_status(enum http_reason reason)
{
    switch (reason) {
    case HTTP_REASON_NONE: return 0;
    case HTTP_REASON_VERSION_NOT_SUPPORTED: return 505;
    case HTTP_REASON_REQUEST_LINE_TOO_LONG:
    case HTTP_REASON_PATH_TOO_LONG:
    case HTTP_REASON_SEGMENT_TOO_LONG: return 414;
    case HTTP_REASON_HEADER_TOO_LARGE:
    case HTTP_REASON_TOO_MANY_FIELDS: return 431;
    case HTTP_REASON_TRANSFER_ENCODING:
    case HTTP_REASON_METHOD_NOT_IMPLEMENTED: return 501;
    case HTTP_REASON_CONTENT_LENGTH_BODY: return 413;
    case HTTP_REASON_METHOD_NOT_ALLOWED: return 405;
    default: return 400;
    }
}

static int is_limit_reason(enum http_reason reason)
{
    return reason == HTTP_REASON_REQUEST_LINE_TOO_LONG || reason == HTTP_REASON_HEADER_TOO_LARGE ||
           reason == HTTP_REASON_TOO_MANY_FIELDS;
}

/* ---------------------------------------------------------------- parsing wrappers */

/* Fills the request with a pattern first: the header says the request is
 * written, never read, so the pattern must never show in the answer. */
static enum http_parse_result parse_poisoned(const char *buffer, size_t length,
                                             const struct http_limits *limits,
                                             struct http_request *request, unsigned char poison)
{
    memset(request, poison, sizeof *request);
    return http_parse_request(buffer, length, limits, request);
}

/* Same decision, compared by offsets so two copies of the same bytes match. */
static int same_outcome(enum http_parse_result a_result, const struct http_request *a,
                        const char *a_base, enum http_parse_result b_result,
                        const struct http_request *b, const char *b_base)
{
    if (a_result != b_result || a->status != b->status || a->reason != b->reason)
        return 0;
    if (a_result != HTTP_PARSE_COMPLETE)
        return 1;
    if (a->consumed != b->consumed || a->method != b->method || a->target_form != b->target_form ||
        a->version_major != b->version_major || a->version_minor != b->version_minor ||
        a->keep_alive != b->keep_alive || a->path_length != b->path_length ||
        memcmp(a->path, b->path, a->path_length + 1) != 0 || a->field_count != b->field_count)
        return 0;
    if (!spans_same_place(a->request_line, a_base, b->request_line, b_base) ||
        !spans_same_place(a->method_name, a_base, b->method_name, b_base) ||
        !spans_same_place(a->raw_target, a_base, b->raw_target, b_base) ||
        !spans_same_place(a->query, a_base, b->query, b_base) ||
        !spans_same_place(a->authority, a_base, b->authority, b_base))
        return 0;
    for (uint32_t i = 0; i < a->field_count; i++) {
        if (a->fields[i].id != b->fields[i].id ||
            !spans_same_place(a->fields[i].name, a_base, b->fields[i].name, b_base) ||
            !spans_same_place(a->fields[i].value, a_base, b->fields[i].value, b_base))
            return 0;
    }
    return memcmp(a->first_field, b->first_field, sizeof a->first_field) == 0 &&
           memcmp(a->field_repeats, b->field_repeats, sizeof a->field_repeats) == 0;
}

/* ---------------------------------------------------------------- reference path decoder */

/* An independent decoder of the raw path (docs/conformance.md, "Request target"):
 * it percent-decodes one segment at a time and removes dot segments with a
 * stack of segments (RFC 3986 §5.2.4) instead of the parser's in-place rewrite.
 * Refusals come in the same order as the parser's: within a segment, byte by
 * byte (escape, then segment length, then path length); after each segment,
 * a '..' with nothing left to remove. */
struct reference_path {
    enum http_reason reason;      /* NONE when the path was accepted */
    char path[HTTP_MAX_PATH + 1]; /* the decoded path, NUL-terminated */
    size_t length;
};

static void reference_decode_path(const char *raw, size_t raw_length, struct reference_path *out)
{
    /* segment_ends[k]: the end offset in out->path of the k-th kept segment,
     * so dropping a segment is popping the stack. */
    static size_t segment_ends[HTTP_MAX_PATH];
    size_t kept = 0;
    size_t used = 0; /* "/" + segment for each kept segment */
    const size_t max_path = HTTP_MAX_PATH - 1;
    size_t i = 0;

    out->reason = HTTP_REASON_NONE;
    if (raw_length == 0) { /* absolute-form without a path */
        memcpy(out->path, "/", 2);
        out->length = 1;
        return;
    }
    while (i < raw_length) {
        i++; /* the '/' that opens this segment */
        if (used + 1 > max_path) {
            out->reason = HTTP_REASON_PATH_TOO_LONG;
            return;
        }
        char segment[HTTP_MAX_SEGMENT + 1];
        size_t segment_length = 0;
        while (i < raw_length && raw[i] != '/') {
            unsigned char byte = (unsigned char)raw[i];
            if (byte == '%') {
                int high = i + 1 < raw_length ? hex_digit_value((unsigned char)raw[i + 1]) : -1;
                int low = i + 2 < raw_length ? hex_digit_value((unsigned char)raw[i + 2]) : -1;
                if (high < 0 || low < 0) {
                    out->reason = HTTP_REASON_BAD_PERCENT_ENCODING;
                    return;
                }
                byte = (unsigned char)(high * 16 + low);
                if (byte == 0)
                    out->reason = HTTP_REASON_ENCODED_NUL;
                else if (byte < 0x20 || byte == 0x7f)
                    out->reason = HTTP_REASON_ENCODED_CONTROL;
                else if (byte == '/')
                    out->reason = HTTP_REASON_ENCODED_SLASH;
                if (out->reason != HTTP_REASON_NONE)
                    return;
                i += 3;
            } else {
                i++;
            }
            if (segment_length + 1 > HTTP_MAX_SEGMENT) {
                out->reason = HTTP_REASON_SEGMENT_TOO_LONG;
                return;
            }
            if (used + 1 + segment_length + 1 > max_path) {
                out->reason = HTTP_REASON_PATH_TOO_LONG;
                return;
            }
            segment[segment_length++] = (char)byte;
        }
        int last = i >= raw_length;
        int is_dot = segment_length == 1 && segment[0] == '.';
        int is_dot_dot = segment_length == 2 && segment[0] == '.' && segment[1] == '.';
        if (is_dot_dot) {
            if (kept == 0) {
                out->reason = HTTP_REASON_PATH_ESCAPES_ROOT;
                return;
            }
            kept--;
            used = kept > 0 ? segment_ends[kept - 1] : 0;
        }
        if (is_dot || is_dot_dot) {
            if (last) { /* "/a/." and "/a/b/.." keep the trailing slash: "/a/" */
                out->path[used++] = '/';
                segment_ends[kept++] = used;
            }
            continue;
        }
        out->path[used++] = '/';
        memcpy(out->path + used, segment, segment_length);
        used += segment_length;
        segment_ends[kept++] = used;
    }
    if (used == 0)
        out->path[used++] = '/';
    out->path[used] = '\0';
    out->length = used;
}

/* ---------------------------------------------------------------- reference authority */

/* RFC 3986 §3.2.2 / RFC 9110 §4.2.1 as docs/conformance.md states it for Host
 * and the absolute-form authority: host [":" port], host an IP-literal
 * "[" 1*(HEXDIG / ":" / ".") "]" or a non-empty reg-name (unreserved,
 * sub-delims, pct-encoded), port 1 to 5 digits; no userinfo, no path, no
 * space, and no ',' (the table refuses a Host list, "a, b" and "a,b"). */
static int is_reg_name_byte(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           (byte >= '0' && byte <= '9') || (byte != 0 && strchr("-._~!$&'()*+;=", byte) != NULL);
}

static int is_host_and_port(struct http_span authority)
{
    const char *p = authority.data, *end = authority.data + authority.length;
    if (p == end)
        return 0;
    if (*p == '[') {
        const char *close = memchr(p, ']', authority.length);
        if (!close || close == p + 1)
            return 0;
        for (const char *q = p + 1; q < close; q++)
            if (hex_digit_value((unsigned char)*q) < 0 && *q != ':' && *q != '.')
                return 0;
        p = close + 1;
    } else {
        const char *start = p;
        while (p < end && *p != ':') {
            if (*p == '%') {
                if (end - p < 3 || hex_digit_value((unsigned char)p[1]) < 0 ||
                    hex_digit_value((unsigned char)p[2]) < 0)
                    return 0;
                p += 3;
            } else if (is_reg_name_byte((unsigned char)*p)) {
                p++;
            } else {
                return 0;
            }
        }
        if (p == start)
            return 0;
    }
    if (p == end)
        return 1;
    if (*p != ':' || end - p < 2 || end - p > 6)
        return 0;
    for (p++; p < end; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- one answer */

static void require_span_inside(struct http_span span, const char *low, const char *high,
                                const char *what)
{
    if (span.data == NULL) {
        REQUIRE(span.length == 0, what);
        return;
    }
    REQUIRE((uintptr_t)span.data >= (uintptr_t)low, what);
    REQUIRE((uintptr_t)span.data <= (uintptr_t)high, what);
    REQUIRE(span.length <= (size_t)(high - span.data), what);
}

static void require_spans_inside(const struct http_request *request, const char *low,
                                 const char *high)
{
    require_span_inside(request->request_line, low, high, "request_line span outside the input");
    require_span_inside(request->method_name, low, high, "method_name span outside the input");
    require_span_inside(request->raw_target, low, high, "raw_target span outside the input");
    require_span_inside(request->query, low, high, "query span outside the input");
    require_span_inside(request->authority, low, high, "authority span outside the input");
    for (uint32_t i = 0; i < request->field_count; i++) {
        require_span_inside(request->fields[i].name, low, high,
                            "field name span outside the input");
        require_span_inside(request->fields[i].value, low, high,
                            "field value span outside the input");
    }
}

static void check_path(const struct http_request *request)
{
    const char *path = request->path;
    size_t length = request->path_length;
    REQUIRE(length >= 1 && length < HTTP_MAX_PATH, "path length out of range");
    REQUIRE(path[0] == '/', "decoded path does not start with '/'");
    REQUIRE(path[length] == '\0', "decoded path not NUL-terminated at path_length");
    REQUIRE(memchr(path, '\0', length) == NULL, "NUL inside the decoded path");
    size_t segment_length = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)path[i];
        REQUIRE(byte >= 0x20 && byte != 0x7f, "control byte in the decoded path");
        segment_length = byte == '/' ? 0 : segment_length + 1;
        REQUIRE(segment_length <= HTTP_MAX_SEGMENT, "decoded segment longer than NAME_MAX");
    }
    REQUIRE(memmem(path, length, "/./", 3) == NULL, "\"/./\" in the decoded path");
    REQUIRE(memmem(path, length, "/../", 4) == NULL, "\"/../\" in the decoded path");
    REQUIRE(!(length >= 2 && memcmp(path + length - 2, "/.", 2) == 0),
            "decoded path ends with \"/.\"");
    REQUIRE(!(length >= 3 && memcmp(path + length - 3, "/..", 3) == 0),
            "decoded path ends with \"/..\"");
}

/* The raw path of an origin- or absolute-form target (scheme and authority
 * stripped, query cut off). */
static struct http_span raw_path_of(const struct http_request *request)
{
    struct http_span target = request->raw_target, path = {target.data, 0};
    size_t start = 0;
    if (request->target_form == HTTP_TARGET_ABSOLUTE) {
        start = (size_t)(request->authority.data - target.data) + request->authority.length;
    }
    size_t end = start;
    while (end < target.length && target.data[end] != '?')
        end++;
    path.data = target.data + start;
    path.length = end - start;
    return path;
}

/* Rows of docs/conformance.md that every accepted head satisfies. */
static void check_complete(const char *buffer, const struct http_request *request)
{
    const char *head_end = buffer + request->consumed;
    require_spans_inside(request, buffer, head_end);
    REQUIRE(request->consumed >= 4 && memcmp(head_end - 4, "\r\n\r\n", 4) == 0,
            "head does not end with CRLF CRLF");

    /* Request line: only leading empty lines before it, exactly "m SP t SP HTTP/1.d" CRLF. */
    size_t line_start = (size_t)(request->request_line.data - buffer);
    REQUIRE(line_start % 2 == 0, "request line not after whole leading empty lines");
    for (size_t i = 0; i < line_start; i += 2)
        REQUIRE(buffer[i] == '\r' && buffer[i + 1] == '\n',
                "something other than CRLF before the request line");
    struct http_span line = request->request_line, method = request->method_name,
                     target = request->raw_target;
    REQUIRE(method.data == line.data && method.length > 0,
            "method does not start the request line");
    REQUIRE(target.data == method.data + method.length + 1 && target.length > 0,
            "target not after method SP");
    REQUIRE(line.length == method.length + 1 + target.length + 1 + 8,
            "request line length mismatch");
    REQUIRE(memcmp(line.data + line.length, "\r\n", 2) == 0, "request line not followed by CRLF");
    REQUIRE(line.data[method.length] == ' ' && target.data[target.length] == ' ',
            "request line separators");
    REQUIRE(memcmp(target.data + target.length + 1, "HTTP/1.", 7) == 0,
            "served version is not HTTP/1.x");
    REQUIRE(request->version_major == 1 && request->version_minor <= 9,
            "served version out of range");
    REQUIRE((unsigned)(target.data[target.length + 8] - '0') == request->version_minor,
            "version_minor mismatch");
    for (size_t i = 0; i < method.length; i++)
        REQUIRE(is_tchar((unsigned char)method.data[i]), "method is not a token");
    REQUIRE(request->method == HTTP_METHOD_GET || request->method == HTTP_METHOD_HEAD ||
                request->method == HTTP_METHOD_OPTIONS,
            "accepted a method that is not GET, HEAD or OPTIONS");
    const char *method_text = http_method_name(request->method);
    REQUIRE(span_equals_bytes(method, method_text, strlen(method_text)),
            "method enum does not match its bytes");

    /* Target bytes no form allows (controls, space, non-ASCII, "<>\`{}#). */
    for (size_t i = 0; i < target.length; i++) {
        unsigned char byte = (unsigned char)target.data[i];
        REQUIRE(byte > 0x20 && byte < 0x7f && strchr("\"<>\\`{}#", byte) == NULL,
                "forbidden byte in the target");
    }

    /* Target form, path, query, authority. */
    switch (request->target_form) {
    case HTTP_TARGET_ASTERISK:
        REQUIRE(request->method == HTTP_METHOD_OPTIONS,
                "asterisk-form with a method other than OPTIONS");
        REQUIRE(span_equals_bytes(target, "*", 1), "asterisk-form target is not \"*\"");
        REQUIRE(request->path_length == 0 && request->path[0] == '\0', "asterisk-form with a path");
        REQUIRE(request->query.data == NULL, "asterisk-form with a query");
        break;
    case HTTP_TARGET_ORIGIN:
    case HTTP_TARGET_ABSOLUTE: {
        if (request->target_form == HTTP_TARGET_ORIGIN) {
            REQUIRE(target.data[0] == '/', "origin-form target does not start with '/'");
        } else {
            int http = target.length > 7 && bytes_equal_nocase(target.data, 7, "http://", 7);
            int https = target.length > 8 && bytes_equal_nocase(target.data, 8, "https://", 8);
            REQUIRE(http || https, "absolute-form target without http:// or https://");
            struct http_span authority = request->authority;
            REQUIRE(authority.data == target.data + (http ? 7 : 8) && authority.length > 0,
                    "absolute-form authority is not right after the scheme");
            size_t after = (size_t)(authority.data - target.data) + authority.length;
            REQUIRE(after == target.length || target.data[after] == '/' ||
                        target.data[after] == '?',
                    "absolute-form authority does not end at '/', '?' or the end");
            REQUIRE(is_host_and_port(authority),
                    "accepted an absolute-form authority that is not host [\":\" port]");
        }
        check_path(request);
        const char *question = memchr(target.data, '?', target.length);
        if (question) {
            struct http_span query = request->query;
            REQUIRE(query.data == question + 1, "query does not start after the first '?'");
            REQUIRE(query.length == target.length - (size_t)(question + 1 - target.data),
                    "query does not run to the end of the target");
            for (size_t i = 0; i < query.length; i++) {
                if (query.data[i] != '%')
                    continue;
                REQUIRE(i + 2 < query.length &&
                            hex_digit_value((unsigned char)query.data[i + 1]) >= 0 &&
                            hex_digit_value((unsigned char)query.data[i + 2]) >= 0,
                        "accepted a query with a '%' not followed by two hex digits");
            }
        } else {
            REQUIRE(request->query.data == NULL, "query without '?'");
        }
        struct http_span raw_path = raw_path_of(request);
        static struct reference_path reference;
        reference_decode_path(raw_path.data, raw_path.length, &reference);
        REQUIRE(reference.reason == HTTP_REASON_NONE,
                "accepted a path the reference decoder refuses");
        REQUIRE(reference.length == request->path_length &&
                    memcmp(reference.path, request->path, reference.length) == 0,
                "decoded path differs from the reference decoder's");
        break;
    }
    default: invariant_broken("accepted an authority-form or unknown target form", __LINE__);
    }

    /* Fields: a token name at a line start, then ':', a trimmed value of allowed bytes. */
    REQUIRE(request->field_count <= HTTP_MAX_FIELDS, "field_count above HTTP_MAX_FIELDS");
    unsigned counts[HTTP_FIELD_COUNT] = {0};
    int16_t firsts[HTTP_FIELD_COUNT];
    for (unsigned id = 0; id < HTTP_FIELD_COUNT; id++)
        firsts[id] = -1;
    const char *previous_line_end = line.data + line.length + 2;
    for (uint32_t i = 0; i < request->field_count; i++) {
        const struct http_field *field = &request->fields[i];
        REQUIRE(field->name.data == previous_line_end,
                "field line does not follow the previous line");
        REQUIRE(field->name.length > 0 && field->name.data[field->name.length] == ':',
                "field name not before ':'");
        for (size_t j = 0; j < field->name.length; j++)
            REQUIRE(is_tchar((unsigned char)field->name.data[j]), "field name is not a token");
        const char *value_end = field->value.data + field->value.length;
        REQUIRE(field->value.data > field->name.data + field->name.length,
                "field value before the colon");
        for (const char *p = field->name.data + field->name.length + 1; p < field->value.data; p++)
            REQUIRE(is_ows((unsigned char)*p), "non-OWS between the colon and the value");
        if (field->value.length > 0)
            REQUIRE(!is_ows((unsigned char)field->value.data[0]) &&
                        !is_ows((unsigned char)value_end[-1]),
                    "field value not trimmed");
        for (size_t j = 0; j < field->value.length; j++) {
            unsigned char byte = (unsigned char)field->value.data[j];
            REQUIRE((byte >= 0x20 && byte != 0x7f) || byte == '\t',
                    "control byte in a field value");
        }
        const char *p = value_end;
        while (is_ows((unsigned char)*p))
            p++;
        REQUIRE(p[0] == '\r' && p[1] == '\n',
                "field line does not end with OWS CRLF after the value");
        previous_line_end = p + 2;

        REQUIRE((unsigned)field->id < HTTP_FIELD_COUNT, "field id out of range");
        for (unsigned id = 1; id < HTTP_FIELD_COUNT; id++) {
            const char *known = http_field_name((enum http_field_id)id);
            int matches =
                bytes_equal_nocase(field->name.data, field->name.length, known, strlen(known));
            REQUIRE(matches == (field->id == (enum http_field_id)id),
                    "field id does not match its name");
        }
        counts[field->id]++;
        if (firsts[field->id] < 0)
            firsts[field->id] = (int16_t)i;
    }
    REQUIRE(previous_line_end + 2 == head_end,
            "consumed is not the end of the empty line after the fields");
    for (unsigned id = 1; id < HTTP_FIELD_COUNT; id++) {
        REQUIRE(request->first_field[id] == firsts[id],
                "first_field does not index the first such field");
        REQUIRE(request->field_repeats[id] == (counts[id] > 255 ? 255 : counts[id]),
                "field_repeats miscounted");
    }

    /* Host, framing, persistence. */
    REQUIRE(counts[HTTP_FIELD_HOST] <= 1, "accepted more than one Host");
    REQUIRE(counts[HTTP_FIELD_HOST] == 1 || request->version_minor == 0,
            "accepted HTTP/1.1 without Host");
    if (request->target_form == HTTP_TARGET_ABSOLUTE) {
        REQUIRE(request->authority.data != NULL, "absolute-form without an authority");
    } else if (counts[HTTP_FIELD_HOST] == 1) {
        const struct http_field *host = &request->fields[firsts[HTTP_FIELD_HOST]];
        REQUIRE(request->authority.data == host->value.data &&
                    request->authority.length == host->value.length,
                "authority is not the Host value");
    } else {
        REQUIRE(request->authority.data == NULL, "authority without absolute-form or Host");
    }
    if (counts[HTTP_FIELD_HOST] == 1)
        REQUIRE(is_host_and_port(request->fields[firsts[HTTP_FIELD_HOST]].value),
                "accepted a Host that is not host [\":\" port]");
    REQUIRE(counts[HTTP_FIELD_TRANSFER_ENCODING] == 0, "accepted a Transfer-Encoding");
    REQUIRE(counts[HTTP_FIELD_CONTENT_LENGTH] <= 1, "accepted more than one Content-Length");
    if (counts[HTTP_FIELD_CONTENT_LENGTH] == 1) {
        struct http_span value = request->fields[firsts[HTTP_FIELD_CONTENT_LENGTH]].value;
        REQUIRE(value.length >= 1 && value.length <= 18,
                "accepted a Content-Length of 0 or over 18 digits");
        for (size_t j = 0; j < value.length; j++)
            REQUIRE(value.data[j] == '0', "accepted a Content-Length other than zero");
    }
    int has_close = 0, has_keep_alive = 0;
    for (uint32_t i = 0; i < request->field_count; i++) {
        if (request->fields[i].id != HTTP_FIELD_CONNECTION)
            continue;
        struct http_span value = request->fields[i].value;
        size_t start = 0;
        while (start <= value.length) { /* comma-separated options, OWS around each */
            size_t end = start;
            while (end < value.length && value.data[end] != ',')
                end++;
            size_t a = start, b = end;
            while (a < b && is_ows((unsigned char)value.data[a]))
                a++;
            while (b > a && is_ows((unsigned char)value.data[b - 1]))
                b--;
            for (size_t j = a; j < b; j++)
                REQUIRE(is_tchar((unsigned char)value.data[j]),
                        "accepted a Connection option that is not a token");
            has_close |= bytes_equal_nocase(value.data + a, b - a, "close", 5);
            has_keep_alive |= bytes_equal_nocase(value.data + a, b - a, "keep-alive", 10);
            start = end + 1;
        }
    }
    int expected_keep_alive =
        request->version_minor == 0 ? (has_keep_alive && !has_close) : !has_close;
    REQUIRE(request->keep_alive == (expected_keep_alive != 0),
            "keep_alive differs from RFC 9112 §9.3");
}

/* Every answer, whatever it is. */
static void check_outcome(enum http_parse_result result, const struct http_request *request,
                          const char *buffer, size_t length)
{
    REQUIRE(result == HTTP_PARSE_INCOMPLETE || result == HTTP_PARSE_COMPLETE ||
                result == HTTP_PARSE_ERROR,
            "result out of range");
    REQUIRE(request->field_count <= HTTP_MAX_FIELDS, "field_count above HTTP_MAX_FIELDS");
    require_spans_inside(request, buffer, buffer + length);
    switch (result) {
    case HTTP_PARSE_INCOMPLETE:
        REQUIRE(request->status == 0 && request->reason == HTTP_REASON_NONE,
                "incomplete with a status or reason");
        break;
    case HTTP_PARSE_ERROR: {
        int status = request->status;
        REQUIRE(status == 400 || status == 405 || status == 413 || status == 414 || status == 431 ||
                    status == 501 || status == 505,
                "error with a status outside {400,405,413,414,431,501,505}");
        REQUIRE(request->reason > HTTP_REASON_NONE && request->reason < HTTP_REASON_COUNT,
                "error without a valid reason");
        REQUIRE(status == expected_status(request->reason),
                "status does not match the reason's row");
        REQUIRE(strcmp(http_reason_name(request->reason), "unknown") != 0, "reason without a name");
        break;
    }
    case HTTP_PARSE_COMPLETE:
        REQUIRE(request->status == 0 && request->reason == HTTP_REASON_NONE,
                "complete with a status or reason");
        REQUIRE(request->consumed > 0 && request->consumed <= length,
                "complete with consumed out of range");
        check_complete(buffer, request);
        break;
    }
}

/* ---------------------------------------------------------------- derived inputs */

static struct http_request whole_request, poisoned_request, prefix_request, rebuilt_request,
    limited_request;

/* Growing prefixes, each ending where its heap buffer ends, as a server would
 * call the parser after each read: the first decision must be the whole
 * input's. Cuts: just after each CR (the "line not complete yet" edge) and at
 * pseudo-random points derived from the input. */
static void check_prefixes(const char *input, size_t length, enum http_parse_result whole_result,
                           uint64_t *random)
{
    enum { MAX_CUTS = 16 };
    size_t cuts[MAX_CUTS + 1];
    size_t cut_count = 0;
    for (size_t i = 0; i < length && cut_count < MAX_CUTS / 2; i++)
        if (input[i] == '\r')
            cuts[cut_count++] = i + 1;
    while (cut_count < MAX_CUTS && length > 1)
        cuts[cut_count++] = 1 + (size_t)(next_random(random) % (length - 1));
    cuts[cut_count++] = length;
    for (size_t i = 1; i < cut_count; i++) { /* insertion sort: at most 17 entries */
        size_t cut = cuts[i], j = i;
        while (j > 0 && cuts[j - 1] > cut) {
            cuts[j] = cuts[j - 1];
            j--;
        }
        cuts[j] = cut;
    }

    /* One allocation of the input's size; each prefix is copied to its end, so
     * the byte just past the prefix is past the allocation and ASan sees it. */
    char *area = copy_exact(input, length);
    size_t previous = 0;
    for (size_t i = 0; i < cut_count; i++) {
        size_t cut = cuts[i];
        if (cut == previous && i > 0)
            continue;
        previous = cut;
        char *prefix = area + (length - cut);
        if (cut > 0)
            memmove(prefix, input, cut);
        enum http_parse_result result = http_parse_request(prefix, cut, NULL, &prefix_request);
        check_outcome(result, &prefix_request, prefix, cut);
        if (result != HTTP_PARSE_INCOMPLETE) {
            REQUIRE(
                same_outcome(result, &prefix_request, prefix, whole_result, &whole_request, input),
                "a prefix decided differently from the whole input");
            free(area);
            return;
        }
    }
    free(area);
    REQUIRE(whole_result == HTTP_PARSE_INCOMPLETE, "no prefix decided, yet the whole input did");
}

/* An accepted head rebuilt from its parts ("method SP raw_target SP HTTP/1.d
 * CRLF", "name: value CRLF" each, CRLF) must parse to the same request. If
 * the added spaces would push the field block past its limit, the fields are
 * written "name:value", which is never longer than the original line. */
static void check_rebuilt(const struct http_request *original)
{
    size_t field_block = 2;
    for (uint32_t i = 0; i < original->field_count; i++)
        field_block += original->fields[i].name.length + 2 + original->fields[i].value.length + 2;
    int spaced = field_block <= HTTP_MAX_HEADER_BYTES;
    if (!spaced)
        field_block -= original->field_count;
    size_t line_length = original->method_name.length + 1 + original->raw_target.length + 1 + 8 + 2;
    size_t length = line_length + field_block;

    char *rebuilt = malloc(length);
    if (!rebuilt)
        abort();
    char *p = rebuilt;
    memcpy(p, original->method_name.data, original->method_name.length);
    p += original->method_name.length;
    *p++ = ' ';
    memcpy(p, original->raw_target.data, original->raw_target.length);
    p += original->raw_target.length;
    *p++ = ' ';
    memcpy(p, "HTTP/1.", 7);
    p += 7;
    *p++ = (char)('0' + original->version_minor);
    *p++ = '\r';
    *p++ = '\n';
    for (uint32_t i = 0; i < original->field_count; i++) {
        const struct http_field *field = &original->fields[i];
        memcpy(p, field->name.data, field->name.length);
        p += field->name.length;
        *p++ = ':';
        if (spaced)
            *p++ = ' ';
        if (field->value.length > 0)
            memcpy(p, field->value.data, field->value.length);
        p += field->value.length;
        *p++ = '\r';
        *p++ = '\n';
    }
    *p++ = '\r';
    *p++ = '\n';
    REQUIRE((size_t)(p - rebuilt) == length, "rebuilt head length miscounted (harness bug)");

    const struct http_request *again = &rebuilt_request;
    enum http_parse_result result = http_parse_request(rebuilt, length, NULL, &rebuilt_request);
    check_outcome(result, again, rebuilt, length);
    REQUIRE(result == HTTP_PARSE_COMPLETE, "a rebuilt accepted head is not accepted");
    REQUIRE(again->consumed == length, "a rebuilt head is not consumed whole");
    REQUIRE(again->method == original->method &&
                spans_same_bytes(again->method_name, original->method_name),
            "rebuilt head: method differs");
    REQUIRE(spans_same_bytes(again->raw_target, original->raw_target) &&
                again->target_form == original->target_form,
            "rebuilt head: target differs");
    REQUIRE(again->path_length == original->path_length &&
                memcmp(again->path, original->path, original->path_length + 1) == 0,
            "rebuilt head: path differs");
    REQUIRE(spans_same_bytes(again->query, original->query), "rebuilt head: query differs");
    REQUIRE(spans_same_bytes(again->authority, original->authority),
            "rebuilt head: authority differs");
    REQUIRE(again->version_major == original->version_major &&
                again->version_minor == original->version_minor,
            "rebuilt head: version differs");
    REQUIRE(again->keep_alive == original->keep_alive, "rebuilt head: keep_alive differs");
    REQUIRE(again->field_count == original->field_count, "rebuilt head: field count differs");
    for (uint32_t i = 0; i < original->field_count; i++) {
        REQUIRE(again->fields[i].id == original->fields[i].id &&
                    spans_same_bytes(again->fields[i].name, original->fields[i].name) &&
                    spans_same_bytes(again->fields[i].value, original->fields[i].value),
                "rebuilt head: a field differs");
    }
    free(rebuilt);
}

/* Lowered limits (and, now and then, limits above the maximum, which must be
 * clamped): only a limit refusal may differ from the default answer. */
static void check_lowered_limits(const char *input, size_t length,
                                 enum http_parse_result whole_result, uint64_t *random)
{
    struct http_limits limits = http_default_limits();
    uint64_t choice = next_random(random);
    uint32_t span = (uint32_t)(length < 4096 ? length + 8 : 4096);
    switch (choice % 4) {
    case 0: /* far above the maximum: clamped to the defaults */
        limits.max_request_line = UINT32_MAX;
        limits.max_header_bytes = UINT32_MAX;
        limits.max_fields = UINT32_MAX;
        break;
    case 1: limits.max_request_line = 1 + (uint32_t)(next_random(random) % span); break;
    case 2: limits.max_header_bytes = 1 + (uint32_t)(next_random(random) % span); break;
    default:
        limits.max_request_line = 1 + (uint32_t)(next_random(random) % span);
        limits.max_header_bytes = 1 + (uint32_t)(next_random(random) % span);
        limits.max_fields = (uint32_t)(next_random(random) % (HTTP_MAX_FIELDS + 1));
        break;
    }
    enum http_parse_result result = http_parse_request(input, length, &limits, &limited_request);
    check_outcome(result, &limited_request, input, length);
    if (choice % 4 == 0) {
        REQUIRE(same_outcome(result, &limited_request, input, whole_result, &whole_request, input),
                "limits above the maximum are not clamped to the defaults");
        return;
    }
    if (result == HTTP_PARSE_ERROR && is_limit_reason(limited_request.reason))
        return;
    REQUIRE(same_outcome(result, &limited_request, input, whole_result, &whole_request, input),
            "lowered limits changed an answer other than into a limit refusal");
}

/* ---------------------------------------------------------------- entry */

enum { MAX_PIPELINED = 4 };

static void check_input(const char *data, size_t size, unsigned depth)
{
    char *input = copy_exact(data, size);
    uint64_t random = hash_bytes(input, size);

    enum http_parse_result result = parse_poisoned(input, size, NULL, &whole_request, 0xa5);
    check_outcome(result, &whole_request, input, size);
    enum http_parse_result again = parse_poisoned(input, size, NULL, &poisoned_request, 0x00);
    REQUIRE(same_outcome(result, &whole_request, input, again, &poisoned_request, input),
            "the answer depends on the request structure's previous contents");

    check_prefixes(input, size, result, &random);
    check_lowered_limits(input, size, result, &random);
    if (result == HTTP_PARSE_COMPLETE)
        check_rebuilt(&whole_request);

    /* A pipelined head starts at the next byte (docs/conformance.md, "Persistence"). */
    size_t consumed = result == HTTP_PARSE_COMPLETE ? whole_request.consumed : size;
    free(input);
    if (consumed < size && depth + 1 < MAX_PIPELINED)
        check_input(data + consumed, size - consumed, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_input((const char *)data, size, 0);
    return 0;
}

#include "afl_persistent_main.h" /* AFL++ persistent mode; nothing under libFuzzer */
