/* listener_setup.h: every listening socket of a start-up, opened and tuned.
 *
 * Contract: listeners_open_all() takes systemd's sockets (socket activation),
 * opens every --listen (or adopts every passed socket when there is none), and
 * closes a passed socket nobody asked for; then sets on each TCP listener what
 * every accepted socket inherits (so no connection process needs a call for
 * it): TCP_NOTSENT_LOWAT (2 × --min-send-rate × --send-window, within
 * UNSENT_MIN..UNSENT_MAX), SO_RCVTIMEO (--head-timeout: the first read's
 * deadline) and SO_SNDTIMEO (--send-window: a send waits at most one window).
 * Runs before the jail: the jail filter's setsockopt allows only a socket's own
 * timeouts. 0, or -1 with one line naming the listener.
 * Must not: keep a socket it was not asked for. */
#ifndef PRONG_LISTENER_SETUP_H
#define PRONG_LISTENER_SETUP_H

#include <stddef.h>

#include "config.h"
#include "process/listener.h"

int listeners_open_all(const struct config *config, struct listener *listeners, size_t *count,
                       char *error, size_t error_size);

#endif
