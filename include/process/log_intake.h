/* log_intake.h: what the monitor does with one message of the log channel.
 *
 * Contract: intake_handle() judges one message from a sender the kernel named
 * (its pid, from SCM_CREDENTIALS) and says what to write, if anything:
 *   - the supervisor (its pid is known from the fork) may send every kind;
 *   - a connection process is known by the peer ring (peer_ring.h), which says
 *     whom it serves; it may send access records (their CLIENT is the one the
 *     supervisor recorded; a forwarded field counts only when its peer is a
 *     --trusted-proxy), error text and raw standard error, within a quota: at
 *     most quota_messages messages and quota_bytes bytes for its whole life, and
 *     all connection processes together at most rate_messages and rate_bytes a
 *     second. The first message past a quota is answered with a kill request
 *     for its sender (the supervisor ends it: a process that logs more than one
 *     line per request it may serve is not prong's code any more);
 *   - a sender not known yet (the supervisor records a child right after its
 *     fork, and a quick child can write first) is deferred; the caller retries
 *     it and calls intake_drop_deferred() when it gives up.
 * Every byte written is escaped by the monitor itself: control bytes and
 * invalid UTF-8 in error text (C1 controls too), and everything outside
 * printable ASCII in access fields (docs/logging.md's escaping); lengths are
 * capped. A malformed, forged, unattributed, over-quota or over-rate message is
 * counted by cause in dropped[] and never written.
 * Must not: trust anything a message says about its sender, write a raw control
 * byte, or grow: its tables are fixed when it is made. */
#ifndef PRONG_LOG_INTAKE_H
#define PRONG_LOG_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fixed_limits.h"
#include "process/access_log.h"
#include "process/access_log_json.h"
#include "process/peer_ring.h"

enum intake_drop {
    DROP_MALFORMED,    /* an access record that does not decode, or an empty message */
    DROP_TRUNCATED,    /* longer than LOG_MESSAGE_MAX */
    DROP_FORGED,       /* a kind only the supervisor may send, from someone else */
    DROP_UNATTRIBUTED, /* from a process prong does not know (deferred, then given up) */
    DROP_OVER_QUOTA,   /* past its sender's quota */
    DROP_OVER_RATE,    /* past the total rate of all connection processes */
    DROP_KINDS
};

enum intake_verdict {
    INTAKE_WRITE_ACCESS, /* text is one access-log line */
    INTAKE_WRITE_ERROR,  /* text is one error-log line, without the time */
    INTAKE_READY,
    INTAKE_STATUS, /* text is the STATUS= value */
    INTAKE_DEFER,
    INTAKE_DROPPED,
};

struct intake_settings {
    pid_t supervisor;
    uint32_t quota_messages; /* per connection process */
    uint64_t quota_bytes;
    uint32_t rate_messages; /* per second, every connection process together */
    uint64_t rate_bytes;
    bool lab_trusting; /* lab build, --lab-sabotage log-checks: write what senders say */
    enum access_log_style access_format; /* --access-log-format */
};

struct sender {
    int32_t pid; /* 0: empty */
    bool trusted_proxy;
    bool over_quota;
    struct log_peer peer;
    uint32_t messages;
    uint64_t bytes;
};

#define INTAKE_SENDERS 8192 /* direct-mapped by pid: recent pids are consecutive */
/* An error line, or an access line in either format (a JSON line escapes to
 * more bytes than the combined one: access_log_json.h), and its newline. */
#define INTAKE_LINE_MAX                                                          \
    (ACCESS_LOG_JSON_SIZE + 1 > LOG_MESSAGE_MAX + 256 ? ACCESS_LOG_JSON_SIZE + 1 \
                                                      : LOG_MESSAGE_MAX + 256)
#define INTAKE_ERROR_TEXT_MAX 2048 /* escaped bytes of one error line's text, then "..." */

struct intake {
    struct intake_settings settings;
    const struct peer_ring *ring;
    uint64_t ring_read; /* records taken from the ring */
    uint64_t ring_lost; /* records overwritten before they were taken */
    struct sender senders[INTAKE_SENDERS];
    uint64_t rate_second; /* the second the rate counts below are for */
    uint32_t rate_messages_used;
    uint64_t rate_bytes_used;
    uint64_t dropped[DROP_KINDS];
};

struct intake_output {
    enum intake_verdict verdict;
    enum intake_drop drop; /* INTAKE_DROPPED: why */
    pid_t kill;            /* a connection process to end (it broke its quota), or 0 */
    char text[INTAKE_LINE_MAX];
    size_t length;
};

void intake_init(struct intake *intake, const struct intake_settings *settings,
                 const struct peer_ring *ring);

/* Take the records the supervisor added since the last call. */
void intake_catch_up(struct intake *intake);

/* Judge one message of length bytes from pid (truncated: it was longer than the
 * buffer). now_seconds is the wall clock for the access line's TIME. */
void intake_handle(struct intake *intake, pid_t pid, const char *message, size_t length,
                   bool truncated, int64_t now_seconds, struct intake_output *out);

/* A deferred message given up on: counted as unattributed. */
void intake_drop_deferred(struct intake *intake);

/* "a\x01b": text escaped for an error line (control bytes, DEL, C1 controls and
 * invalid UTF-8 as \xHH), at most max escaped bytes, then "..."; returns the length. */
size_t intake_escape_text(const char *text, size_t length, char *out, size_t max);

#endif
