/* log.c: writing messages on the log channel (format in include/process/log.h).
 *
 * Each process keeps its role, the channel descriptor and a count of dropped
 * messages; that is all the state there is. The channel is non-blocking, so a
 * slow log disk slows nobody down: a full pipe means the message is counted as
 * dropped and the caller carries on (docs/logging.md, "Drops").
 * Must not: block on the channel, retry a full pipe, or split a message. */
#include "process/log.h"
#include "process/prefault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static PREFAULT_CHILD_WRITES const char *current_role =
    "monitor"; /* every connection process sets its own */
static int channel_fd = -1;
static uint64_t dropped_messages;

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

bool log_send(char stream, const char *text, size_t length)
{
    char message[LOG_MESSAGE_MAX];
    if (length > sizeof message - 2)
        length = sizeof message - 2;
    message[0] = stream;
    memcpy(message + 1, text, length);
    for (size_t i = 0; i < length; i++)
        if (message[1 + i] == '\n')
            message[1 + i] = ' '; /* one message, one line */
    message[length + 1] = '\n';
    size_t total = length + 2;
    if (channel_fd < 0) {
        /* Start-up, before the monitor reads the channel: standard error, text only. */
        ssize_t written = write(STDERR_FILENO, message + 1, total - 1);
        return written == (ssize_t)(total - 1);
    }
    for (;;) {
        ssize_t written = write(channel_fd, message, total);
        if (written == (ssize_t)total)
            return true;
        if (written < 0 && errno == EINTR)
            continue;
        /* EAGAIN: the pipe is full; EPIPE: the monitor is gone. A pipe write of at
         * most PIPE_BUF bytes is all or nothing, so there is no partial case. */
        dropped_messages++;
        return false;
    }
}

void log_error(const char *format, ...)
{
    char text[LOG_MESSAGE_MAX];
    int prefix = snprintf(text, sizeof text, "prong[%s %ld]: ", current_role, (long)getpid());
    if (prefix < 0)
        return;
    va_list arguments;
    va_start(arguments, format);
    int body = vsnprintf(text + prefix, sizeof text - (size_t)prefix, format, arguments);
    va_end(arguments);
    if (body < 0)
        return;
    size_t length = (size_t)prefix + (size_t)body;
    if (length > sizeof text - 1)
        length = sizeof text - 1;
    log_send(LOG_STREAM_ERROR, text, length);
}
