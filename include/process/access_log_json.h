/* access_log_json.h: one access-log line as a JSON object (--access-log-format json,
 * docs/logging.md "JSON lines").
 *
 * Contract: access_log_format_json() writes one JSON object (RFC 8259), without
 * the newline, holding the fields of the combined line in this order, absent
 * ones as null:
 *   time         "2026-11-26T05:14:39Z" (RFC 3339, UTC: offset Z)
 *   client       the client's address, as in the combined line
 *   request      the request line as received
 *   method, target, protocol
 *                the request line's three parts, when it is METHOD SP TARGET SP
 *                PROTOCOL (parts non-empty), was not cut, and fits its cap escaped;
 *                else null
 *   status, bytes             numbers
 *   referer, user_agent       as received
 *   duration_us               a number
 *   reason                    null when served, else the stable code
 *   forwarded                 a --trusted-proxy's X-Forwarded-For (else Forwarded)
 * Later versions append members; they never rename, reorder or remove these.
 * Strings are escaped byte by byte (RFC 8259 §7): '"' and '\' as \" and \\,
 * printable ASCII as itself, and every other byte (controls, DEL, every byte
 * 0x80..0xff, valid UTF-8 or not) as \u00XX of that byte. The line is pure
 * ASCII, hence valid UTF-8, and each decoded string holds one character
 * U+0000..U+00FF per byte received (its Latin-1 reading: encoding it as
 * Latin-1 gives back the exact bytes). A string longer than its cap in escaped
 * bytes (LOG_FIELD_MAX, LOG_FORWARDED_MAX; whole escapes only) ends with "..."
 * inside its quotes, so the line stays valid JSON.
 * Pure: no system call, no allocation, nothing read but the record.
 * Must not: write past out_size, emit a raw control byte or a byte above 0x7e,
 * or emit an unterminated string or object. */
#ifndef PRONG_ACCESS_LOG_JSON_H
#define PRONG_ACCESS_LOG_JSON_H

#include <stddef.h>

#include "fixed_limits.h"
#include "process/access_log.h"

#define ACCESS_LOG_JSON_CLIENT_MAX 64 /* escaped bytes of client (log_peer_format: < 64) */
#define ACCESS_LOG_JSON_REASON_MAX 48 /* escaped bytes of reason (LOG_REASON_MAX) */

/* The longest line access_log_format_json() writes, with room to spare: each
 * string at its cap plus "..." and its quotes, method + target + protocol at
 * most the request line's cap (they are written only when it was not cut),
 * three 20-digit numbers, a status, and 256 bytes for names and punctuation. */
#define ACCESS_LOG_JSON_MAX                                                                 \
    (256 + 20 /* time */ + (ACCESS_LOG_JSON_CLIENT_MAX + 5) + 2 * (LOG_FIELD_MAX + 5) +     \
     2 * (LOG_FIELD_MAX + 5) + (LOG_FORWARDED_MAX + 5) + (ACCESS_LOG_JSON_REASON_MAX + 5) + \
     3 * 20 + 3 * 2)
/* A buffer this big always holds the line and its NUL. */
#define ACCESS_LOG_JSON_SIZE (ACCESS_LOG_JSON_MAX + 1)

/* Returns the line's length (no newline; out is NUL-terminated). An out_size
 * below ACCESS_LOG_JSON_SIZE writes an empty string and returns 0: a line is
 * whole or not written, never cut into invalid JSON. */
size_t access_log_format_json(const struct access_record *record, char *out, size_t out_size);

#endif
