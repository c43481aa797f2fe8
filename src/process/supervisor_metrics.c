/* supervisor_metrics.c: answer --metrics scrapes from the supervisor's event loop.
 *
 * The supervisor holds the counters, so it answers, without a process and
 * without a privilege: the socket was bound before the drop (metrics_socket.c)
 * and reaches it by fork, as the listeners do; accept4, recvfrom, sendto,
 * shutdown and close are calls its filter already allows for the 503s. A scrape
 * costs the loop one snapshot (a pass over the children's slots, as the STATUS=
 * line makes) and at most one bounded read and one non-blocking send:
 *   - accepted sockets wait (at most METRICS_WAIT_MAX, edge-triggered; a newcomer
 *     takes the place of the one waiting longest) until their request has
 *     arrived, or METRICS_DEADLINE_MS; then one recv of at
 *     most METRICS_REQUEST_MAX bytes takes the request out of the way (so the
 *     close sends FIN, not a reset that could destroy the answer) and is
 *     otherwise ignored: every request gets the same answer;
 *   - the whole answer goes in one send(MSG_DONTWAIT): a scraper that does not
 *     read gets what fits in its socket buffer (the text is ~4 KiB, so all of
 *     it) and is closed; the supervisor never waits for a scraper.
 * The counters a connection process keeps in its own slot (requests, bytes,
 * responses, its phase) are its own word: a compromised one can inflate its own
 * numbers, and nothing else (scoreboard.h). Label values are fixed words.
 * Must not: block, read more than one bounded recv per scrape, or keep a scrape
 * past its deadline. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process/log.h"
#include "supervisor_state.h"

#define METRICS_ACCEPT_BATCH 8 /* per wake-up; the tick takes what is left */

/* ---------------------------------------------------------------- the counters */

static uint64_t load(_Atomic uint64_t *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

static void take_snapshot(struct metrics_snapshot *snapshot)
{
    const struct totals *totals = &self->totals;
    *snapshot = (struct metrics_snapshot){
        .accepted = totals->accepted,
        .processes = totals->children,
        .requests = totals->requests,
        .bytes_sent = totals->bytes,
        .evictions = totals->evicted,
        .log_drops = totals->log_drops + log_dropped_count(),
        .scrapes = totals->scrapes,
        .open = self->live,
        .pending = (uint32_t)self->pending_count,
        .max_children = self->settings.max_children,
    };
    memcpy(snapshot->responses, totals->responses, sizeof snapshot->responses);
    memcpy(snapshot->refusals, totals->refusals, sizeof snapshot->refusals);
    memcpy(snapshot->ends, totals->ends, sizeof snapshot->ends);
    /* Live children: what their slots say so far (reaped ones are in the totals). */
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        if (self->children[index].pid == 0)
            continue;
        struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
        snapshot->requests += load(&slot->requests);
        snapshot->bytes_sent += load(&slot->bytes_sent);
        for (size_t i = 0; i < METRICS_STATUS_CLASSES; i++)
            snapshot->responses[i] += load(&slot->responses[i]);
        enum child_phase phase = child_phase(index);
        snapshot->phases[phase == PHASE_FREE ? METRICS_PHASE_UNKNOWN : phase]++;
    }
}

/* ---------------------------------------------------------------- answering */

/* One bounded read, one non-blocking send of the whole text, close. */
static void answer(int fd)
{
    char request[METRICS_REQUEST_MAX];
    ssize_t got = recv(fd, request, sizeof request, MSG_DONTWAIT);
    (void)got; /* the answer does not depend on the request, nor on its arrival */
    struct metrics_snapshot snapshot;
    take_snapshot(&snapshot);
    size_t length = metrics_format(&snapshot, self->metrics_text, METRICS_TEXT_MAX);
    if (length > 0 &&
        send(fd, self->metrics_text, length, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)length)
        self->totals.scrapes++;
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void end_wait(size_t index)
{
    struct metrics_wait *wait = &self->metrics_waits[index];
    epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, wait->fd, NULL);
    answer(wait->fd);
    wait->fd = -1;
}

void metrics_answer(size_t index)
{
    if (index < METRICS_WAIT_MAX && self->metrics_waits[index].fd >= 0)
        end_wait(index);
}

void metrics_expire(uint64_t now)
{
    for (size_t index = 0; index < METRICS_WAIT_MAX; index++)
        if (self->metrics_waits[index].fd >= 0 &&
            now - self->metrics_waits[index].accepted_ns > METRICS_DEADLINE_MS * 1000000ull)
            end_wait(index);
    metrics_accept(); /* what a batch or a full descriptor table left in the queue */
}

/* Wait for its request (edge-triggered: one wake-up when it arrives, or at
 * once if it already has). With every place taken, the scrape that has waited
 * longest is answered now and gives its place: silent connections cannot keep
 * a scraper that does send its request from being read, and answering it
 * before its request arrives would break its write (EPIPE) under it. */
static void await_request(int fd)
{
    size_t free_index = METRICS_WAIT_MAX, oldest = 0;
    for (size_t index = 0; index < METRICS_WAIT_MAX; index++) {
        const struct metrics_wait *wait = &self->metrics_waits[index];
        if (wait->fd < 0) {
            free_index = index;
            break;
        }
        if (wait->accepted_ns < self->metrics_waits[oldest].accepted_ns)
            oldest = index;
    }
    if (free_index == METRICS_WAIT_MAX) {
        end_wait(oldest);
        free_index = oldest;
    }
    struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                                .data.u64 = SOURCE_METRICS_BASE + free_index};
    if (epoll_ctl(self->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
        answer(fd);
        return;
    }
    self->metrics_waits[free_index] = (struct metrics_wait){fd, monotonic_ns()};
}

void metrics_accept(void)
{
    if (self->settings.metrics_fd < 0)
        return;
    for (int accepted = 0; accepted < METRICS_ACCEPT_BATCH; accepted++) {
        int fd = accept4(self->settings.metrics_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN; EMFILE and the like: the tick tries again */
        }
        await_request(fd);
    }
}

int metrics_watch(void)
{
    for (size_t index = 0; index < METRICS_WAIT_MAX; index++)
        self->metrics_waits[index].fd = -1;
    if (self->settings.metrics_fd < 0)
        return 0;
    /* Edge-triggered, so a queue left by a batch or by EMFILE cannot spin the
     * loop: the tick picks it up (metrics_expire). */
    struct epoll_event event = {.events = EPOLLIN | EPOLLET,
                                .data.u64 = SOURCE_METRICS_BASE + METRICS_WAIT_MAX};
    return epoll_ctl(self->epoll_fd, EPOLL_CTL_ADD, self->settings.metrics_fd, &event);
}
