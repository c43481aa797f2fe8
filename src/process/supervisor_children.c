/* supervisor_children.c: fork, watch, end and reap connection processes.
 *
 * Each child is forked with CLONE_PIDFD: the supervisor holds a pidfd that
 * names that process and no other, so SIGKILL through it can never reach a
 * recycled pid; the child inherits no pidfd of its own (the kernel installs it
 * in the parent only) and closes its siblings' before it serves. A child is
 * ended in two steps: shutdown(2) of the supervisor's copy of its socket, which
 * a cooperating child answers by exiting, then, KILL_AFTER_CUT_MS later,
 * SIGKILL. What ends a child: an eviction (the fair share), the end of the
 * grace period, a broken log quota (the monitor asks), and the phase caps: a TCP
 * connection on which no byte has moved either way (tcp_info(7): bytes acked and
 * received, numbers the child cannot forge) for longer than any phase's deadline
 * allows, plus a margin; a closing phase longer than the linger; on a unix
 * socket, where there is no such count, a phase that outlives its deadline.
 * Must not: signal anything but through a child's own pidfd, or trust a slot. */
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/log.h"
#include "process/prefault.h"
#include "supervisor_state.h"

/* ---------------------------------------------------------------- slots */

/* Free slots leave in the order they came back, so a slot is reused as late as
 * possible (the monitor may still be attributing its last child's messages). */
uint32_t take_slot(void)
{
    uint32_t index = self->free_slots[self->free_head];
    self->free_head = (self->free_head + 1) % self->settings.max_children;
    self->free_count--;
    return index;
}

void free_slot(uint32_t index)
{
    self->free_slots[(self->free_head + self->free_count) % self->settings.max_children] = index;
    self->free_count++;
}

/* The phase of child index as its slot says, or PHASE_COUNT if the value is
 * not a phase at all (a child that scribbles on its slot only hurts itself). */
enum child_phase child_phase(uint32_t index)
{
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    uint32_t phase = atomic_load_explicit(&slot->phase, memory_order_acquire);
    return phase < PHASE_COUNT ? (enum child_phase)phase : PHASE_COUNT;
}

/* ---------------------------------------------------------------- forking */

/* Each connection process gets its own stack canary (BROP, SECURITY.md). They
 * are drawn CANARY_BATCH at a time into memory wiped in children, one taken per
 * fork, so a child never sees another's and getrandom is not on every fork's path. */
static uint64_t next_canary(void)
{
    if (self->canaries_left == 0) {
        if (getrandom(self->canaries, sizeof(uint64_t) * CANARY_BATCH, 0) !=
            (ssize_t)(sizeof(uint64_t) * CANARY_BATCH))
            return 0; /* the child draws its own then */
        self->canaries_left = CANARY_BATCH;
    }
    uint64_t canary = self->canaries[--self->canaries_left];
    self->canaries[self->canaries_left] = 0;
    return canary;
}

/* A connection that got a slot but no process: the slot and the counts go
 * back, and the client gets a 503. */
static void give_back(uint32_t index, const struct pending_connection *connection)
{
    free_slot(index);
    client_table_remove(&self->clients, &connection->key);
    client_table_remove(&self->prefixes, &connection->prefix);
    refuse_busy(connection->fd, &connection->key, &connection->peer, connection->uid,
                REFUSAL_FORK_FAILED);
}

/* fork(2) with CLONE_PIDFD: clone(2)'s pidfd lands in *pidfd, in the parent
 * only. A raw clone, as glibc's _Fork makes one (no atfork handlers: the jail
 * filter forbids threads, so glibc's locks are never held here), with the one
 * flag set the jail filter allows. The child's cached thread id stays the
 * parent's: nothing in a connection process reads it (abort() asks gettid). */
PREFAULT_CHILD_START_CODE static pid_t fork_with_pidfd(int *pidfd)
{
    return (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PIDFD | SIGCHLD), 0L, pidfd, 0L, 0L);
}

PREFAULT_CHILD_START_CODE void spawn(const struct pending_connection *connection)
{
    uint32_t index = take_slot();
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    atomic_store(&slot->stop_requested, self->stopping ? 1u : 0u);
    atomic_store(&slot->requests, 0);
    atomic_store(&slot->bytes_sent, 0);
    atomic_store(&slot->log_drops, 0);
    for (size_t i = 0; i < sizeof slot->responses / sizeof slot->responses[0]; i++)
        atomic_store(&slot->responses[i], 0);
    scoreboard_set_phase(slot, PHASE_STARTING);
    /* Only this fork inherits this slot (scoreboard.h), at the address lend
     * gives; the parent forgets the child's canary at once, so no later child
     * can find it in our memory. */
    struct scoreboard_slot *lent = scoreboard_lend(&self->scoreboard, index);
    if (!lent) {
        give_back(index, connection);
        return;
    }
    struct child_start start = {
        .client_fd = connection->fd,
        .peer = connection->peer,
        .accepted_ns = connection->accepted_ns,
        .slot = lent,
        .canary = next_canary(),
        .trusted_proxy = connection->trusted_proxy,
        .tcp = connection->tcp,
    };
    void (*start_child)(const struct child_start *) = self->settings.start_child;
    int pidfd = -1;
    pid_t pid = fork_with_pidfd(&pidfd);
    if (pid == 0) {
        start_child(&start);
        _exit(70); /* start_child never returns; if it did, this must not act as a supervisor */
    }
    int fork_errno = errno; /* before the reclaim below can change it */
    explicit_bzero(&start.canary, sizeof start.canary);
    if (scoreboard_reclaim(&self->scoreboard, index) != 0) {
        /* Every later child would map this slot too: fail closed. */
        log_error("cannot mark scoreboard slot %u private again: %s; stopping", index,
                  strerror(errno));
        begin_stop();
    }
    if (pid < 0) {
        give_back(index, connection);
        back_off(strerror(fork_errno));
        return;
    }
    uint64_t now = monotonic_ns();
    struct child *child = &self->children[index];
    *child = (struct child){.pid = pid,
                            .pidfd = pidfd,
                            .client_fd = connection->fd,
                            .key = connection->key,
                            .prefix = connection->prefix,
                            .tcp = connection->tcp,
                            .started_ns = connection->accepted_ns,
                            .progress_ns = now,
                            .seen_phase = PHASE_STARTING,
                            .seen_phase_ns = now};
    log_peer_from_address((const struct sockaddr *)&connection->peer, connection->uid,
                          &child->peer);
    peer_ring_publish(self->settings.peer_ring, pid, &child->peer, connection->trusted_proxy);
    pid_index_put(&self->pids, pid, index);
    self->live++;
    self->totals.children++;
}

/* ---------------------------------------------------------------- ending */

static void describe(const struct child *child, char *out, size_t out_size)
{
    log_peer_format(&child->peer, out, out_size);
}

/* Cut the child's connection: shutdown(2) wakes a cooperating child, which
 * then exits. From here its client's counts no longer include it, so the
 * fair share weighs only what each client will go on holding. */
static void cut(struct child *child)
{
    shutdown(child->client_fd, SHUT_RDWR);
    child->cut_ns = monotonic_ns();
    client_table_remove(&self->clients, &child->key);
    client_table_remove(&self->prefixes, &child->prefix);
}

void end_child(uint32_t index, bool evicted)
{
    struct child *child = &self->children[index];
    if (child->pid == 0 || child->cut_ns != 0)
        return;
    cut(child);
    if (evicted) {
        child->evicted = true;
        self->totals.evicted++;
    }
}

static void kill_child(uint32_t index, const char *why)
{
    struct child *child = &self->children[index];
    if (child->pid == 0 || child->killed)
        return;
    if (child->cut_ns == 0)
        cut(child);
    if (!self->settings.kill_children)
        return; /* the lab's sabotage: a supervisor that can only cut the socket */
    if (syscall(SYS_pidfd_send_signal, child->pidfd, SIGKILL, NULL, 0) != 0 && errno != ESRCH) {
        log_error("cannot kill child pid=%d: %s", child->pid, strerror(errno));
        return;
    }
    child->killed = true;
    self->totals.killed++;
    char client[64];
    describe(child, client, sizeof client);
    log_error("child pid=%d client=%s killed: %s", child->pid, client, why);
}

static int64_t find_child(pid_t pid)
{
    return pid_index_find(&self->pids, pid);
}

void kill_child_by_pid(int32_t pid, const char *why)
{
    int64_t index = pid > 0 ? find_child(pid) : -1;
    if (index < 0)
        return; /* gone already */
    if (!self->children[index].killed)
        crash_guard_record(self->crashes, &self->children[index].key, monotonic_ns());
    kill_child((uint32_t)index, why);
}

/* ---------------------------------------------------------------- watching */

/* Bytes the kernel has seen acknowledged and received on the connection. */
static bool tcp_progress(const struct child *child, uint64_t *progress)
{
    struct tcp_info info;
    socklen_t length = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(child->client_fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
        length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
        return false;
    *progress = info.tcpi_bytes_acked + info.tcpi_bytes_received;
    return true;
}

/* Whether the child has outlived its phase's cap (see the file's header). */
static bool over_cap(uint32_t index, struct child *child, uint64_t now, bool check_progress)
{
    uint64_t quiet_ns = ((uint64_t)(self->settings.head_deadline_ms > self->settings.send_window_ms
                                        ? self->settings.head_deadline_ms
                                        : self->settings.send_window_ms) +
                         BACKSTOP_MARGIN_MS) *
                        1000000u;
    uint64_t closing_ns = LINGER_MAX_NS + BACKSTOP_MARGIN_MS * 1000000ull;
    enum child_phase phase = child_phase(index);
    if (phase != child->seen_phase) {
        child->seen_phase = phase;
        child->seen_phase_ns = now;
    }
    if (phase == PHASE_CLOSING && now - child->seen_phase_ns > closing_ns)
        return true;
    if (child->tcp && check_progress) {
        uint64_t progress = 0;
        if (tcp_progress(child, &progress) && progress != child->progress) {
            child->progress = progress;
            child->progress_ns = now;
        }
    }
    if (child->tcp)
        return now - child->progress_ns > quiet_ns;
    /* A unix socket: no kernel count of progress, so the phase (and, while
     * serving, the child's own count of bytes sent) is all there is. */
    if (phase == PHASE_SERVING) {
        uint64_t sent = atomic_load_explicit(&scoreboard_slot(&self->scoreboard, index)->bytes_sent,
                                             memory_order_relaxed);
        if (sent != child->progress) {
            child->progress = sent;
            child->progress_ns = now;
        }
        return now - child->progress_ns > quiet_ns;
    }
    return now - child->seen_phase_ns > quiet_ns;
}

void watch_children(uint64_t now)
{
    bool grace_over = self->stopping && now >= self->stop_deadline_ns;
    uint32_t count = self->settings.max_children, quarter = count / 4 + 1;
    uint32_t first = self->progress_cursor, last = first + quarter; /* each child once a second */
    self->progress_cursor = last % count;
    for (uint32_t index = 0; index < count; index++) {
        struct child *child = &self->children[index];
        if (child->pid == 0)
            continue;
        if (child->cut_ns != 0) {
            if (!child->killed && now - child->cut_ns > (KILL_AFTER_CUT_MS * 1000000ull))
                kill_child(index, child->evicted ? "it did not end after its eviction"
                                                 : "it did not end after its connection was cut");
            continue;
        }
        bool check = (index >= first && index < last) || index + count < last;
        if (grace_over) {
            end_child(index, false);
        } else if (over_cap(index, child, now, check)) {
            char client[64];
            describe(child, client, sizeof client);
            log_error("child pid=%d client=%s cut: it outlived its phase's cap", child->pid,
                      client);
            end_child(index, false);
        }
    }
}

/* ---------------------------------------------------------------- reaping */

/* The first cause that applies (metrics.h's order). */
static enum end_cause end_cause(const struct child *child, int status)
{
    if (child->killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return END_KILLED;
    if (WIFSIGNALED(status))
        return END_SIGNAL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return END_FAILED;
    if (child->evicted)
        return END_EVICTED;
    return child->cut_ns != 0 ? END_CUT : END_NORMAL;
}

static void account_end(const struct child *child, uint32_t index, int status,
                        const struct rusage *usage)
{
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    uint64_t requests = atomic_load(&slot->requests), bytes = atomic_load(&slot->bytes_sent);
    self->totals.requests += requests;
    self->totals.bytes += bytes;
    self->totals.log_drops += atomic_load(&slot->log_drops);
    for (size_t i = 0; i < METRICS_STATUS_CLASSES; i++)
        self->totals.responses[i] += atomic_load(&slot->responses[i]);
    bool abnormal = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (abnormal)
        self->totals.abnormal++;
    self->totals.ends[end_cause(child, status)]++;
    char client[64], ending[64];
    describe(child, client, sizeof client);
    if (WIFSIGNALED(status) && crash_guard_is_crash(WTERMSIG(status)) &&
        crash_guard_record(self->crashes, &child->key, monotonic_ns())) {
        char blocked[64];
        client_key_format(&child->key, blocked, sizeof blocked);
        log_error("client %s refused for %u s: %u connection processes crashed within a minute "
                  "(crash storm)",
                  blocked, self->settings.crash_block_ms / 1000, self->settings.crash_limit);
    }
    if (!abnormal && !self->settings.log_children)
        return;
    if (WIFSIGNALED(status))
        snprintf(ending, sizeof ending, "signal=%d (SIG%s)", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(ending, sizeof ending, "exit=%d", WEXITSTATUS(status));
    uint64_t cpu_us =
        (uint64_t)usage->ru_utime.tv_sec * 1000000u + (uint64_t)usage->ru_utime.tv_usec +
        (uint64_t)usage->ru_stime.tv_sec * 1000000u + (uint64_t)usage->ru_stime.tv_usec;
    log_error("child pid=%ld client=%s %s cpu_us=%llu maxrss_kb=%ld minflt=%ld requests=%llu "
              "bytes=%llu%s%s",
              (long)child->pid, client, ending, (unsigned long long)cpu_us, usage->ru_maxrss,
              usage->ru_minflt, (unsigned long long)requests, (unsigned long long)bytes,
              child->evicted ? " evicted" : "", child->killed ? " killed" : "");
}

void reap_children(void)
{
    for (;;) {
        int status = 0;
        struct rusage usage;
        pid_t pid = wait4(-1, &status, WNOHANG, &usage);
        if (pid <= 0)
            break;
        int64_t index = find_child(pid);
        if (index < 0)
            continue;
        struct child *child = &self->children[index];
        account_end(child, (uint32_t)index, status, &usage);
        close(child->client_fd);
        close(child->pidfd);
        if (child->cut_ns == 0) { /* a cut child's counts went at its cut */
            client_table_remove(&self->clients, &child->key);
            client_table_remove(&self->prefixes, &child->prefix);
        }
        scoreboard_set_phase(scoreboard_slot(&self->scoreboard, (uint32_t)index), PHASE_FREE);
        pid_index_remove(&self->pids, pid);
        *child = (struct child){0};
        free_slot((uint32_t)index);
        self->live--;
    }
    if (self->stopping)
        expire_pending(UINT64_MAX);
    start_pending();
}
