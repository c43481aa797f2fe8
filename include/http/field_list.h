/* field_list.h: comma-separated request field values, member by member, with weights.
 *
 * Contract: field_list_values() gathers the values of every field line with one
 * id, in order (a repeated list field is one list: RFC 9110 §5.3).
 * field_list_next() walks one list value: empty members and the whitespace
 * around commas are skipped (RFC 9110 §5.6.1.2); each member is its first word
 * (up to ';', ',' or whitespace) and the weight of its "q" parameter in
 * thousandths (RFC 9110 §12.4.2), 1000 when absent, -1 when the member's
 * parameters or weight are malformed (callers ignore such a member). Commas
 * inside quoted parameter values do not split members.
 * Must not: read past the span it was given, allocate, or keep state between calls
 * beyond the caller's cursor. */
#ifndef PRONG_FIELD_LIST_H
#define PRONG_FIELD_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_parser.h"

#define QUALITY_MAX 1000 /* q=1 */

struct list_cursor {
    const char *at;
    const char *end;
};

struct list_member {
    struct http_span value; /* the member's first word, e.g. "gzip", "text/html" */
    int quality;            /* 0..1000, or -1 when malformed */
};

/* The values of every field with this id, in order; returns how many (at most max). */
size_t field_list_values(const struct http_request *request, enum http_field_id id,
                         struct http_span *values, size_t max);

struct list_cursor field_list_begin(struct http_span value);

/* The next member, or false at the end of the value. */
bool field_list_next(struct list_cursor *cursor, struct list_member *member);

/* A qvalue ("0", "0.5", "1.000"), in thousandths; -1 when malformed (RFC 9110 §12.4.2). */
int field_list_parse_quality(const char *text, size_t length);

/* Case-insensitive comparison of a span with a lower-case literal. */
bool field_list_span_is(struct http_span span, const char *lower_literal);

#endif
