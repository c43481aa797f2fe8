/* connection.c: serve one client connection inside the jail.
 *
 * Deadlines are absolute CLOCK_MONOTONIC instants fixed when a phase starts (the
 * first head: from accept; a later head: from its first byte; an idle kept-alive
 * connection: from the end of the last response) and never moved by the bytes
 * that arrive, so a client trickling one byte at a time is cut off on time
 * (the anti-pattern this avoids: alarm() re-armed on every read). The socket is
 * blocking: a read waits in the kernel at most SO_RCVTIMEO, which is set (only
 * when it must change) so that no wait passes the current deadline by more than
 * RECEIVE_SLACK_NS; a kept-alive request thus costs one read, not a poll and a
 * read. Sending obeys one rule (connection_send.c): on average at least
 * --min-send-rate bytes per second over each --send-window; a stalled reader is
 * dropped, a slow one continues.
 * Must not: read without a deadline, parse anything but with http_parse_request,
 * or keep a connection open after refusing a request. */
#include "process/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "process/connection_send.h"
#include "process/log.h"
#include "static/static_files.h"
#ifdef PRONG_TEST_HOOKS
#include "escape_hook.h" /* test builds only: tests/escape/ */
#endif

/* Room for the longest head the parser accepts (request line and field block
 * at their limits) plus pipelined bytes that arrived with it. */
#define INPUT_CAPACITY (HTTP_MAX_REQUEST_LINE + HTTP_MAX_HEADER_BYTES + 8192u)
/* A read may wait this much past its deadline before SO_RCVTIMEO is changed:
 * a kept-alive connection's timeout then stays what it is from one request to
 * the next (no setsockopt per request), and a first head's, inherited from
 * the listener, is kept unless the fork took longer than this. */
#define RECEIVE_SLACK_NS 20000000ull

static struct connection_settings settings;

void connection_configure(const struct connection_settings *new_settings)
{
    settings = *new_settings;
}

bool connection_set_logging(bool access_log)
{
    bool before = settings.access_log;
    settings.access_log = access_log;
    return before;
}

/* Ordered so that what every request writes comes first and together (the
 * bookkeeping, the parsed request, the plan, the start of the input).
 * connection_hot_memory() hands that span to the prefault (prefault.h); a
 * small file's head and body are sent from the file cache's memory
 * (static/file_cache.h), which has its own span, so the send buffer (errors,
 * listings, a closing connection's file) is not among the hot pages. */
struct connection { // NOLINT(clang-analyzer-optin.performance.Padding): the order is the hot span
    const struct connection_context *context;
    size_t filled;
    uint64_t deadline_ns;
    uint64_t head_started_ns;
    uint32_t requests;
    bool answered_any;
    struct http_request request;
    struct response_plan plan;
    uint64_t receive_timeout_ns; /* SO_RCVTIMEO as set on the socket; 0: none */
    char input[INPUT_CAPACITY];
};

/* One per process: this process serves one connection. Right after the
 * statics every connection process writes, on their page (PREFAULT_CHILD_STATE,
 * src/child_writes.ld): the hot span (13.4 KiB, then the head) and those
 * statics (under 1 KiB) take 4 pages for a head of up to ~1.6 KiB, where a
 * page of their own and a page-aligned state took 5. */
static PREFAULT_CHILD_STATE struct connection state;

/* Page-aligned, so a head and a small body copied here touch one page. */
static struct send_buffer out __attribute__((aligned(4096)));

/* A typical request head (a browser's, with cookies, is 0.5-2 KiB). 1.5 KiB,
 * so that after the statics before the state (under 1 KiB) the span ends in its
 * 4th page, which the prefault populates whole (to ~1.8 KiB of head): 2 KiB
 * would populate a 5th page that most connections never write. */
#define INPUT_HOT_BYTES 1536u
/* The hot span: 4 pages of its own. */
_Static_assert(offsetof(struct connection, input) + INPUT_HOT_BYTES <= (size_t)4 * 4096u,
               "hot span over 4 pages");

size_t connection_hot_memory(struct prefault_range *ranges, size_t capacity)
{
    if (capacity < 1)
        return 0;
    ranges[0] =
        (struct prefault_range){&state, offsetof(struct connection, input) + INPUT_HOT_BYTES};
    return 1;
}

static void set_phase(enum child_phase phase)
{
    scoreboard_set_phase(state.context->slot, phase);
}

/* Enter a phase in which the supervisor ends us on stop (waiting for a first
 * request, or idle), and say whether a stop was already requested. The full
 * fences here and in the supervisor's stop make it impossible for both to
 * miss: either it sees this phase and shuts the socket, or we see its flag. */
static bool enter_stoppable_phase(enum child_phase phase)
{
    set_phase(phase);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&state.context->slot->stop_requested, memory_order_relaxed) != 0;
}

/* ---------------------------------------------------------------- receiving */

enum receive_outcome { RECEIVED, RECEIVE_TIMEOUT, RECEIVE_CLOSED, RECEIVE_FAILED };

/* Make sure the next read waits no later than the deadline (and, if the
 * current timeout is far shorter, not needlessly earlier). SO_RCVTIMEO 0 means
 * no timeout at all, so a timeout is never set below 1 ms. */
static int set_receive_timeout(uint64_t remaining_ns)
{
    if (state.receive_timeout_ns != 0 &&
        state.receive_timeout_ns <= remaining_ns + RECEIVE_SLACK_NS &&
        state.receive_timeout_ns + RECEIVE_SLACK_NS >= remaining_ns)
        return 0;
    uint64_t timeout_ns = remaining_ns < 1000000u ? 1000000u : remaining_ns;
    struct timeval timeout = {.tv_sec = (time_t)(timeout_ns / 1000000000u),
                              .tv_usec = (suseconds_t)(timeout_ns % 1000000000u / 1000u)};
    if (setsockopt(state.context->client_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) !=
        0)
        return -1;
    state.receive_timeout_ns = timeout_ns;
    return 0;
}

/* Read more bytes before the deadline: one blocking read in the usual case. */
static enum receive_outcome receive_more(void)
{
    int fd = state.context->client_fd;
    for (;;) {
        uint64_t now = monotonic_ns();
        if (now >= state.deadline_ns)
            return RECEIVE_TIMEOUT;
        if (set_receive_timeout(state.deadline_ns - now) != 0)
            return RECEIVE_FAILED;
        ssize_t got = read(fd, state.input + state.filled, sizeof state.input - state.filled);
        if (got > 0) {
            state.filled += (size_t)got;
            return RECEIVED;
        }
        if (got == 0)
            return RECEIVE_CLOSED;
        if (errno != EINTR && errno != EAGAIN)
            return RECEIVE_FAILED;
    }
}

/* ---------------------------------------------------------------- logging */

static struct http_span field_value(enum http_field_id id)
{
    const struct http_field *field = http_request_field(&state.request, id);
    return field ? field->value : (struct http_span){NULL, 0};
}

static void log_request(int status, uint64_t body_bytes, const char *reason, bool head_parsed)
{
    atomic_fetch_add_explicit(&state.context->slot->requests, 1, memory_order_relaxed);
    if (status >= 100 && status < 600)
        atomic_fetch_add_explicit(&state.context->slot->responses[status / 100 - 1], 1,
                                  memory_order_relaxed);
    if (!settings.access_log)
        return;
    struct access_record record = {
        .request_line = state.request.request_line,
        .status = status,
        .body_bytes = body_bytes,
        .referer = head_parsed ? field_value(HTTP_FIELD_REFERER) : (struct http_span){NULL, 0},
        .user_agent =
            head_parsed ? field_value(HTTP_FIELD_USER_AGENT) : (struct http_span){NULL, 0},
        .duration_us = (monotonic_ns() - state.head_started_ns) / 1000u,
        .reason = reason,
    };
    if (head_parsed && state.context->client_is_trusted_proxy) {
        record.forwarded = field_value(HTTP_FIELD_X_FORWARDED_FOR);
        if (!record.forwarded.data)
            record.forwarded = field_value(HTTP_FIELD_FORWARDED);
    }
    log_access(&record, NULL); /* the monitor adds the client and the time */
}

/* ---------------------------------------------------------------- closing */

/* Close so the client reads our last response: send FIN first, then, if it may
 * still be sending (a refused request), discard what arrives for a bounded time
 * instead of answering it with a reset that could destroy the response. */
static void close_gracefully(bool drain)
{
    int fd = state.context->client_fd;
    set_phase(PHASE_CLOSING);
    if (shutdown(fd, SHUT_WR) != 0 || !drain) {
        close(fd);
        return;
    }
    state.deadline_ns = monotonic_ns() + LINGER_MAX_NS;
    size_t drained = 0;
    while (drained < LINGER_MAX_BYTES) {
        state.filled = 0;
        if (receive_more() != RECEIVED)
            break;
        drained += state.filled;
    }
    close(fd);
}

/* ---------------------------------------------------------------- the loop */

static void refuse(int status, const char *reason)
{
    /* Published before the answer: a client that has read it may connect again
     * at once, and the supervisor must already see this process on its way out
     * (it does not count against that client when the server is full). */
    set_phase(PHASE_CLOSING);
    bool head_only = state.request.request_line.data && state.request.method == HTTP_METHOD_HEAD;
    static_files_plan_error(status, reason, head_only, &state.plan);
    uint64_t body_bytes = 0;
    send_plan(state.context->client_fd, &settings.send, &out, &state.plan, false, &body_bytes);
    atomic_fetch_add_explicit(&state.context->slot->bytes_sent, body_bytes, memory_order_relaxed);
    log_request(status, body_bytes, reason, false);
    state.answered_any = true;
}

/* Whether the bytes read since the last parse may complete a head: only a line
 * feed can, so a trickle of other bytes costs no re-parse. */
static bool may_complete(size_t from)
{
    return memchr(state.input + from, '\n', state.filled - from) != NULL ||
           state.filled == sizeof state.input;
}

/* Read until the parser decides. Returns the result, or -1 when the connection
 * ended without a decision (timeout or close, already handled). */
static int read_head(void)
{
    for (;;) {
        if (state.filled > 0) {
            enum http_parse_result result =
                http_parse_request(state.input, state.filled, &settings.limits, &state.request);
            if (result != HTTP_PARSE_INCOMPLETE)
                return (int)result;
        }
        size_t before = state.filled;
        enum receive_outcome outcome;
        do {
            bool was_idle = state.filled == 0 && state.answered_any;
            bool was_empty = state.filled == 0;
            outcome = receive_more();
            if (outcome == RECEIVED && was_idle) {
                state.head_started_ns = monotonic_ns();
                state.deadline_ns =
                    state.head_started_ns + (uint64_t)settings.next_head_timeout_ms * 1000000u;
            }
            if (outcome == RECEIVED && was_empty)
                set_phase(
                    PHASE_HEAD); /* the first byte of a head: no longer merely waiting or idle */
        } while (outcome == RECEIVED && !may_complete(before));
        if (outcome == RECEIVED)
            continue;
        if (outcome == RECEIVE_TIMEOUT && !state.answered_any) {
            refuse(408, "head-timeout");
        } else if (outcome == RECEIVE_TIMEOUT && state.filled > 0) {
            /* A later head that stalled: close without a 408, which could cross a
             * request the client is just sending (RFC 9112 §9.5). */
            log_request(408, 0, "head-timeout-closed", false);
        } else if (outcome == RECEIVE_CLOSED && state.filled > 0) {
            refuse(400, "incomplete-head");
        }
        return -1;
    }
}

void connection_serve(const struct connection_context *context)
{
    state.context = context;
    state.filled = 0;
    state.requests = 0;
    state.receive_timeout_ns = context->receive_timeout_ns;
    state.answered_any = false;
    state.head_started_ns = context->accepted_ns;
    state.deadline_ns = context->accepted_ns + (uint64_t)settings.head_timeout_ms * 1000000u;
    state.request.request_line = (struct http_span){NULL, 0};
    if (enter_stoppable_phase(PHASE_WAITING)) {
        close_gracefully(false);
        return;
    }

    for (;;) {
        int result = read_head();
        if (result < 0) {
            close_gracefully(false);
            return;
        }
        if (result == HTTP_PARSE_ERROR) {
            refuse(state.request.status, http_reason_name(state.request.reason));
            close_gracefully(true);
            return;
        }
        set_phase(PHASE_SERVING);
#ifdef PRONG_TEST_HOOKS
        if (escape_hook_handle(&state.request, context->client_fd)) {
            close_gracefully(false);
            return;
        }
#endif
        size_t consumed = state.request.consumed;
        bool pipelined = state.filled > consumed;
        static_files_plan(&state.request, &state.plan);
        /* Decide now whether this is the connection's last response, and say so
         * in it (RFC 9112 §9.6), so a client never sends into a closing socket. */
        bool stop = atomic_load_explicit(&context->slot->stop_requested, memory_order_relaxed) != 0;
        bool last = !state.request.keep_alive || state.plan.close_connection ||
                    state.requests + 1 >= settings.max_requests || stop;
        if (last)
            response_set_connection(&state.plan.head, "close");
        else if (state.request.version_minor == 0)
            response_set_connection(&state.plan.head, "keep-alive");
        uint64_t body_bytes = 0;
        bool sent_ok = send_plan(context->client_fd, &settings.send, &out, &state.plan, pipelined,
                                 &body_bytes) == 0;
        if (!sent_ok || last)
            set_phase(
                PHASE_CLOSING); /* before the log line: the client may already be reconnecting */
        state.answered_any = true;
        state.requests++;
        log_request(state.plan.status, body_bytes, sent_ok ? state.plan.reason : "send-failed",
                    true);
        atomic_fetch_add_explicit(&context->slot->bytes_sent, body_bytes, memory_order_relaxed);
        response_plan_release(&state.plan);
        if (!sent_ok || last) {
            close_gracefully(pipelined);
            return;
        }
        /* Pipelining: the next request starts exactly at the consumed count. */
        memmove(state.input, state.input + consumed, state.filled - consumed);
        state.filled -= consumed;
        state.request.request_line = (struct http_span){NULL, 0};
        uint64_t now = monotonic_ns();
        if (state.filled > 0) {
            state.head_started_ns = now;
            state.deadline_ns = now + (uint64_t)settings.next_head_timeout_ms * 1000000u;
            set_phase(PHASE_HEAD);
        } else {
            state.head_started_ns = now;
            state.deadline_ns = now + (uint64_t)settings.idle_timeout_ms * 1000000u;
            if (enter_stoppable_phase(PHASE_IDLE)) {
                close_gracefully(false);
                return;
            }
        }
    }
}
