/* listener_setup.c: open and tune the listeners of a start-up (include/process/listener_setup.h).
 *
 * The send-rate rule (--min-send-rate over --send-window) judges what a child
 * manages to hand to its socket. Unbounded, the kernel queues megabytes unsent
 * (send-buffer autotuning) and wakes the writer only once a third of them has
 * drained, so a client reading well above the rate looked stalled for whole
 * windows and was cut off, and every stalled reader pinned those megabytes.
 * Two windows' worth unsent (the kernel wakes the writer below half of it) keeps
 * the child's progress following the client's. The timeouts are the other half
 * of a connection process's deadlines: its socket is blocking, and a read or a
 * send waits in the kernel at most this long (connection.c).
 * Must not: change a listener after the jail (it cannot: no setsockopt there). */
#include "process/listener_setup.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixed_limits.h"

static int set_timeout(const struct listener *listener, int option, uint32_t milliseconds,
                       char *error, size_t error_size)
{
    struct timeval timeout = {.tv_sec = milliseconds / 1000,
                              .tv_usec = (suseconds_t)(milliseconds % 1000) * 1000};
    if (setsockopt(listener->fd, SOL_SOCKET, option, &timeout, sizeof timeout) != 0) {
        snprintf(error, error_size, "%s: cannot set its timeouts: %s", listener->name,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int tune(const struct config *config, const struct listener *listener, char *error,
                size_t error_size)
{
    int family = listener->address.ss_family;
    if (family != AF_INET && family != AF_INET6)
        return 0; /* a unix socket inherits nothing: its connection process sets its own */
    uint64_t bytes = 2u * (uint64_t)config->min_send_rate * config->send_window_ms / 1000u;
    int lowat = (int)(bytes < UNSENT_MIN ? UNSENT_MIN : bytes > UNSENT_MAX ? UNSENT_MAX : bytes);
    if (listener_limit_unsent(listener, lowat, error, error_size) != 0 ||
        set_timeout(listener, SO_RCVTIMEO, config->head_timeout_ms, error, error_size) != 0 ||
        set_timeout(listener, SO_SNDTIMEO, config->send_window_ms, error, error_size) != 0)
        return -1;
    return 0;
}

int listeners_open_all(const struct config *config, struct listener *listeners, size_t *count,
                       char *error, size_t error_size)
{
    struct systemd_sockets systemd;
    *count = 0;
    if (listener_take_systemd(&systemd, error, error_size) < 0)
        return -1;
    if (config->listen_defaulted && systemd.count > 0) {
        for (int i = 0; i < systemd.count; i++)
            if (listener_adopt(&listeners[(*count)++], &systemd, i, error, error_size) != 0)
                return -1;
    } else {
        for (size_t i = 0; i < config->listen_count; i++) {
            struct listener *first = &listeners[*count];
            int parsed =
                listener_parse_all(config->listens[i].text, first, LISTENER_SOCKETS_MAX - *count,
                                   error, error_size); /* localhost:PORT, :PORT, PORT name two */
            if (parsed < 0 ||
                listener_open_all(first, (size_t)parsed, &systemd, error, error_size) != 0)
                return -1;
            *count += (size_t)parsed;
        }
        for (int i = 0; i < systemd.count; i++)
            if (!systemd.used[i])
                close(systemd.fds[i]); /* passed but not asked for: not ours to keep */
    }
    for (size_t i = 0; i < *count; i++)
        if (tune(config, &listeners[i], error, error_size) != 0)
            return -1;
    return 0;
}
