/* connection_send.h: send one response plan on a connection's socket.
 *
 * Contract: send_plan() sends the head and the body segments of a plan in
 * order, with as few calls as the plan allows: the head and a small body
 * (a file of at most SMALL_FILE_MAX bytes, read with pread, or memory) go out in
 * one sendto(2) from one buffer; a larger file follows the head (MSG_MORE) by
 * sendfile(2). The socket is blocking with SO_SNDTIMEO set to the send window
 * (on the listener, inherited by every accepted socket: listener_limit_sends),
 * so each call waits at most one window; after each call the send-rate rule is
 * judged: on average at least min_send_rate bytes per second over each window,
 * else the response is abandoned. It returns 0, or -1 when the response could
 * not be sent completely; either way *body_sent is the body bytes that went out.
 * Uses sendto, never sendmsg: the jail filter has no sendmsg, so a connection
 * process cannot pass a descriptor (SCM_RIGHTS) on a unix socket.
 * Must not: wait longer than one window per call, or send a byte past the plan. */
#ifndef PRONG_CONNECTION_SEND_H
#define PRONG_CONNECTION_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "fixed_limits.h"
#include "static/response.h"
#include "static/static_files.h"

struct send_settings {
    uint32_t min_send_rate;  /* bytes per second */
    uint32_t send_window_ms; /* averaged over this window */
};

/* The buffer a head and a small body are sent from: one per process. */
struct send_buffer {
    char bytes[RESPONSE_HEAD_MAX + SMALL_FILE_MAX];
};

int send_plan(int fd, const struct send_settings *settings, struct send_buffer *buffer,
              struct response_plan *plan, bool more_follows, uint64_t *body_sent);

#endif
