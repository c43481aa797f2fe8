/* connection.h: one client's lifetime inside a jailed connection process.
 *
 * Contract: connection_serve() reads request heads under absolute deadlines
 * (CLOCK_MONOTONIC, set once per phase and never re-armed by a trickle), parses
 * them with the strict parser, sends each response under a minimum-rate rule,
 * writes one access-log line per request, keeps the connection alive as
 * RFC 9112 §9.3 and --max-requests allow, and returns when the connection is
 * over. A refused request gets its status and the connection closes: nothing
 * after it is read as a request.
 * Must not: run before the jail is complete, read a byte before the parser can
 * bound it, or wait on the client without a deadline. */
#ifndef PRONG_CONNECTION_H
#define PRONG_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"
#include "process/connection_send.h"
#include "process/scoreboard.h"
#include "process/prefault.h"

struct connection_settings {
    struct http_limits limits;
    uint32_t max_requests;
    uint32_t head_timeout_ms;
    uint32_t next_head_timeout_ms;
    uint32_t idle_timeout_ms;
    struct send_settings send;
    bool access_log;
};

struct connection_context {
    int client_fd;                /* blocking, SO_SNDTIMEO the send window */
    bool client_is_trusted_proxy; /* --trusted-proxy: log what it says about its client */
    uint64_t accepted_ns;         /* CLOCK_MONOTONIC when the supervisor accepted it */
    uint64_t receive_timeout_ns;  /* SO_RCVTIMEO the socket already has (from the listener), 0 */
    struct scoreboard_slot *slot;
};

void connection_configure(const struct connection_settings *settings);

/* Access-log lines on or off from now on (the prefault calibration's probes
 * log nothing); returns what it was. */
bool connection_set_logging(bool access_log);

void connection_serve(const struct connection_context *context);

/* The parts of this process's connection state that a request writes (the
 * bookkeeping, the parsed request and plan, the start of the input), for the
 * prefault of a new connection process (prefault.h): how many of ranges it
 * filled, 0 if capacity is 0. */
size_t connection_hot_memory(struct prefault_range *ranges, size_t capacity);

#endif
