/* conditional.h: validators and conditional requests (RFC 9110 §8.8, §13).
 *
 * Contract: conditional_format_etag() makes prong's strong entity tag from what
 * two servers reading the same file agree on: the modification time to the
 * nanosecond, the size and the content coding (no inode, no device).
 * conditional_etag_list_matches() tests a list field (If-Match, If-None-Match;
 * every field line of it) against one entity tag, with strong or weak
 * comparison (§8.8.3.2); "*" matches any current representation.
 * conditional_evaluate() applies the preconditions of a GET or HEAD in the
 * order of §13.2.2: If-Match (false: 412), else If-Unmodified-Since (false:
 * 412); then If-None-Match (false: 304), else If-Modified-Since (false: 304).
 * A date that is not an HTTP-date, or a date field sent more than once, is
 * ignored (§13.1.3, §13.1.4). conditional_if_range_holds() is §13.1.5: an
 * entity tag must match strongly, a date must equal Last-Modified exactly and
 * that Last-Modified must be strong (at least a second before now).
 * Must not: allocate, or read anything but the request and validators given. */
#ifndef PRONG_CONDITIONAL_H
#define PRONG_CONDITIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"
#include "static/negotiation.h"

#define ETAG_SIZE 64 /* "\"" 16 hex "." 8 hex "-" 16 hex "-" "br" "\"" and a NUL fit */

struct validators {
    const char *etag;      /* strong, with its quotes */
    int64_t last_modified; /* seconds since the epoch */
};

enum precondition_result {
    PRECONDITION_PASS,         /* perform the request (maybe with Range) */
    PRECONDITION_NOT_MODIFIED, /* 304 */
    PRECONDITION_FAILED,       /* 412 */
};

enum etag_comparison { ETAG_STRONG, ETAG_WEAK };

void conditional_format_etag(int64_t mtime_seconds, long mtime_nanoseconds, uint64_t size,
                             enum content_coding coding, char out[ETAG_SIZE]);

bool conditional_etag_list_matches(const struct http_span *values, size_t count, const char *etag,
                                   enum etag_comparison comparison);

enum precondition_result conditional_evaluate(const struct http_request *request,
                                              const struct validators *validators);

/* True when Range may be honoured: no If-Range, or one that holds. now: seconds since the epoch. */
bool conditional_if_range_holds(const struct http_request *request,
                                const struct validators *validators, int64_t now);

#endif
