/* log_record.h: the messages of the log channel, as bytes.
 *
 * Contract: every message is one SOCK_SEQPACKET packet of at most
 * LOG_MESSAGE_MAX bytes whose first byte is its kind. The monitor knows who
 * sent it from the kernel (SO_PASSCRED), never from the message.
 *   LOG_KIND_ACCESS  an access record: a fixed 32-byte head (status, sizes,
 *                    body bytes, duration), for the supervisor only an address
 *                    block, then the reason code and the raw request-derived
 *                    fields (request line, referer, user agent, forwarded),
 *                    unescaped: the monitor escapes them itself.
 *   LOG_KIND_ERROR   one error-log line's text; the monitor adds the time and
 *                    "prong[ROLE PID]: " from what the kernel says of the sender.
 *   LOG_KIND_READY   the supervisor is jailed and ready (supervisor only).
 *   LOG_KIND_STATUS  the supervisor's counters for systemd's STATUS= line.
 * Any other first byte is a process's raw standard error (glibc's fatal
 * messages): the monitor writes it escaped as "stderr:" text of that process.
 * log_record_encode_access() writes a record; log_record_decode_access() reads
 * one, checking every length, the status and the reason code, and fails on
 * anything else (the message is then dropped and counted, never written).
 * Must not: trust a length it has not checked against the message, or point
 * outside the message it was given. */
#ifndef PRONG_LOG_RECORD_H
#define PRONG_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fixed_limits.h"
#include "process/access_log.h"

enum log_kind {
    LOG_KIND_ACCESS = 1,
    LOG_KIND_ERROR = 2,
    LOG_KIND_READY = 3,
    LOG_KIND_STATUS = 4,
};

#define LOG_RECORD_VERSION 1
#define LOG_REASON_MAX 48  /* bytes of a reason code: [a-z0-9-] */
#define LOG_RECORD_HEAD 32 /* the fixed part */
#define LOG_RECORD_PEER 24 /* the supervisor's address block */
#define LOG_FIELD_ABSENT 0xffffu

/* Who a record's CLIENT field names: only the supervisor sends one; for a
 * connection process's records the monitor uses what the supervisor recorded. */
struct log_peer {
    int family;          /* AF_INET, AF_INET6, AF_UNIX; 0: none */
    uint8_t address[16]; /* AF_INET: the first 4 bytes */
    uint32_t uid;        /* AF_UNIX: the peer's uid, or UINT32_MAX when unknown */
};

/* The record's bytes in out (out_size at least LOG_MESSAGE_MAX); returns the
 * length. Fields longer than their cap (LOG_FIELD_MAX, LOG_FORWARDED_MAX in
 * raw bytes) are cut, an invalid reason becomes "-". peer may be NULL. */
size_t log_record_encode_access(const struct access_record *record, const struct log_peer *peer,
                                char *out, size_t out_size);

/* Decode message (length bytes, kind LOG_KIND_ACCESS) into record, whose spans
 * and reason then point into message (reason into reason_text, NUL-terminated),
 * and *peer (family 0 when the record carries none). record->client and
 * record->time_seconds are left for the caller. false: malformed. */
bool log_record_decode_access(const char *message, size_t length, struct access_record *record,
                              struct log_peer *peer, char reason_text[LOG_REASON_MAX + 1]);

/* "203.0.113.7", "2001:db8::1" or "local": a peer as an access line's CLIENT. */
void log_peer_format(const struct log_peer *peer, char *out, size_t out_size);

/* The peer of a socket address (for AF_UNIX, the uid the caller learnt). */
void log_peer_from_address(const struct sockaddr *address, uint32_t uid, struct log_peer *peer);

#endif
