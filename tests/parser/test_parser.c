/* test_parser.c: the unit tests of the request-head parser (src/http/http_parser.c).
 *
 * What it does: loads tests/parser/cases.txt (its format is documented at the
 * top of that file) and runs every case whole, byte by byte and split at random
 * points (several seeds), requiring the same final outcome each time: result,
 * status, reason, consumed and every parsed field. Then it runs targeted tests
 * of every limit at the limit and one byte past it (defaults, lowered limits
 * and out-of-range limits), a realistic browser request with an 8 KiB Cookie,
 * and every raw input in tests/parser/regressions/ (fuzzer findings) through
 * the same consistency checks. Finally it verifies that every row of the tables
 * in docs/conformance.md is tagged by at least one case and that every reason
 * code of enum http_reason except NONE is expected by at least one case.
 *
 * Contract: usage `test_parser CASES_FILE CONFORMANCE_DOC REGRESSIONS_DIR`.
 * Checks go through the shared harness (tests/unit/unit.h), which also feeds
 * each case byte by byte and split at random. Prints one precise line per
 * failing case and, at the end, the summary line `parser: N cases, M checks
 * passed`; exits 0 only when nothing failed, 1 on a test failure (after a line
 * naming the seed), 2 on a usage error or an unreadable or malformed input
 * file. Every buffer handed to the parser is a heap copy of exactly the length
 * passed, so AddressSanitizer reports any read at or past `length`; the request
 * is filled with garbage before every call, because the parser must write it
 * and never read it. The random splits are reproducible: the base seed is
 * printed on failure and can be set with PARSER_TEST_SEED.
 *
 * Must not: use anything of the parser but the frozen interface
 * include/http/http_parser.h, take an expected value from the parser itself, or
 * pass a test that never ran. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parser.h"
#include "unit.h"

#define SPLIT_SEEDS 8u            /* random splits per case */
#define MAX_CUTS 12u              /* cut points per random split */
#define MAX_REPEAT 100000u        /* \{N:...} in cases.txt */
#define MAX_CASE_BYTES (1u << 20) /* bytes of one case or regression input */
#define DEFAULT_BASE_SEED 0x5eedu
#define POISON_BYTE 0xA5

/* ------------------------------------------------------------------ utilities */

/* A growable byte string; data is never NUL-terminated by contract. */
struct bytes {
    char *data;
    size_t length;
    size_t capacity;
};

static void bytes_append(struct bytes *target, const char *data, size_t length)
{
    if (length > MAX_CASE_BYTES || target->length > MAX_CASE_BYTES - length)
        unit_die(NULL, "input longer than %u bytes", MAX_CASE_BYTES);
    if (target->length + length > target->capacity) {
        size_t capacity = target->capacity ? target->capacity : 64u;
        while (capacity < target->length + length)
            capacity *= 2u;
        target->data = unit_reallocate(target->data, capacity);
        target->capacity = capacity;
    }
    if (length)
        memcpy(target->data + target->length, data, length);
    target->length += length;
}

static void bytes_append_repeat(struct bytes *target, char byte, size_t count)
{
    for (size_t i = 0; i < count; i++)
        bytes_append(target, &byte, 1u);
}

static void bytes_free(struct bytes *target)
{
    free(target->data);
    target->data = NULL;
    target->length = target->capacity = 0;
}

static bool bytes_equal(const struct bytes *expected, const char *data, size_t length)
{
    return expected->length == length && (length == 0 || memcmp(expected->data, data, length) == 0);
}

/* Copies a string of known length into a fresh NUL-terminated heap string. */
static char *copy_string(const char *data, size_t length)
{
    char *copy = unit_reallocate(NULL, length + 1u);
    memcpy(copy, data, length);
    copy[length] = '\0';
    return copy;
}

/* Names a case's own stream of random splits, whatever its place in the run. */
static uint64_t hash_name(const char *name)
{
    uint64_t hash = 1469598103934665603u; /* FNV-1a */
    for (const char *p = name; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211u;
    return hash;
}

/* ------------------------------------------------------------------ the documented contract */

/* docs/conformance.md pairs each reason with one status; restated here from the
 * tables so that a status drifting away from its row is caught. */
static int documented_status(enum http_reason reason)
{
    switch (reason) {
    case HTTP_REASON_NONE:
    case HTTP_REASON_COUNT: return 0;
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

static bool reason_from_name(const char *name, size_t length, enum http_reason *reason)
{
    for (unsigned code = HTTP_REASON_NONE + 1u; code < HTTP_REASON_COUNT; code++) {
        const char *known = http_reason_name((enum http_reason)code);
        if (strlen(known) == length && memcmp(known, name, length) == 0) {
            *reason = (enum http_reason)code;
            return true;
        }
    }
    return false;
}

static const char *const RESULT_NAMES[] = {"incomplete", "complete", "error"};

static const char *result_name(enum http_parse_result result)
{
    return (unsigned)result < 3u ? RESULT_NAMES[result] : "invalid-result";
}

static const char *const FORM_NAMES[] = {"origin", "absolute", "authority", "asterisk"};

/* The limits the parser must apply: flags may only lower the defaults. */
static struct http_limits effective_limits(const struct http_limits *limits)
{
    struct http_limits effective = http_default_limits();
    if (limits) {
        if (limits->max_request_line < effective.max_request_line)
            effective.max_request_line = limits->max_request_line;
        if (limits->max_header_bytes < effective.max_header_bytes)
            effective.max_header_bytes = limits->max_header_bytes;
        if (limits->max_fields < effective.max_fields)
            effective.max_fields = limits->max_fields;
    }
    return effective;
}

/* ------------------------------------------------------------------ cases */

struct field_expectation {
    struct bytes name;
    struct bytes value;
};

enum presence { UNCHECKED = 0, ABSENT, PRESENT };

struct test_case {
    char *name;
    char *origin; /* "cases.txt:123", "built-in" or the regression file */
    struct bytes input;
    size_t head_length; /* the bytes before the first `after:`: the expected consumed */
    bool has_limits;
    struct http_limits limits;

    bool has_expectation; /* false for regression inputs: consistency only */
    enum http_parse_result result;
    int status;
    enum http_reason reason;
    bool has_explicit_consumed;
    size_t explicit_consumed;

    bool has_method, has_path, has_version;
    struct bytes method, path;
    enum presence query_presence, authority_presence;
    struct bytes query, authority;
    unsigned version_major, version_minor;
    int keep_alive;   /* -1 unchecked */
    int target_form;  /* -1 unchecked */
    long field_count; /* -1 unchecked */
    struct field_expectation *fields;
    size_t field_expectations;

    bool has_after_expectation;
    enum http_parse_result after_result;
    int after_status;
    enum http_reason after_reason;
    bool has_after_path;
    struct bytes after_path;

    unsigned *rows;
    size_t row_count;
};

static struct test_case *new_case(const char *name, const char *origin)
{
    struct test_case *test = unit_reallocate(NULL, sizeof *test);
    memset(test, 0, sizeof *test);
    test->name = copy_string(name, strlen(name));
    test->origin = copy_string(origin, strlen(origin));
    test->keep_alive = -1;
    test->target_form = -1;
    test->field_count = -1;
    return test;
}

static void free_case(struct test_case *test)
{
    free(test->name);
    free(test->origin);
    bytes_free(&test->input);
    bytes_free(&test->method);
    bytes_free(&test->path);
    bytes_free(&test->query);
    bytes_free(&test->authority);
    bytes_free(&test->after_path);
    for (size_t i = 0; i < test->field_expectations; i++) {
        bytes_free(&test->fields[i].name);
        bytes_free(&test->fields[i].value);
    }
    free(test->fields);
    free(test->rows);
    free(test);
}

/* Reasons that some case expects: every code must be exercised at least once. */
static bool reason_expected[HTTP_REASON_COUNT];

static void note_expected_reasons(const struct test_case *test)
{
    if (!test->has_expectation)
        return;
    if (test->result == HTTP_PARSE_ERROR)
        reason_expected[test->reason] = true;
    if (test->has_after_expectation && test->after_result == HTTP_PARSE_ERROR)
        reason_expected[test->after_reason] = true;
}

/* ------------------------------------------------------------------ outcomes */

struct span_snapshot {
    long offset; /* from the start of the buffer; -1 when data is NULL */
    size_t length;
};

struct field_snapshot {
    struct span_snapshot name, value;
    enum http_field_id id;
};

/* Everything the parser reported, with spans as offsets so that outcomes of
 * different copies of the same bytes can be compared. */
struct outcome {
    enum http_parse_result result;
    int status;
    enum http_reason reason;
    size_t consumed;
    struct span_snapshot request_line, method_name, raw_target, query, authority;
    enum http_method method;
    enum http_target_form target_form;
    unsigned version_major, version_minor;
    size_t path_length;
    char path[HTTP_MAX_PATH];
    bool keep_alive;
    uint32_t field_count;
    struct field_snapshot fields[HTTP_MAX_FIELDS];
    int16_t first_field[HTTP_FIELD_COUNT];
    uint8_t field_repeats[HTTP_FIELD_COUNT];
};

static struct span_snapshot snapshot_span(const char *buffer, struct http_span span)
{
    struct span_snapshot snapshot = {-1, span.length};
    if (span.data)
        snapshot.offset = (long)(span.data - buffer);
    return snapshot;
}

static bool span_inside(const char *buffer, size_t length, struct http_span span)
{
    if (!span.data)
        return span.length == 0;
    uintptr_t start = (uintptr_t)buffer, data = (uintptr_t)span.data;
    return data >= start && data - start <= length && span.length <= length - (data - start);
}

static bool is_ows_byte(char byte)
{
    return byte == ' ' || byte == '\t';
}

static bool names_match_case_insensitively(const char *name, size_t length, const char *canonical)
{
    if (strlen(canonical) != length)
        return false;
    for (size_t i = 0; i < length; i++) {
        unsigned char a = (unsigned char)name[i], b = (unsigned char)canonical[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

static enum http_field_id expected_field_id(const char *name, size_t length)
{
    for (unsigned id = HTTP_FIELD_OTHER + 1u; id < HTTP_FIELD_COUNT; id++) {
        const char *canonical = http_field_name((enum http_field_id)id);
        if (canonical && names_match_case_insensitively(name, length, canonical))
            return (enum http_field_id)id;
    }
    return HTTP_FIELD_OTHER;
}

/* Properties every answer must have, whatever the bytes. Writes why on failure. */
static bool check_invariants(const char *buffer, size_t length, const struct http_limits *limits,
                             enum http_parse_result result, const struct http_request *request,
                             char *why, size_t why_size)
{
    struct http_limits effective = effective_limits(limits);
    if ((unsigned)result > HTTP_PARSE_ERROR) {
        snprintf(why, why_size, "result %d is not a member of enum http_parse_result", (int)result);
        return false;
    }
    if (result == HTTP_PARSE_ERROR) {
        if (request->reason <= HTTP_REASON_NONE || request->reason >= HTTP_REASON_COUNT) {
            snprintf(why, why_size, "error with reason %d", (int)request->reason);
            return false;
        }
        if (request->status != documented_status(request->reason)) {
            snprintf(why, why_size, "reason %s with status %d, docs/conformance.md says %d",
                     http_reason_name(request->reason), request->status,
                     documented_status(request->reason));
            return false;
        }
        return true;
    }
    if (result == HTTP_PARSE_INCOMPLETE)
        return true;

    if (request->status != 0 || request->reason != HTTP_REASON_NONE) {
        snprintf(why, why_size, "complete with status %d reason %s", request->status,
                 http_reason_name(request->reason));
        return false;
    }
    /* RFC 9112 §2.1: a head ends with the empty line, so its last four bytes are CRLF CRLF. */
    if (request->consumed < 4u || request->consumed > length ||
        memcmp(buffer + request->consumed - 4u, "\r\n\r\n", 4u) != 0) {
        snprintf(why, why_size, "consumed %zu of %zu does not end just after CRLF CRLF",
                 request->consumed, length);
        return false;
    }
    const struct http_span spans[] = {request->request_line, request->method_name,
                                      request->raw_target, request->query, request->authority};
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (!span_inside(buffer, request->consumed, spans[i]) || (i < 3u && !spans[i].data)) {
            snprintf(why, why_size, "request span %zu is outside the head or missing", i);
            return false;
        }
    if (request->method != HTTP_METHOD_GET && request->method != HTTP_METHOD_HEAD &&
        request->method != HTTP_METHOD_OPTIONS) {
        snprintf(why, why_size, "complete with method %s, which the doc refuses",
                 http_method_name(request->method));
        return false;
    }
    const char *method_name = http_method_name(request->method);
    if (strlen(method_name) != request->method_name.length ||
        memcmp(method_name, request->method_name.data, request->method_name.length) != 0) {
        snprintf(why, why_size, "method enum %s does not match the token received", method_name);
        return false;
    }
    if (request->version_major != 1 || request->version_minor > 9) {
        snprintf(why, why_size, "complete with version %u.%u", request->version_major,
                 request->version_minor);
        return false;
    }
    bool pathless = request->target_form == HTTP_TARGET_ASTERISK ||
                    request->target_form == HTTP_TARGET_AUTHORITY;
    if (request->path_length >= HTTP_MAX_PATH || request->path[request->path_length] != '\0' ||
        memchr(request->path, '\0', request->path_length) != NULL ||
        (pathless ? request->path_length != 0
                  : (request->path_length == 0 || request->path[0] != '/'))) {
        snprintf(why, why_size,
                 "decoded path of %zu bytes is not a NUL-terminated path starting with '/'",
                 request->path_length);
        return false;
    }
    if (request->field_count > effective.max_fields) {
        snprintf(why, why_size, "%u fields, over the limit of %u", request->field_count,
                 effective.max_fields);
        return false;
    }
    unsigned repeats[HTTP_FIELD_COUNT] = {0};
    int first[HTTP_FIELD_COUNT];
    for (unsigned id = 0; id < HTTP_FIELD_COUNT; id++)
        first[id] = -1;
    for (uint32_t i = 0; i < request->field_count; i++) {
        const struct http_field *field = &request->fields[i];
        if (!span_inside(buffer, request->consumed, field->name) ||
            !span_inside(buffer, request->consumed, field->value) || !field->name.data ||
            !field->value.data) {
            snprintf(why, why_size, "field %u spans lie outside the head", i);
            return false;
        }
        if (field->value.length && (is_ows_byte(field->value.data[0]) ||
                                    is_ows_byte(field->value.data[field->value.length - 1u]))) {
            snprintf(why, why_size, "field %u value keeps surrounding whitespace", i);
            return false;
        }
        if (field->id != expected_field_id(field->name.data, field->name.length)) {
            snprintf(why, why_size, "field %u has id %d, its name says %d", i, (int)field->id,
                     (int)expected_field_id(field->name.data, field->name.length));
            return false;
        }
        if (field->id != HTTP_FIELD_OTHER) {
            repeats[field->id]++;
            if (first[field->id] < 0)
                first[field->id] = (int)i;
        }
    }
    for (unsigned id = HTTP_FIELD_OTHER + 1u; id < HTTP_FIELD_COUNT; id++) {
        unsigned saturated = repeats[id] > 255u ? 255u : repeats[id];
        if (request->first_field[id] != first[id] || request->field_repeats[id] != saturated) {
            snprintf(why, why_size, "first_field/field_repeats of %s disagree with fields[]",
                     http_field_name((enum http_field_id)id));
            return false;
        }
        const struct http_field *found = http_request_field(request, (enum http_field_id)id);
        if (found != (first[id] < 0 ? NULL : &request->fields[first[id]])) {
            snprintf(why, why_size, "http_request_field(%s) does not return the first such field",
                     http_field_name((enum http_field_id)id));
            return false;
        }
    }
    return true;
}

static void take_snapshot(const char *buffer, enum http_parse_result result,
                          const struct http_request *request, struct outcome *outcome)
{
    memset(outcome, 0, sizeof *outcome);
    outcome->result = result;
    outcome->status = request->status;
    outcome->reason = request->reason;
    outcome->consumed = request->consumed;
    outcome->request_line = snapshot_span(buffer, request->request_line);
    outcome->method_name = snapshot_span(buffer, request->method_name);
    outcome->raw_target = snapshot_span(buffer, request->raw_target);
    outcome->query = snapshot_span(buffer, request->query);
    outcome->authority = snapshot_span(buffer, request->authority);
    outcome->method = request->method;
    outcome->target_form = request->target_form;
    outcome->version_major = request->version_major;
    outcome->version_minor = request->version_minor;
    outcome->keep_alive = request->keep_alive;
    /* Only a complete answer promises a path and fields; for the others the
     * counts are still compared, the contents are not. */
    outcome->path_length = request->path_length;
    outcome->field_count = request->field_count;
    if (result != HTTP_PARSE_COMPLETE)
        return;
    memcpy(outcome->path, request->path, request->path_length + 1u);
    for (uint32_t i = 0; i < request->field_count && i < HTTP_MAX_FIELDS; i++) {
        outcome->fields[i].name = snapshot_span(buffer, request->fields[i].name);
        outcome->fields[i].value = snapshot_span(buffer, request->fields[i].value);
        outcome->fields[i].id = request->fields[i].id;
    }
    memcpy(outcome->first_field, request->first_field, sizeof outcome->first_field);
    memcpy(outcome->field_repeats, request->field_repeats, sizeof outcome->field_repeats);
}

static bool spans_equal(struct span_snapshot a, struct span_snapshot b)
{
    return a.offset == b.offset && a.length == b.length;
}

/* Names the first difference between two outcomes, or returns true. */
static bool same_outcome(const struct outcome *a, const struct outcome *b, char *why,
                         size_t why_size)
{
    if (a->result != b->result || a->status != b->status || a->reason != b->reason) {
        snprintf(why, why_size, "%s %d %s versus %s %d %s", result_name(a->result), a->status,
                 http_reason_name(a->reason), result_name(b->result), b->status,
                 http_reason_name(b->reason));
        return false;
    }
    const char *differs = NULL;
    if (a->consumed != b->consumed)
        differs = "consumed";
    else if (!spans_equal(a->request_line, b->request_line))
        differs = "request_line";
    else if (!spans_equal(a->method_name, b->method_name) || a->method != b->method)
        differs = "method";
    else if (!spans_equal(a->raw_target, b->raw_target) || a->target_form != b->target_form)
        differs = "target";
    else if (!spans_equal(a->query, b->query))
        differs = "query";
    else if (!spans_equal(a->authority, b->authority))
        differs = "authority";
    else if (a->version_major != b->version_major || a->version_minor != b->version_minor)
        differs = "version";
    else if (a->path_length != b->path_length || memcmp(a->path, b->path, a->path_length + 1u) != 0)
        differs = "path";
    else if (a->keep_alive != b->keep_alive)
        differs = "keep_alive";
    else if (a->field_count != b->field_count)
        differs = "field_count";
    else if (memcmp(a->first_field, b->first_field, sizeof a->first_field) != 0 ||
             memcmp(a->field_repeats, b->field_repeats, sizeof a->field_repeats) != 0)
        differs = "first_field/field_repeats";
    for (uint32_t i = 0; !differs && i < a->field_count && i < HTTP_MAX_FIELDS; i++)
        if (!spans_equal(a->fields[i].name, b->fields[i].name) ||
            !spans_equal(a->fields[i].value, b->fields[i].value) ||
            a->fields[i].id != b->fields[i].id)
            differs = "fields";
    if (differs) {
        snprintf(why, why_size, "same result %s but %s differs", result_name(a->result), differs);
        return false;
    }
    return true;
}

/* One parser call on an exact-length heap copy of data[0, length), with the
 * request poisoned first. Checks the invariants; returns false (and why) when
 * one is broken. */
static bool parse_exact_copy(const char *data, size_t length, const struct http_limits *limits,
                             struct http_request *request, struct outcome *outcome, char *why,
                             size_t why_size)
{
    char *copy = unit_exact_copy(data, length);
    memset(request, POISON_BYTE, sizeof *request);
    enum http_parse_result result = http_parse_request(copy, length, limits, request);
    bool valid = check_invariants(copy, length, limits, result, request, why, why_size);
    take_snapshot(copy, result, request, outcome);
    free(copy);
    return valid;
}

/* ------------------------------------------------------------------ running a case */

struct runner {
    struct http_request *request;
    struct outcome *whole, *probe;
};

/* "cases.txt:123: case NAME": where a case's failures are reported. */
static void name_case(const struct test_case *test, char *where, size_t where_size)
{
    snprintf(where, where_size, "%s: case %s", test->origin, test->name);
}

__attribute__((format(printf, 3, 4))) static void fail_case(const struct test_case *test,
                                                            const char *stage, const char *format,
                                                            ...)
{
    char where[1024], case_name[768];
    name_case(test, case_name, sizeof case_name);
    snprintf(where, sizeof where, "%s [%s]", case_name, stage);
    va_list arguments;
    va_start(arguments, format);
    unit_vfail(where, format, arguments);
    va_end(arguments);
}

static const struct http_limits *case_limits(const struct test_case *test)
{
    return test->has_limits ? &test->limits : NULL;
}

static bool check_span_expectation(const struct test_case *test, const char *key,
                                   enum presence presence, const struct bytes *expected,
                                   struct span_snapshot actual)
{
    char shown[UNIT_RENDER_SIZE];
    if (presence == UNCHECKED)
        return true;
    if (presence == ABSENT && actual.offset >= 0) {
        fail_case(
            test, "whole", "%s: expected none, got \"%s\"", key,
            unit_render(test->input.data + actual.offset, actual.length, shown, sizeof shown));
        return false;
    }
    if (presence == PRESENT &&
        (actual.offset < 0 ||
         !bytes_equal(expected, test->input.data + actual.offset, actual.length))) {
        char wanted[UNIT_RENDER_SIZE];
        fail_case(test, "whole", "%s: expected \"%s\", got %s%s%s", key,
                  unit_render(expected->data, expected->length, wanted, sizeof wanted),
                  actual.offset < 0 ? "none" : "\"",
                  actual.offset < 0 ? ""
                                    : unit_render(test->input.data + actual.offset, actual.length,
                                                  shown, sizeof shown),
                  actual.offset < 0 ? "" : "\"");
        return false;
    }
    unit_pass(1);
    return true;
}

/* The whole input's outcome against what the case expects. */
static bool check_expectations(const struct test_case *test, const struct outcome *got)
{
    char wanted[UNIT_RENDER_SIZE], shown[UNIT_RENDER_SIZE];
    if (got->result != test->result || got->status != test->status || got->reason != test->reason) {
        fail_case(test, "whole", "expected %s %d %s, got %s %d %s", result_name(test->result),
                  test->status, http_reason_name(test->reason), result_name(got->result),
                  got->status, http_reason_name(got->reason));
        return false;
    }
    unit_pass(1);
    if (test->result != HTTP_PARSE_COMPLETE)
        return true;
    if (got->consumed != test->head_length ||
        (test->has_explicit_consumed && got->consumed != test->explicit_consumed)) {
        fail_case(test, "whole", "consumed %zu, expected %zu (the bytes before the next request)",
                  got->consumed, test->head_length);
        return false;
    }
    unit_pass(1);
    if (test->has_method && !bytes_equal(&test->method, test->input.data + got->method_name.offset,
                                         got->method_name.length)) {
        fail_case(test, "whole", "method \"%s\", expected \"%s\"",
                  unit_render(test->input.data + got->method_name.offset, got->method_name.length,
                              shown, sizeof shown),
                  unit_render(test->method.data, test->method.length, wanted, sizeof wanted));
        return false;
    }
    if (test->has_path && !bytes_equal(&test->path, got->path, got->path_length)) {
        fail_case(test, "whole", "decoded path \"%s\", expected \"%s\"",
                  unit_render(got->path, got->path_length, shown, sizeof shown),
                  unit_render(test->path.data, test->path.length, wanted, sizeof wanted));
        return false;
    }
    unit_pass((unsigned)test->has_method + (unsigned)test->has_path);
    if (!check_span_expectation(test, "query", test->query_presence, &test->query, got->query) ||
        !check_span_expectation(test, "authority", test->authority_presence, &test->authority,
                                got->authority))
        return false;
    if (test->has_version &&
        (got->version_major != test->version_major || got->version_minor != test->version_minor)) {
        fail_case(test, "whole", "version %u.%u, expected %u.%u", got->version_major,
                  got->version_minor, test->version_major, test->version_minor);
        return false;
    }
    if (test->keep_alive >= 0 && got->keep_alive != (test->keep_alive == 1)) {
        fail_case(test, "whole", "keep_alive %s, expected %s", got->keep_alive ? "yes" : "no",
                  test->keep_alive ? "yes" : "no");
        return false;
    }
    if (test->target_form >= 0 && (int)got->target_form != test->target_form) {
        fail_case(test, "whole", "target form %s, expected %s", FORM_NAMES[got->target_form & 3],
                  FORM_NAMES[test->target_form]);
        return false;
    }
    if (test->field_count >= 0 && got->field_count != (uint32_t)test->field_count) {
        fail_case(test, "whole", "%u fields, expected %ld", got->field_count, test->field_count);
        return false;
    }
    unit_pass((unsigned)test->has_version + (unsigned)(test->keep_alive >= 0) +
              (unsigned)(test->target_form >= 0) + (unsigned)(test->field_count >= 0));
    /* field: lines must appear in this order among the fields (a subsequence). */
    uint32_t next = 0;
    for (size_t i = 0; i < test->field_expectations; i++) {
        const struct field_expectation *expected = &test->fields[i];
        while (next < got->field_count &&
               !(bytes_equal(&expected->name, test->input.data + got->fields[next].name.offset,
                             got->fields[next].name.length) &&
                 bytes_equal(&expected->value, test->input.data + got->fields[next].value.offset,
                             got->fields[next].value.length)))
            next++;
        if (next == got->field_count) {
            fail_case(
                test, "whole", "no field \"%s\" with value \"%s\" (in this order)",
                unit_render(expected->name.data, expected->name.length, wanted, sizeof wanted),
                unit_render(expected->value.data, expected->value.length, shown, sizeof shown));
            return false;
        }
        next++;
        unit_pass(1);
    }
    return true;
}

/* What follows a complete head is the next request: parse it on its own. */
static bool check_after(const struct test_case *test, struct runner *runner)
{
    if (!test->has_after_expectation || test->result != HTTP_PARSE_COMPLETE)
        return true;
    char why[512], shown[UNIT_RENDER_SIZE], wanted[UNIT_RENDER_SIZE];
    const char *rest = test->input.data + test->head_length;
    size_t rest_length = test->input.length - test->head_length;
    if (!parse_exact_copy(rest, rest_length, case_limits(test), runner->request, runner->probe, why,
                          sizeof why)) {
        fail_case(test, "after", "%s", why);
        return false;
    }
    const struct outcome *got = runner->probe;
    if (got->result != test->after_result || got->status != test->after_status ||
        got->reason != test->after_reason) {
        fail_case(test, "after", "the next request gave %s %d %s, expected %s %d %s",
                  result_name(got->result), got->status, http_reason_name(got->reason),
                  result_name(test->after_result), test->after_status,
                  http_reason_name(test->after_reason));
        return false;
    }
    if (test->has_after_path && !bytes_equal(&test->after_path, got->path, got->path_length)) {
        fail_case(
            test, "after", "the next request's path is \"%s\", expected \"%s\"",
            unit_render(got->path, got->path_length, shown, sizeof shown),
            unit_render(test->after_path.data, test->after_path.length, wanted, sizeof wanted));
        return false;
    }
    unit_pass(1u + (unsigned)test->has_after_path);
    return true;
}

/* A case being fed to the parser in pieces (unit_feed_byte_by_byte,
 * unit_feed_random_splits), as reads from a socket would deliver it. */
struct case_feed {
    const struct test_case *test;
    struct runner *runner;
};

/* The first decision on a growing prefix must be the whole input's. */
static enum unit_judgement judge_prefix(void *context, size_t prefix,
                                        const struct unit_delivery *delivery, char *why,
                                        size_t why_size)
{
    const struct case_feed *feed = context;
    const struct test_case *test = feed->test;
    struct runner *runner = feed->runner;
    if (!parse_exact_copy(test->input.data, prefix, case_limits(test), runner->request,
                          runner->probe, why, why_size))
        return UNIT_DISAGREES;
    if (prefix == 0 && runner->probe->result != HTTP_PARSE_INCOMPLETE) {
        snprintf(why, why_size, "no bytes at all must be incomplete, not %s",
                 result_name(runner->probe->result));
        return UNIT_DISAGREES;
    }
    if (runner->probe->result == HTTP_PARSE_INCOMPLETE && prefix < test->input.length)
        return UNIT_WAITING;
    char difference[512];
    if (!same_outcome(runner->whole, runner->probe, difference, sizeof difference)) {
        snprintf(why, why_size, "the first decision disagrees with the whole input: whole %s",
                 difference);
        return UNIT_DISAGREES;
    }
    /* A head is complete exactly when the LF of its empty line arrives: no
     * earlier, and no rule may fire on a prefix of a valid head. */
    if (delivery->every_byte && runner->whole->result == HTTP_PARSE_COMPLETE &&
        prefix != runner->whole->consumed) {
        snprintf(why, why_size, "complete at %zu bytes, but consumed is %zu", prefix,
                 runner->whole->consumed);
        return UNIT_DISAGREES;
    }
    return UNIT_AGREES;
}

/* Byte by byte from no bytes at all, then SPLIT_SEEDS random splits drawn from
 * the case's own stream (the base seed and its name). */
static bool check_pieces(const struct test_case *test, struct runner *runner)
{
    char where[768];
    name_case(test, where, sizeof where);
    struct case_feed context = {test, runner};
    const struct unit_feed feed = {where, test->input.length, judge_prefix, &context};
    uint64_t random = unit_random_state(hash_name(test->name));
    return unit_feed_byte_by_byte(&feed, 0, true) &&
           unit_feed_random_splits(&feed, &random, SPLIT_SEEDS, MAX_CUTS);
}

/* The same bytes with limits NULL and with the defaults spelled out must agree. */
static bool check_default_limits(const struct test_case *test, struct runner *runner)
{
    if (test->has_limits)
        return true;
    char why[512];
    struct http_limits defaults = http_default_limits();
    if (defaults.max_request_line != HTTP_MAX_REQUEST_LINE ||
        defaults.max_header_bytes != HTTP_MAX_HEADER_BYTES ||
        defaults.max_fields != HTTP_MAX_FIELDS) {
        fail_case(test, "default limits", "http_default_limits() differs from the header's macros");
        return false;
    }
    if (!parse_exact_copy(test->input.data, test->input.length, &defaults, runner->request,
                          runner->probe, why, sizeof why) ||
        !same_outcome(runner->whole, runner->probe, why, sizeof why)) {
        fail_case(test, "default limits", "explicit default limits versus NULL: %s", why);
        return false;
    }
    unit_pass(1);
    return true;
}

static bool run_case(const struct test_case *test, struct runner *runner)
{
    char why[512];
    if (!parse_exact_copy(test->input.data, test->input.length, case_limits(test), runner->request,
                          runner->whole, why, sizeof why)) {
        fail_case(test, "whole", "%s", why);
        return false;
    }
    unit_pass(1);
    if (runner->whole->result == HTTP_PARSE_COMPLETE &&
        runner->whole->consumed > test->input.length) {
        fail_case(test, "whole", "consumed %zu > length %zu", runner->whole->consumed,
                  test->input.length);
        return false;
    }
    if (test->has_expectation && !check_expectations(test, runner->whole))
        return false;
    /* Parsing the same buffer again must give the same answer: no hidden state. */
    if (!parse_exact_copy(test->input.data, test->input.length, case_limits(test), runner->request,
                          runner->probe, why, sizeof why) ||
        !same_outcome(runner->whole, runner->probe, why, sizeof why)) {
        fail_case(test, "repeat", "a second call on the same bytes differs: %s", why);
        return false;
    }
    unit_pass(1);
    return check_default_limits(test, runner) && check_pieces(test, runner) &&
           check_after(test, runner);
}

/* ------------------------------------------------------------------ cases.txt */

struct row {
    char *tag;
    char *text;
    unsigned cases;
    bool in_doc;
};

struct corpus {
    const char *path;
    struct row *rows;
    size_t row_count;
    struct test_case **cases;
    size_t case_count;
};

__attribute__((format(printf, 3, 4), noreturn)) static void die_at(const char *path, unsigned line,
                                                                   const char *format, ...)
{
    char where[512];
    snprintf(where, sizeof where, "%s:%u", path, line);
    va_list arguments;
    va_start(arguments, format);
    unit_vdie(where, format, arguments);
}

static bool parse_unsigned(const char *text, size_t length, unsigned long max, unsigned long *value)
{
    unsigned long result = 0;
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        unsigned digit = (unsigned)(text[i] - '0');
        if (result > (max - digit) / 10u)
            return false;
        result = result * 10u + digit;
    }
    *value = result;
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the escaped text[*position, length) into out. In a repetition
 * (nested), an unescaped '}' ends the text. Returns an error message or NULL. */
static const char *decode_escaped(const char *text, size_t length, size_t *position, bool nested,
                                  unsigned depth, struct bytes *out)
{
    while (*position < length) {
        char c = text[*position];
        if (nested && c == '}') {
            (*position)++;
            return NULL;
        }
        if (c != '\\') {
            bytes_append(out, &c, 1u);
            (*position)++;
            continue;
        }
        if (*position + 1u >= length)
            return "a lone backslash at the end of the line";
        char kind = text[*position + 1u];
        *position += 2u;
        static const char SIMPLE_FROM[] = "rnt0\\", SIMPLE_TO[] = "\r\n\t\0\\";
        const char *simple = memchr(SIMPLE_FROM, kind, sizeof SIMPLE_FROM - 1u);
        if (simple) {
            bytes_append(out, &SIMPLE_TO[simple - SIMPLE_FROM], 1u);
        } else if (kind == 'x') {
            if (*position + 2u > length || hex_digit(text[*position]) < 0 ||
                hex_digit(text[*position + 1u]) < 0)
                return "\\x needs two hexadecimal digits";
            char byte = (char)(hex_digit(text[*position]) * 16 + hex_digit(text[*position + 1u]));
            bytes_append(out, &byte, 1u);
            *position += 2u;
        } else if (kind == '{') {
            if (depth >= 4u)
                return "repetitions nested too deep";
            const char *colon = memchr(text + *position, ':', length - *position);
            unsigned long count;
            if (!colon || !parse_unsigned(text + *position, (size_t)(colon - (text + *position)),
                                          MAX_REPEAT, &count))
                return "\\{ needs a count up to 100000 and a colon: \\{N:TEXT}";
            *position = (size_t)(colon - text) + 1u;
            struct bytes unit = {0};
            const char *error = decode_escaped(text, length, position, true, depth + 1u, &unit);
            for (unsigned long i = 0; !error && i < count; i++)
                bytes_append(out, unit.data, unit.length);
            bytes_free(&unit);
            if (error)
                return error;
        } else {
            return "unknown escape (use \\r \\n \\t \\0 \\\\ \\xHH or \\{N:TEXT})";
        }
    }
    return nested ? "\\{N:TEXT} is missing its closing }" : NULL;
}

static void decode_value(const char *path, unsigned line, const char *text, size_t length,
                         struct bytes *out)
{
    size_t position = 0;
    const char *error = decode_escaped(text, length, &position, false, 0, out);
    if (error)
        die_at(path, line, "%s", error);
}

static void parse_outcome(const char *path, unsigned line, const char *text, size_t length,
                          enum http_parse_result *result, int *status, enum http_reason *reason)
{
    *status = 0;
    *reason = HTTP_REASON_NONE;
    if (length == 8u && memcmp(text, "complete", 8u) == 0) {
        *result = HTTP_PARSE_COMPLETE;
        return;
    }
    if (length == 10u && memcmp(text, "incomplete", 10u) == 0) {
        *result = HTTP_PARSE_INCOMPLETE;
        return;
    }
    unsigned long code;
    if (length > 10u && memcmp(text, "error ", 6u) == 0 && text[9] == ' ' &&
        parse_unsigned(text + 6, 3u, 599u, &code) &&
        reason_from_name(text + 10, length - 10u, reason)) {
        *result = HTTP_PARSE_ERROR;
        *status = (int)code;
        return;
    }
    die_at(path, line,
           "expected `complete`, `incomplete` or `error STATUS REASON` with a known reason code");
}

static void add_row_tags(struct corpus *corpus, struct test_case *test, unsigned line,
                         const char *text, size_t length)
{
    size_t i = 0;
    while (i < length) {
        while (i < length && text[i] == ' ')
            i++;
        size_t start = i;
        while (i < length && text[i] != ' ')
            i++;
        if (i == start)
            break;
        size_t found = corpus->row_count;
        for (size_t r = 0; r < corpus->row_count; r++)
            if (strlen(corpus->rows[r].tag) == i - start &&
                memcmp(corpus->rows[r].tag, text + start, i - start) == 0)
                found = r;
        if (found == corpus->row_count)
            die_at(corpus->path, line, "unknown row tag (declare it with `row TAG = text` first)");
        test->rows = unit_reallocate(test->rows, (test->row_count + 1u) * sizeof *test->rows);
        test->rows[test->row_count++] = (unsigned)found;
    }
}

static void parse_limits(const char *path, unsigned line, const char *text, size_t length,
                         struct test_case *test)
{
    test->has_limits = true;
    test->limits = http_default_limits();
    size_t i = 0;
    while (i < length) {
        size_t start = i;
        while (i < length && text[i] != ' ')
            i++;
        const char *equals = memchr(text + start, '=', i - start);
        unsigned long value;
        if (!equals ||
            !parse_unsigned(equals + 1, (size_t)(text + i - equals - 1), UINT32_MAX, &value))
            die_at(path, line, "limits: expects line=N header=N fields=N");
        size_t key_length = (size_t)(equals - (text + start));
        if (key_length == 4u && memcmp(text + start, "line", 4u) == 0)
            test->limits.max_request_line = (uint32_t)value;
        else if (key_length == 6u && memcmp(text + start, "header", 6u) == 0)
            test->limits.max_header_bytes = (uint32_t)value;
        else if (key_length == 6u && memcmp(text + start, "fields", 6u) == 0)
            test->limits.max_fields = (uint32_t)value;
        else
            die_at(path, line, "limits: unknown limit (line, header, fields)");
        while (i < length && text[i] == ' ')
            i++;
    }
}

static bool key_is(const char *key, size_t key_length, const char *literal)
{
    return strlen(literal) == key_length && memcmp(key, literal, key_length) == 0;
}

/* One `key: value` (or bare `key`) line inside a case. */
static void parse_directive(struct corpus *corpus, struct test_case *test, unsigned line,
                            const char *text, size_t length)
{
    const char *path = corpus->path;
    const char *colon = memchr(text, ':', length);
    size_t key_length = colon ? (size_t)(colon - text) : length;
    const char *value = colon ? colon + 1 : text + length;
    size_t value_length = colon ? length - key_length - 1u : 0;
    if (value_length > 0) {
        if (value[0] != ' ')
            die_at(path, line, "one space must follow the colon");
        value++;
        value_length--;
    }
    if (key_is(text, key_length, "row")) {
        add_row_tags(corpus, test, line, value, value_length);
    } else if (key_is(text, key_length, "limits")) {
        parse_limits(path, line, value, value_length, test);
    } else if (key_is(text, key_length, "in")) {
        if (test->input.length != test->head_length)
            die_at(path, line, "`in:` after `after:`");
        decode_value(path, line, value, value_length, &test->input);
        test->head_length = test->input.length;
    } else if (key_is(text, key_length, "after")) {
        decode_value(path, line, value, value_length, &test->input);
    } else if (key_is(text, key_length, "expect")) {
        test->has_expectation = true;
        parse_outcome(path, line, value, value_length, &test->result, &test->status, &test->reason);
    } else if (key_is(text, key_length, "after-expect")) {
        test->has_after_expectation = true;
        parse_outcome(path, line, value, value_length, &test->after_result, &test->after_status,
                      &test->after_reason);
    } else if (key_is(text, key_length, "after-path")) {
        test->has_after_path = true;
        decode_value(path, line, value, value_length, &test->after_path);
    } else if (key_is(text, key_length, "consumed")) {
        unsigned long consumed;
        if (!parse_unsigned(value, value_length, MAX_CASE_BYTES, &consumed))
            die_at(path, line, "consumed: expects a number");
        test->has_explicit_consumed = true;
        test->explicit_consumed = consumed;
    } else if (key_is(text, key_length, "method")) {
        test->has_method = true;
        decode_value(path, line, value, value_length, &test->method);
    } else if (key_is(text, key_length, "path")) {
        test->has_path = true;
        decode_value(path, line, value, value_length, &test->path);
    } else if (key_is(text, key_length, "query")) {
        test->query_presence = PRESENT;
        decode_value(path, line, value, value_length, &test->query);
    } else if (key_is(text, key_length, "no-query") && !colon) {
        test->query_presence = ABSENT;
    } else if (key_is(text, key_length, "authority")) {
        test->authority_presence = PRESENT;
        decode_value(path, line, value, value_length, &test->authority);
    } else if (key_is(text, key_length, "no-authority") && !colon) {
        test->authority_presence = ABSENT;
    } else if (key_is(text, key_length, "version")) {
        if (value_length != 3u || value[1] != '.' || value[0] < '0' || value[0] > '9' ||
            value[2] < '0' || value[2] > '9')
            die_at(path, line, "version: expects DIGIT.DIGIT");
        test->has_version = true;
        test->version_major = (unsigned)(value[0] - '0');
        test->version_minor = (unsigned)(value[2] - '0');
    } else if (key_is(text, key_length, "keep-alive")) {
        if (key_is(value, value_length, "yes") || key_is(value, value_length, "no"))
            test->keep_alive = value[0] == 'y';
        else
            die_at(path, line, "keep-alive: expects yes or no");
    } else if (key_is(text, key_length, "form")) {
        test->target_form = -1;
        for (int form = 0; form < 4; form++)
            if (key_is(value, value_length, FORM_NAMES[form]))
                test->target_form = form;
        if (test->target_form < 0)
            die_at(path, line, "form: expects origin, absolute, authority or asterisk");
    } else if (key_is(text, key_length, "field-count")) {
        unsigned long count;
        if (!parse_unsigned(value, value_length, HTTP_MAX_FIELDS, &count))
            die_at(path, line, "field-count: expects a number up to 100");
        test->field_count = (long)count;
    } else if (key_is(text, key_length, "field")) {
        const char *separator = memchr(value, ':', value_length);
        if (!separator || separator == value)
            die_at(path, line, "field: expects `Name: value` or `Name:`");
        size_t name_length = (size_t)(separator - value);
        size_t rest = value_length - name_length - 1u;
        const char *field_value = separator + 1;
        if (rest > 0) {
            if (field_value[0] != ' ')
                die_at(path, line, "field: one space must follow the name's colon");
            field_value++;
            rest--;
        }
        test->fields =
            unit_reallocate(test->fields, (test->field_expectations + 1u) * sizeof *test->fields);
        struct field_expectation *expected = &test->fields[test->field_expectations++];
        memset(expected, 0, sizeof *expected);
        decode_value(path, line, value, name_length, &expected->name);
        decode_value(path, line, field_value, rest, &expected->value);
    } else {
        die_at(path, line, "unknown directive");
    }
}

/* A case must say enough to mean something. */
static void validate_case(const char *path, unsigned line, const struct test_case *test)
{
    if (!test->has_expectation)
        die_at(path, line, "case %s has no `expect:`", test->name);
    if (test->row_count == 0)
        die_at(path, line, "case %s has no `row:` tag", test->name);
    if (test->result == HTTP_PARSE_COMPLETE &&
        (!test->has_method || !test->has_path || test->query_presence == UNCHECKED ||
         !test->has_version || test->keep_alive < 0))
        die_at(path, line,
               "complete case %s needs method, path, query (or no-query), version and keep-alive",
               test->name);
    if (test->result == HTTP_PARSE_ERROR && test->status != documented_status(test->reason))
        die_at(path, line, "case %s pairs %s with %d; docs/conformance.md says %d", test->name,
               http_reason_name(test->reason), test->status, documented_status(test->reason));
    if (test->has_explicit_consumed && test->explicit_consumed != test->head_length)
        die_at(path, line, "case %s: consumed %zu, but its `in:` bytes are %zu", test->name,
               test->explicit_consumed, test->head_length);
    if ((test->has_after_expectation || test->has_after_path) &&
        test->head_length == test->input.length)
        die_at(path, line, "case %s: after-expect without `after:` bytes", test->name);
}

static void add_row_declaration(struct corpus *corpus, unsigned line, const char *text,
                                size_t length)
{
    const char *equals = memchr(text, '=', length);
    if (!equals || equals < text + 6 || equals[-1] != ' ' ||
        (size_t)(equals - text) + 2u > length || equals[1] != ' ')
        die_at(corpus->path, line,
               "expected `row TAG = first cell of a table row in docs/conformance.md`");
    size_t tag_length = (size_t)(equals - text) - 5u;
    for (size_t r = 0; r < corpus->row_count; r++)
        if (strlen(corpus->rows[r].tag) == tag_length &&
            memcmp(corpus->rows[r].tag, text + 4, tag_length) == 0)
            die_at(corpus->path, line, "row tag declared twice");
    corpus->rows = unit_reallocate(corpus->rows, (corpus->row_count + 1u) * sizeof *corpus->rows);
    struct row *row = &corpus->rows[corpus->row_count++];
    row->tag = copy_string(text + 4, tag_length);
    row->text = copy_string(equals + 2, length - (size_t)(equals - text) - 2u);
    row->cases = 0;
    row->in_doc = false;
}

static struct bytes read_file(const char *path)
{
    struct bytes content = {0};
    FILE *file = fopen(path, "rb");
    if (!file)
        unit_die(NULL, "cannot open %s: %s", path, strerror(errno));
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1u, sizeof chunk, file)) > 0)
        bytes_append(&content, chunk, got);
    if (ferror(file))
        unit_die(NULL, "cannot read %s", path);
    fclose(file);
    return content;
}

static void load_corpus(struct corpus *corpus)
{
    struct bytes content = read_file(corpus->path);
    struct test_case *open_case = NULL;
    unsigned open_line = 0, line = 0;
    size_t position = 0;
    while (position < content.length) {
        const char *text = content.data + position;
        const char *newline = memchr(text, '\n', content.length - position);
        size_t length = newline ? (size_t)(newline - text) : content.length - position;
        position += length + 1u;
        line++;
        if (length && (text[length - 1u] == ' ' || text[length - 1u] == '\r'))
            die_at(corpus->path, line, "trailing whitespace (write a final space as \\x20)");
        bool comment_or_row =
            length == 0 || text[0] == '#' || (length > 4u && memcmp(text, "row ", 4u) == 0);
        for (size_t i = 0; i < length; i++) {
            unsigned char byte = (unsigned char)text[i];
            /* Directives are printable ASCII; other bytes are written as escapes.
             * Comments and row declarations may quote the doc's UTF-8. */
            if (byte < 0x20 || byte == 0x7f || (byte >= 0x80 && !comment_or_row))
                die_at(corpus->path, line, "byte 0x%02x must be written as an escape", byte);
        }
        if (length == 0 || text[0] == '#')
            continue;
        if (!open_case && length > 4u && memcmp(text, "row ", 4u) == 0) {
            add_row_declaration(corpus, line, text, length);
        } else if (!open_case && length > 5u && memcmp(text, "case ", 5u) == 0) {
            char origin[512];
            snprintf(origin, sizeof origin, "%s:%u", corpus->path, line);
            char *name = copy_string(text + 5, length - 5u);
            for (size_t c = 0; c < corpus->case_count; c++)
                if (strcmp(corpus->cases[c]->name, name) == 0)
                    die_at(corpus->path, line, "case name %s used twice", name);
            open_case = new_case(name, origin);
            free(name);
            open_line = line;
        } else if (open_case && length == 3u && memcmp(text, "end", 3u) == 0) {
            validate_case(corpus->path, open_line, open_case);
            for (size_t r = 0; r < open_case->row_count; r++)
                corpus->rows[open_case->rows[r]].cases++;
            corpus->cases =
                unit_reallocate(corpus->cases, (corpus->case_count + 1u) * sizeof *corpus->cases);
            corpus->cases[corpus->case_count++] = open_case;
            open_case = NULL;
        } else if (open_case) {
            parse_directive(corpus, open_case, line, text, length);
        } else {
            die_at(corpus->path, line, "expected `row TAG = text`, `case NAME` or a comment");
        }
    }
    if (open_case)
        die_at(corpus->path, open_line, "case %s has no `end`", open_case->name);
    bytes_free(&content);
}

/* Every first cell of a `| rule |` or `| limit |` table in the doc must be
 * declared by a row tag, every declared tag must name such a cell, and every
 * tag must be used by a case: a new doc row without a case fails here. */
static bool check_row_coverage(struct corpus *corpus, const char *doc_path)
{
    struct bytes doc = read_file(doc_path);
    bool ok = true, in_rule_table = false;
    size_t position = 0, doc_rows = 0;
    while (position < doc.length) {
        const char *text = doc.data + position;
        const char *newline = memchr(text, '\n', doc.length - position);
        size_t length = newline ? (size_t)(newline - text) : doc.length - position;
        position += length + 1u;
        if (length < 2u || text[0] != '|') {
            in_rule_table = false;
            continue;
        }
        if (length >= 8u && memcmp(text, "| rule |", 8u) == 0) {
            in_rule_table = true;
            continue;
        }
        if (length >= 9u && memcmp(text, "| limit |", 9u) == 0) {
            in_rule_table = true;
            continue;
        }
        if (!in_rule_table || memcmp(text, "|---", length < 4u ? length : 4u) == 0)
            continue;
        const char *cell = text + 2;
        size_t cell_room = length - 2u;
        size_t cell_length = 0;
        while (cell_length + 3u <= cell_room && memcmp(cell + cell_length, " | ", 3u) != 0)
            cell_length++;
        doc_rows++;
        bool declared = false;
        for (size_t r = 0; r < corpus->row_count; r++)
            if (strlen(corpus->rows[r].text) == cell_length &&
                memcmp(corpus->rows[r].text, cell, cell_length) == 0) {
                corpus->rows[r].in_doc = declared = true;
            }
        if (!declared) {
            char shown[UNIT_RENDER_SIZE];
            ok = unit_fail(doc_path, "no row tag in %s declares the row \"%s\"", corpus->path,
                           unit_render(cell, cell_length, shown, sizeof shown));
        }
    }
    for (size_t r = 0; r < corpus->row_count; r++) {
        if (!corpus->rows[r].in_doc) {
            ok = unit_fail(corpus->path, "row %s names no table row of %s", corpus->rows[r].tag,
                           doc_path);
        } else if (corpus->rows[r].cases == 0) {
            ok = unit_fail(corpus->path, "row %s is covered by no case", corpus->rows[r].tag);
        }
    }
    if (doc_rows == 0) {
        ok = unit_fail(doc_path, "found no `| rule |` table rows");
    }
    if (ok)
        unit_pass(doc_rows);
    bytes_free(&doc);
    return ok;
}

static bool check_reason_coverage(const char *cases_path)
{
    bool ok = true;
    for (unsigned code = HTTP_REASON_NONE + 1u; code < HTTP_REASON_COUNT; code++) {
        const char *name = http_reason_name((enum http_reason)code);
        for (unsigned other = HTTP_REASON_NONE; other < code; other++)
            if (strcmp(name, http_reason_name((enum http_reason)other)) == 0) {
                ok = unit_fail("http_reason_name", "reason codes %u and %u share the name %s",
                               other, code, name);
            }
        if (!reason_expected[code]) {
            ok = unit_fail(cases_path, "reason %s (%u) is expected by no case", name, code);
        } else {
            unit_pass(1);
        }
    }
    return ok;
}

/* ------------------------------------------------------------------ targeted limit tests */

static const char REQUEST_SUFFIX[] = " HTTP/1.1\r\n";
static const char HOST_AND_END[] = "Host: limits.test\r\n\r\n";

static void expect_error(struct test_case *test, enum http_reason reason)
{
    test->has_expectation = true;
    test->result = HTTP_PARSE_ERROR;
    test->reason = reason;
    test->status = documented_status(reason);
}

static void expect_complete(struct test_case *test)
{
    test->has_expectation = true;
    test->result = HTTP_PARSE_COMPLETE;
    test->head_length = test->input.length;
}

/* "GET /?" + 'q'... + " HTTP/1.1\r\n" with `leading` CRLFs first: the request
 * line (with those CRLFs and its own CRLF) is exactly line_bytes long. */
static struct test_case *request_line_of(const char *name, size_t leading, size_t line_bytes)
{
    struct test_case *test = new_case(name, "built-in");
    for (size_t i = 0; i < leading; i++)
        bytes_append(&test->input, LITERAL("\r\n"));
    bytes_append(&test->input, LITERAL("GET /?"));
    size_t fixed = test->input.length + sizeof REQUEST_SUFFIX - 1u;
    bytes_append_repeat(&test->input, 'q', line_bytes - fixed);
    bytes_append(&test->input, LITERAL(REQUEST_SUFFIX));
    bytes_append(&test->input, LITERAL(HOST_AND_END));
    return test;
}

/* A GET whose field block (first field line through the final CRLF) is exactly
 * block_bytes long: Host, then one X-Fill field sized to fit. */
static struct test_case *field_block_of(const char *name, size_t block_bytes)
{
    static const char HOST[] = "Host: limits.test\r\n", FILL[] = "X-Fill: ", END[] = "\r\n\r\n";
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET / HTTP/1.1\r\n"));
    bytes_append(&test->input, LITERAL(HOST));
    bytes_append(&test->input, LITERAL(FILL));
    bytes_append_repeat(&test->input, 'f',
                        block_bytes - (sizeof HOST - 1u) - (sizeof FILL - 1u) - (sizeof END - 1u));
    bytes_append(&test->input, LITERAL(END));
    return test;
}

/* Host plus (count - 1) short fields: count field lines in all. */
static struct test_case *field_lines_of(const char *name, size_t count)
{
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET / HTTP/1.1\r\nHost: limits.test\r\n"));
    for (size_t i = 1; i < count; i++) {
        char line[32];
        int used = snprintf(line, sizeof line, "X-%zu: v\r\n", i);
        bytes_append(&test->input, line, (size_t)used);
    }
    bytes_append(&test->input, LITERAL("\r\n"));
    return test;
}

/* A decoded path of exactly path_bytes: full 255-byte segments, then a shorter
 * one. With `encoded`, the bytes of the first four segments are sent as %41
 * ("A"): escaping them all would not fit in the 8 KiB request line. */
static struct test_case *path_of(const char *name, size_t path_bytes, bool encoded,
                                 struct bytes *decoded)
{
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET "));
    size_t remaining = path_bytes;
    while (remaining > 0) {
        size_t segment = remaining - 1u < HTTP_MAX_SEGMENT ? remaining - 1u : HTTP_MAX_SEGMENT;
        bytes_append(&test->input, LITERAL("/"));
        bytes_append(decoded, LITERAL("/"));
        for (size_t i = 0; i < segment; i++) {
            if (encoded && decoded->length <= 4u * (HTTP_MAX_SEGMENT + 1u))
                bytes_append(&test->input, LITERAL("%41"));
            else
                bytes_append(&test->input, LITERAL("A"));
            bytes_append(decoded, LITERAL("A"));
        }
        remaining -= segment + 1u;
    }
    bytes_append(&test->input, LITERAL(REQUEST_SUFFIX));
    bytes_append(&test->input, LITERAL(HOST_AND_END));
    return test;
}

/* One segment of segment_bytes decoded bytes, raw or as %41 escapes. */
static struct test_case *segment_of(const char *name, size_t segment_bytes, bool encoded)
{
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET /dir/"));
    for (size_t i = 0; i < segment_bytes; i++) {
        if (encoded)
            bytes_append(&test->input, LITERAL("%62"));
        else
            bytes_append(&test->input, LITERAL("b"));
    }
    bytes_append(&test->input, LITERAL("/end"));
    bytes_append(&test->input, LITERAL(REQUEST_SUFFIX));
    bytes_append(&test->input, LITERAL(HOST_AND_END));
    test->has_path = true;
    bytes_append(&test->path, LITERAL("/dir/"));
    bytes_append_repeat(&test->path, 'b', segment_bytes);
    bytes_append(&test->path, LITERAL("/end"));
    return test;
}

static void with_limits(struct test_case *test, uint32_t line, uint32_t header, uint32_t fields)
{
    test->has_limits = true;
    test->limits.max_request_line = line;
    test->limits.max_header_bytes = header;
    test->limits.max_fields = fields;
}

/* A request as a current desktop browser sends it, with a large Cookie. */
static struct test_case *browser_request(size_t cookie_bytes)
{
    struct test_case *test = new_case("browser-request-with-8KiB-cookie", "built-in");
    bytes_append(&test->input,
                 LITERAL("GET /assets/app.js?v=3.2.1 HTTP/1.1\r\n"
                         "Host: www.example.org\r\n"
                         "Connection: keep-alive\r\n"
                         "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "
                         "\"Not-A.Brand\";v=\"99\"\r\n"
                         "sec-ch-ua-mobile: ?0\r\n"
                         "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
                         "sec-ch-ua-platform: \"Linux\"\r\n"
                         "Accept: */*\r\n"
                         "Sec-Fetch-Site: same-origin\r\n"
                         "Sec-Fetch-Mode: no-cors\r\n"
                         "Sec-Fetch-Dest: script\r\n"
                         "Referer: https://www.example.org/account/settings?tab=profile\r\n"
                         "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                         "Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n"
                         "If-None-Match: W/\"5e1f-18f2a\"\r\n"
                         "If-Modified-Since: Tue, 14 May 2024 09:12:44 GMT\r\n"
                         "Cookie: "));
    size_t cookie_start = test->input.length;
    for (unsigned i = 0; test->input.length - cookie_start + 48u < cookie_bytes; i++) {
        char crumb[64];
        int used =
            snprintf(crumb, sizeof crumb, "%s_ga_%04u=GS1.1.1715677964.12.1.1715678%03u.0.0.0",
                     i ? "; " : "", i, i % 1000u);
        bytes_append(&test->input, crumb, (size_t)used);
    }
    bytes_append_repeat(&test->input, 'z', cookie_bytes - (test->input.length - cookie_start));
    bytes_append(&test->input, LITERAL("\r\n\r\n"));
    expect_complete(test);
    test->has_method = true;
    bytes_append(&test->method, LITERAL("GET"));
    test->has_version = true;
    test->version_major = test->version_minor = 1;
    test->has_path = true;
    bytes_append(&test->path, LITERAL("/assets/app.js"));
    test->query_presence = PRESENT;
    bytes_append(&test->query, LITERAL("v=3.2.1"));
    test->authority_presence = PRESENT;
    bytes_append(&test->authority, LITERAL("www.example.org"));
    test->keep_alive = 1;
    test->field_count = 16; /* the 16 lines above, Cookie included */
    test->fields = unit_reallocate(NULL, sizeof *test->fields);
    memset(test->fields, 0, sizeof *test->fields);
    test->field_expectations = 1;
    bytes_append(&test->fields[0].name, LITERAL("Cookie"));
    bytes_append(&test->fields[0].value, test->input.data + cookie_start, cookie_bytes);
    return test;
}

/* A head of exactly `bytes` bytes that has no LF: the decision must be 414 once
 * the limit is reached, and "incomplete" one byte before it. */
static struct test_case *line_without_lf(const char *name, size_t bytes)
{
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET /"));
    bytes_append_repeat(&test->input, 'w', bytes - test->input.length);
    return test;
}

/* A field block of exactly `bytes` bytes that has no LF yet: 431 once the
 * limit is reached, since the block can only end past it; "incomplete" before. */
static struct test_case *block_without_lf(const char *name, size_t bytes)
{
    static const char HOST[] = "Host: limits.test\r\n";
    struct test_case *test = new_case(name, "built-in");
    bytes_append(&test->input, LITERAL("GET / HTTP/1.1\r\n"));
    bytes_append(&test->input, LITERAL(HOST));
    bytes_append(&test->input, LITERAL("X-Fill: "));
    bytes_append_repeat(&test->input, 'f', bytes - (sizeof HOST - 1u) - 8u);
    return test;
}

static size_t build_limit_tests(struct test_case **tests, size_t room)
{
    size_t n = 0;
    struct test_case *test;
#define ADD(t) (n < room ? (void)(tests[n++] = (t)) : unit_die(NULL, "too many built-in tests"))
    const uint32_t line_limit = HTTP_MAX_REQUEST_LINE, block_limit = HTTP_MAX_HEADER_BYTES;

    /* Request line: 8192 bytes with its CRLF is served, 8193 is 414 (RFC 9112 §3). */
    test = request_line_of("request-line-at-limit", 0, line_limit);
    expect_complete(test);
    test->query_presence = PRESENT;
    bytes_append_repeat(&test->query, 'q', line_limit - 6u - (sizeof REQUEST_SUFFIX - 1u));
    ADD(test);
    test = request_line_of("request-line-one-past-limit", 0, line_limit + 1u);
    expect_error(test, HTTP_REASON_REQUEST_LINE_TOO_LONG);
    ADD(test);
    /* Leading empty lines count toward the same limit. */
    test = request_line_of("leading-crlf-and-request-line-at-limit", 3, line_limit);
    expect_complete(test);
    ADD(test);
    test = request_line_of("leading-crlf-and-request-line-one-past-limit", 3, line_limit + 1u);
    expect_error(test, HTTP_REASON_REQUEST_LINE_TOO_LONG);
    ADD(test);
    test = line_without_lf("no-lf-one-byte-before-limit", line_limit - 1u);
    test->has_expectation = true;
    test->result = HTTP_PARSE_INCOMPLETE;
    ADD(test);
    test = line_without_lf("no-lf-at-limit", line_limit);
    expect_error(test, HTTP_REASON_REQUEST_LINE_TOO_LONG);
    ADD(test);

    /* Field block: 16384 bytes from the first field line through the final CRLF. */
    test = field_block_of("field-block-at-limit", block_limit);
    expect_complete(test);
    ADD(test);
    test = field_block_of("field-block-one-past-limit", block_limit + 1u);
    expect_error(test, HTTP_REASON_HEADER_TOO_LARGE);
    ADD(test);

    test = block_without_lf("field-block-no-lf-one-byte-before-limit", block_limit - 1u);
    test->has_expectation = true;
    test->result = HTTP_PARSE_INCOMPLETE;
    ADD(test);
    test = block_without_lf("field-block-no-lf-at-limit", block_limit);
    expect_error(test, HTTP_REASON_HEADER_TOO_LARGE);
    ADD(test);

    /* Field lines: 100 are served, the 101st is 431. */
    test = field_lines_of("fields-at-limit", HTTP_MAX_FIELDS);
    expect_complete(test);
    test->field_count = HTTP_MAX_FIELDS;
    ADD(test);
    test = field_lines_of("fields-one-past-limit", HTTP_MAX_FIELDS + 1u);
    expect_error(test, HTTP_REASON_TOO_MANY_FIELDS);
    ADD(test);

    /* Decoded path: PATH_MAX - 1 = 4095 bytes is served, 4096 is 414. */
    struct bytes decoded = {0};
    test = path_of("path-at-limit", HTTP_MAX_PATH - 1u, false, &decoded);
    expect_complete(test);
    test->has_path = true;
    test->path = decoded;
    ADD(test);
    decoded = (struct bytes){0};
    test = path_of("path-one-past-limit", HTTP_MAX_PATH, false, &decoded);
    expect_error(test, HTTP_REASON_PATH_TOO_LONG);
    bytes_free(&decoded);
    ADD(test);
    test = path_of("encoded-path-at-limit", HTTP_MAX_PATH - 1u, true, &decoded);
    expect_complete(test);
    test->has_path = true;
    test->path = decoded;
    ADD(test);
    decoded = (struct bytes){0};
    test = path_of("encoded-path-one-past-limit", HTTP_MAX_PATH, true, &decoded);
    expect_error(test, HTTP_REASON_PATH_TOO_LONG);
    bytes_free(&decoded);
    ADD(test);

    /* Segment: NAME_MAX = 255 decoded bytes is served, 256 is 414. */
    test = segment_of("segment-at-limit", HTTP_MAX_SEGMENT, false);
    expect_complete(test);
    ADD(test);
    test = segment_of("segment-one-past-limit", HTTP_MAX_SEGMENT + 1u, false);
    expect_error(test, HTTP_REASON_SEGMENT_TOO_LONG);
    ADD(test);
    test = segment_of("encoded-segment-at-limit", HTTP_MAX_SEGMENT, true);
    expect_complete(test);
    ADD(test);
    test = segment_of("encoded-segment-one-past-limit", HTTP_MAX_SEGMENT + 1u, true);
    expect_error(test, HTTP_REASON_SEGMENT_TOO_LONG);
    ADD(test);

    /* Lowered limits through struct http_limits, at and one past each. */
    test = request_line_of("lowered-request-line-at-limit", 0, 64u);
    with_limits(test, 64u, block_limit, HTTP_MAX_FIELDS);
    expect_complete(test);
    ADD(test);
    test = request_line_of("lowered-request-line-one-past-limit", 0, 65u);
    with_limits(test, 64u, block_limit, HTTP_MAX_FIELDS);
    expect_error(test, HTTP_REASON_REQUEST_LINE_TOO_LONG);
    ADD(test);
    test = field_block_of("lowered-field-block-at-limit", 128u);
    with_limits(test, line_limit, 128u, HTTP_MAX_FIELDS);
    expect_complete(test);
    ADD(test);
    test = field_block_of("lowered-field-block-one-past-limit", 129u);
    with_limits(test, line_limit, 128u, HTTP_MAX_FIELDS);
    expect_error(test, HTTP_REASON_HEADER_TOO_LARGE);
    ADD(test);
    test = field_lines_of("lowered-fields-at-limit", 5u);
    with_limits(test, line_limit, block_limit, 5u);
    expect_complete(test);
    test->field_count = 5;
    ADD(test);
    test = field_lines_of("lowered-fields-one-past-limit", 6u);
    with_limits(test, line_limit, block_limit, 5u);
    expect_error(test, HTTP_REASON_TOO_MANY_FIELDS);
    ADD(test);
    test = new_case("zero-fields-allowed-none-sent", "built-in");
    bytes_append(&test->input, LITERAL("GET / HTTP/1.0\r\n\r\n"));
    with_limits(test, line_limit, block_limit, 0u);
    expect_complete(test);
    test->field_count = 0;
    ADD(test);
    test = new_case("zero-fields-allowed-one-sent", "built-in");
    bytes_append(&test->input, LITERAL("GET / HTTP/1.0\r\nHost: a\r\n\r\n"));
    with_limits(test, line_limit, block_limit, 0u);
    expect_error(test, HTTP_REASON_TOO_MANY_FIELDS);
    ADD(test);

    /* Limits above the defaults may not raise them: the field array holds
     * HTTP_MAX_FIELDS entries, so a larger max_fields must still stop at 100. */
    test = field_lines_of("raised-fields-still-capped", HTTP_MAX_FIELDS + 1u);
    with_limits(test, UINT32_MAX, UINT32_MAX, 1000u);
    expect_error(test, HTTP_REASON_TOO_MANY_FIELDS);
    ADD(test);
    test = request_line_of("raised-request-line-still-capped", 0, line_limit + 1u);
    with_limits(test, UINT32_MAX, UINT32_MAX, 1000u);
    expect_error(test, HTTP_REASON_REQUEST_LINE_TOO_LONG);
    ADD(test);
    test = field_block_of("raised-field-block-still-capped", block_limit + 1u);
    with_limits(test, UINT32_MAX, UINT32_MAX, 1000u);
    expect_error(test, HTTP_REASON_HEADER_TOO_LARGE);
    ADD(test);

    ADD(browser_request(8192u));
#undef ADD
    return n;
}

/* ------------------------------------------------------------------ regression inputs */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file but the README and dotfiles, in name order. */
static size_t load_regressions(const char *directory, struct test_case ***out)
{
    DIR *dir = opendir(directory);
    if (!dir)
        unit_die(NULL, "cannot open %s: %s", directory, strerror(errno));
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.' || strncmp(entry->d_name, "README", 6u) == 0)
            continue;
        names = unit_reallocate(names, (count + 1u) * sizeof *names);
        names[count++] = copy_string(entry->d_name, strlen(entry->d_name));
    }
    closedir(dir);
    if (count > 0)
        qsort(names, count, sizeof *names, compare_names);
    struct test_case **tests = unit_reallocate(NULL, count * sizeof *tests);
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        tests[i] = new_case(names[i], path);
        tests[i]->input = read_file(path);
        free(names[i]);
    }
    free(names);
    *out = tests;
    return count;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_parser CASES_FILE CONFORMANCE_DOC REGRESSIONS_DIR\n");
        return 2;
    }
    unit_begin("parser", "PARSER_TEST_SEED", DEFAULT_BASE_SEED);

    struct runner runner = {
        .request = unit_reallocate(NULL, sizeof *runner.request),
        .whole = unit_reallocate(NULL, sizeof *runner.whole),
        .probe = unit_reallocate(NULL, sizeof *runner.probe),
    };

    struct corpus corpus = {.path = argv[1]};
    load_corpus(&corpus);
    struct test_case *limit_tests[64];
    size_t limit_count = build_limit_tests(limit_tests, sizeof limit_tests / sizeof limit_tests[0]);
    struct test_case **regressions = NULL;
    size_t regression_count = load_regressions(argv[3], &regressions);

    size_t failed_cases = 0;
    for (size_t i = 0; i < corpus.case_count; i++) {
        note_expected_reasons(corpus.cases[i]);
        failed_cases += !run_case(corpus.cases[i], &runner);
    }
    for (size_t i = 0; i < limit_count; i++) {
        note_expected_reasons(limit_tests[i]);
        failed_cases += !run_case(limit_tests[i], &runner);
    }
    for (size_t i = 0; i < regression_count; i++)
        failed_cases += !run_case(regressions[i], &runner);

    check_row_coverage(&corpus, argv[2]);
    check_reason_coverage(corpus.path);

    size_t total = corpus.case_count + limit_count + regression_count;
    printf("parser: %zu from %s, %zu built-in limit tests, %zu regression inputs; %zu failed\n",
           corpus.case_count, corpus.path, limit_count, regression_count, failed_cases);
    printf("parser: %zu cases, %lu checks passed%s\n", total, unit_checks_passed,
           unit_failures ? "" : " (every doc row and every reason code exercised)");

    for (size_t i = 0; i < corpus.case_count; i++)
        free_case(corpus.cases[i]);
    for (size_t i = 0; i < limit_count; i++)
        free_case(limit_tests[i]);
    for (size_t i = 0; i < regression_count; i++)
        free_case(regressions[i]);
    for (size_t r = 0; r < corpus.row_count; r++) {
        free(corpus.rows[r].tag);
        free(corpus.rows[r].text);
    }
    free(corpus.rows);
    free(corpus.cases);
    free(regressions);
    free(runner.request);
    free(runner.whole);
    free(runner.probe);
    return unit_end();
}
