/* connection_send.c: a response plan onto the socket (include/process/connection_send.h).
 *
 * One loop sends every kind of segment: memory through sendto(2), file ranges
 * through sendfile(2); a head and a cached body go out together from the
 * cache's own memory; each call blocks at most SO_SNDTIMEO (the send window),
 * and between calls the rate rule decides whether to go on.
 * Must not: use sendmsg, or poll: the socket's own timeout is the wait. */
#include "process/connection_send.h"

#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process/scoreboard.h"

struct send_state {
    int fd;
    const struct send_settings *settings;
    uint64_t sent;
    uint64_t window_start_ns;
    uint64_t window_start_sent;
};

/* After a call that sent little or nothing: at the end of each window the
 * average rate over it must reach the minimum. 0 go on, -1 abandon. */
static int judge_rate(struct send_state *send)
{
    uint64_t now = monotonic_ns();
    uint64_t window_ns = (uint64_t)send->settings->send_window_ms * 1000000u;
    if (now - send->window_start_ns < window_ns)
        return 0;
    uint64_t needed =
        (uint64_t)send->settings->min_send_rate * send->settings->send_window_ms / 1000u;
    if (send->sent - send->window_start_sent < needed)
        return -1;
    send->window_start_ns = now;
    send->window_start_sent = send->sent;
    return 0;
}

/* length bytes from memory (data) or from file_fd at offset (data NULL). */
static int send_all(struct send_state *send, const char *data, int file_fd, uint64_t offset,
                    uint64_t length, bool more)
{
    off_t position = (off_t)offset;
    while (length > 0) {
        size_t chunk = length > (1u << 30) ? (1u << 30) : (size_t)length;
        ssize_t written =
            data ? sendto(send->fd, data, chunk, MSG_NOSIGNAL | (more ? MSG_MORE : 0), NULL, 0)
                 : sendfile(send->fd, file_fd, &position, chunk);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno != EAGAIN)
            return -1;
        if (written == 0 && !data)
            return -1; /* the file shrank under us: the promised length cannot be met */
        if (written > 0) {
            send->sent += (uint64_t)written;
            length -= (uint64_t)written;
            if (data)
                data += written;
        }
        if (length > 0 && judge_rate(send) != 0)
            return -1;
    }
    return 0;
}

/* The head, and a body small enough to follow it in the same call, copied into
 * buffer; returns the bytes ready, or 0 when the body cannot come along. */
static size_t gather_copy(struct send_buffer *buffer, struct response_plan *plan)
{
    size_t head = plan->head.length;
    memcpy(buffer->bytes, plan->head.data, head);
    if (plan->segment_count == 0)
        return head;
    const struct body_segment *only = &plan->segments[0];
    if (plan->segment_count != 1 || only->length > sizeof buffer->bytes - head)
        return 0;
    if (only->kind == SEGMENT_MEMORY) {
        memcpy(buffer->bytes + head, only->data, (size_t)only->length);
        return head + (size_t)only->length;
    }
    ssize_t got =
        pread(plan->file_fd, buffer->bytes + head, (size_t)only->length, (off_t)only->offset);
    return got == (ssize_t)only->length ? head + (size_t)got : 0; /* short: sendfile reports it */
}

/* The head and a small body made contiguous: the head written into the room
 * before a cached body (static/file_cache.h: no copy of the body), else both
 * copied into buffer. Returns where they start; *ready is their length, 0 when
 * the body cannot come along. */
static const char *gather(struct send_buffer *buffer, struct response_plan *plan, size_t *ready)
{
    size_t head = plan->head.length;
    if (plan->head_room && plan->segment_count == 1 && plan->segments[0].data == plan->head_room &&
        head <= RESPONSE_HEAD_MAX) {
        char *start = plan->head_room - head;
        memcpy(start, plan->head.data, head);
        *ready = head + (size_t)plan->segments[0].length;
        return start;
    }
    *ready = gather_copy(buffer, plan);
    return buffer->bytes;
}

int send_plan(int fd, const struct send_settings *settings, struct send_buffer *buffer,
              struct response_plan *plan, bool more_follows, uint64_t *body_sent)
{
    struct send_state send = {.fd = fd, .settings = settings, .window_start_ns = monotonic_ns()};
    int result = 0;
    size_t gathered = 0;
    const char *ready = gather(buffer, plan, &gathered);
    if (gathered > 0) {
        result = send_all(&send, ready, -1, 0, gathered, more_follows);
    } else {
        result = send_all(&send, plan->head.data, -1, 0, plan->head.length, true);
        for (size_t i = 0; i < plan->segment_count && result == 0; i++) {
            const struct body_segment *segment = &plan->segments[i];
            bool more = more_follows || i + 1 < plan->segment_count;
            result =
                segment->kind == SEGMENT_MEMORY
                    ? send_all(&send, segment->data, -1, 0, segment->length, more)
                    : send_all(&send, NULL, plan->file_fd, segment->offset, segment->length, more);
        }
    }
    uint64_t head_length = plan->head.length;
    *body_sent = send.sent > head_length ? send.sent - head_length : 0;
    return result;
}
