/* log.h: the log channel every process writes to, and the monitor alone reads.
 *
 * Contract: a message is one write(2) of at most LOG_MESSAGE_MAX bytes (PIPE_BUF,
 * so writes from many processes never interleave) on the channel, a non-blocking
 * pipe whose read end only the monitor holds. Its first byte names the stream
 * (LOG_STREAM_*): an access-log line, an error-log line, the supervisor's
 * "jailed and ready" mark, or its counters for systemd's STATUS= line. The text
 * follows and ends with one '\n'; it holds no other '\n'.
 * When the pipe is full the message is dropped and counted, never waited for
 * (docs/logging.md). Before the channel exists, errors go to standard error.
 * Must not: block, allocate, or write anything but whole messages. */
#ifndef PRONG_LOG_H
#define PRONG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixed_limits.h"

/* Stream markers are control bytes, so bytes written to descriptor 2 by
 * something other than log_send (glibc's or a sanitizer's fatal message,
 * "ERROR: ...") can never be taken for one. */
#define LOG_STREAM_ACCESS '\x01'
#define LOG_STREAM_ERROR '\x02'
#define LOG_STREAM_READY '\x03'
#define LOG_STREAM_STATUS '\x04'

/* Which process this is ("monitor", "supervisor", "child"), for error lines. */
void log_set_role(const char *role);

/* From now on, send messages on this descriptor instead of standard error. */
void log_use_channel(int fd);

/* One error-log line: "prong[ROLE PID]: text". Truncated to fit one message. */
void log_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* One message of the given stream; text without the trailing newline. Returns
 * false when it was dropped (channel full or broken). */
bool log_send(char stream, const char *text, size_t length);

/* Messages this process dropped so far. */
uint64_t log_dropped_count(void);

#endif
