/* log.c: writing messages on the log channel (contract in include/process/log.h).
 *
 * Each process keeps its role, the channel descriptor and a count of dropped
 * messages; that is all the state there is. The channel is non-blocking, so a
 * slow log disk slows nobody down: a full socket means the message is counted
 * as dropped and the caller carries on (docs/logging.md, "Drops").
 * Must not: block on the channel, retry a full socket, or split a message. */
#include "process/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process/prefault.h"

/* Written by every connection process (its role, its channel, its drops): kept
 * on the one page of such statics, not on a page of glibc's data that it
 * would otherwise copy (a child rewriting channel_fd with the supervisor's
 * value cost a page of its own). */
static PREFAULT_CHILD_WRITES const char *current_role = "monitor"; /* each process sets its own */
static PREFAULT_CHILD_WRITES int channel_fd = -1;
static PREFAULT_CHILD_WRITES uint64_t dropped_messages;

void log_set_role(const char *role)
{
    current_role = role;
}

void log_use_channel(int fd)
{
    channel_fd = fd;
}

uint64_t log_dropped_count(void)
{
    return dropped_messages;
}

/* One whole message; a seqpacket write is all or nothing. */
static bool send_message(const char *message, size_t length)
{
    for (;;) {
        ssize_t written = write(channel_fd, message, length);
        if (written == (ssize_t)length)
            return true;
        if (written < 0 && errno == EINTR)
            continue;
        dropped_messages++; /* EAGAIN: full; EPIPE/ECONNREFUSED: the monitor is gone */
        return false;
    }
}

bool log_send(enum log_kind kind, const char *text, size_t length)
{
    char message[LOG_MESSAGE_MAX];
    if (length > sizeof message - 1)
        length = sizeof message - 1;
    if (channel_fd < 0) {
        /* Start-up, before the monitor reads the channel: standard error, text only. */
        if (kind != LOG_KIND_ERROR)
            return false;
        char line[LOG_MESSAGE_MAX + 64];
        int prefix = snprintf(line, sizeof line, "prong[%s %ld]: ", current_role, (long)getpid());
        if (prefix < 0)
            return false;
        memcpy(line + prefix, text, length);
        line[(size_t)prefix + length] = '\n';
        ssize_t written = write(STDERR_FILENO, line, (size_t)prefix + length + 1);
        return written == (ssize_t)((size_t)prefix + length + 1);
    }
    message[0] = (char)kind;
    memcpy(message + 1, text, length);
    return send_message(message, length + 1);
}

bool log_access(const struct access_record *record, const struct log_peer *peer)
{
    char message[LOG_MESSAGE_MAX];
    size_t length = log_record_encode_access(record, peer, message, sizeof message);
    if (channel_fd < 0 || length == 0)
        return false;
    return send_message(message, length);
}

void log_error(const char *format, ...)
{
    char text[LOG_MESSAGE_MAX];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    if (length < 0)
        return;
    log_send(LOG_KIND_ERROR, text, (size_t)length < sizeof text ? (size_t)length : sizeof text - 1);
}
