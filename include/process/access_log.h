/* access_log.h: one access-log line per request (format: docs/logging.md).
 *
 * Contract: access_log_format() writes the combined log format followed by
 * prong's fields: client, time, request line, status, body bytes, referer, user
 * agent, then duration in microseconds, the reason code ("-" when served) and
 * what a trusted proxy said about the client (X-Forwarded-For or Forwarded,
 * "-" when absent or when the peer is not a --trusted-proxy).
 * Every byte taken from the request is escaped (\xHH for anything outside
 * printable ASCII, and for '"' and '\'), so a line can neither be split nor
 * forged. Later versions append fields; they never change these.
 * Must not: write anything but into out, or exceed out_size. */
#ifndef PRONG_ACCESS_LOG_H
#define PRONG_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"

/* --access-log-format: which formatter the monitor uses (combined: this file's;
 * json: access_log_json.h's). Combined is the default, the line of the first
 * release. */
enum access_log_style { ACCESS_LOG_COMBINED = 0, ACCESS_LOG_JSON };

struct access_record {
    const char *client;            /* "203.0.113.7" or "2001:db8::1" */
    int64_t time_seconds;          /* when the request head was complete (or refused) */
    struct http_span request_line; /* NULL data: "-" */
    int status;
    uint64_t body_bytes;
    struct http_span referer;
    struct http_span user_agent;
    uint64_t duration_us;
    const char *reason;         /* NULL: "-" */
    struct http_span forwarded; /* NULL data: "-" */
};

/* Returns the line's length (no newline); truncates escaped fields to fit. */
size_t access_log_format(const struct access_record *record, char *out, size_t out_size);

#endif
