/* log.h: writing on the log channel, which every process but the monitor writes to.
 *
 * Contract: a message is one write(2) of at most LOG_MESSAGE_MAX bytes on the
 * process's end of the log channel, a non-blocking SOCK_SEQPACKET socket whose
 * other end only the monitor holds, so a message is never split, merged with
 * another or swallowed (log_record.h has the layouts). The monitor learns from
 * the kernel which process sent it (SO_PASSCRED) and adds the time and
 * "prong[ROLE PID]: " itself. When the socket is full the message is dropped and
 * counted, never waited for (docs/logging.md). Before the channel exists (start-
 * up), errors go to standard error as "prong[ROLE PID]: text".
 * Must not: block, allocate, or write anything but whole messages. */
#ifndef PRONG_LOG_H
#define PRONG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixed_limits.h"
#include "process/log_record.h"

/* Which process this is ("monitor", "supervisor", "child"), for start-up lines. */
void log_set_role(const char *role);

/* From now on, send messages on this descriptor instead of standard error. */
void log_use_channel(int fd);

/* One error-log line (the monitor prefixes it). Truncated to fit one message. */
void log_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* One message of the given kind: text without a trailing newline. Returns
 * false when it was dropped (channel full or broken). */
bool log_send(enum log_kind kind, const char *text, size_t length);

/* One access record; peer: the client, from the supervisor only (NULL in a
 * connection process: the monitor knows its client). */
bool log_access(const struct access_record *record, const struct log_peer *peer);

/* Messages this process dropped so far. */
uint64_t log_dropped_count(void);

#endif
