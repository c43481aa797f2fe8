/* supervisor.c: accept, cap, evict, fork, reap: the jailed parent's event loop.
 *
 * The supervisor runs inside the same jail as its children (chroot, no
 * capabilities, no_new_privs, Landlock, the jail seccomp filter), so forking a
 * child costs a fork and nothing more: the jail is inherited. It sees each
 * connection's address before any child exists, so the per-client cap and the
 * 503 for a full server cost no process. It keeps its copy of every client
 * socket: shutdown(2) on it ends a child's connection (eviction, the end of the
 * grace period) without any signal, which is why the jail filter has no kill().
 * Child phases come from the shared scoreboard and are treated as untrusted hints.
 * Must not: read from a client socket, block on one, or fork beyond --max-children. */
#include "process/supervisor.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "process/access_log.h"
#include "process/client_table.h"
#include "process/crash_guard.h"
#include "process/log.h"
#include "process/prefault.h"
#include "http/proxy_protocol.h"
#include "process/rate_limit.h"
#include "static/response.h"

#define ACCEPT_BATCH 64         /* connections accepted per wake-up, so signals stay responsive */
#define TICK_MS 250             /* housekeeping period */
#define BACKOFF_MS 200          /* pause accepting after EMFILE/ENFILE or a failed fork */
#define EVENT_BATCH 64
#define CANARY_BATCH 64        /* stack canaries drawn per getrandom call */

enum event_source {
    SOURCE_SIGNAL = 1,
    SOURCE_TIMER,
    SOURCE_CONTROL,
    SOURCE_LISTENER_BASE = 16,    /* + listener index */
    SOURCE_PROXY_BASE = 1u << 20, /* + index of a connection awaiting its PROXY header */
};

struct child {
    pid_t pid; /* 0: free */
    int client_fd;
    struct client_key key;
    uint64_t started_ns;
    bool evicting;
};

struct pending_connection {
    int fd;
    struct client_key key;
    struct sockaddr_storage peer;
    uint64_t accepted_ns;
};

/* A connection on a PROXY listener, before its header told us the client. */
struct proxy_wait {
    int fd; /* -1: free */
    struct sockaddr_storage peer;
    uint64_t accepted_ns;
};

struct totals {
    uint64_t children, requests, bytes, refused, evicted, abnormal, log_drops, log_drops_reported;
};

static struct supervisor_state {
    struct supervisor_settings settings;
    int epoll_fd, signal_fd, timer_fd;
    struct scoreboard scoreboard;
    struct client_table
        clients; /* wiped in children: no connection process learns another client's address */
    struct crash_guard *crashes; /* wiped in children */
    struct rate_limit *rates;    /* wiped in children */
    struct child *children;      /* max_children entries, wiped in children */
    uint32_t *free_slots;        /* stack of free indexes */
    uint32_t free_count;
    uint32_t live;
    struct pending_connection *pending; /* PENDING_MAX entries, wiped in children */
    struct proxy_wait *proxy_waits;     /* PROXY_WAIT_MAX entries, wiped in children */
    uint64_t *canaries;                 /* CANARY_BATCH entries, wiped in children */
    size_t canaries_left;
    size_t pending_head, pending_count;
    bool started, stopping, listeners_paused;
    uint64_t stop_deadline_ns, resume_ns;
    struct totals totals;
} * self; /* wiped in children: a fork write-protects none of it (one fault less per connection) */

static void begin_stop(void);

/* ---------------------------------------------------------------- preparation */

/* With fifty busy connection processes on a core, a supervisor at their
 * priority gets a fifty-first of it: new connections then wait for their fork
 * (50 new keep-alive connections beside 50 busy ones: p99 over 4 s 240-310 ms
 * at nice 0, 105-115 at -3, 38-44 at -5, 29-38 at -10), and refusing a flood
 * waits too. Not more than -5: at -10 the supervisor forks so far ahead that
 * Connection: close traffic is served by many children sharing the core
 * instead of in accept order (p99 ~145 ms against ~97 at -5 and ~115 at 0).
 * Reset-on-fork keeps the boost out of the children (sched(7)); they cannot
 * take it back, the jail filter having no sched_* or setpriority call. */
int supervisor_raise_priority(char *error, size_t error_size)
{
    struct sched_param none = {0};
    if (sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &none) != 0) {
        snprintf(error, error_size, "cannot set SCHED_RESET_ON_FORK: %s", strerror(errno));
        return -1;
    }
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if (errno != 0) {
        snprintf(error, error_size, "cannot read the nice value: %s", strerror(errno));
        return -1;
    }
    if (nice_now > SUPERVISOR_NICE && setpriority(PRIO_PROCESS, 0, SUPERVISOR_NICE) != 0 &&
        errno != EACCES && errno != EPERM) {
        snprintf(error, error_size, "cannot lower the nice value: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void *wiped_on_fork(size_t bytes)
{
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return NULL;
    if (madvise(memory, bytes, MADV_WIPEONFORK) != 0) {
        munmap(memory, bytes);
        return NULL;
    }
    return memory;
}

static int watch(int fd, uint32_t events, uint64_t source)
{
    struct epoll_event event = {.events = events, .data.u64 = source};
    return epoll_ctl(self->epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int supervisor_prepare(const struct supervisor_settings *settings, char *error, size_t error_size)
{
    if (!(self = wiped_on_fork(sizeof *self))) {
        snprintf(error, error_size, "cannot allocate the supervisor's state: %s", strerror(errno));
        return -1;
    }
    self->settings = *settings;
    uint32_t slots = settings->max_children;
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGQUIT);
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    uint64_t seed = 0;
    /* SIGPIPE: a closed client is an error return, not a death. SIGABRT: the one
     * signal the jail filter lets a process send (for its own abort()) must not
     * hurt anyone else; every jailed process inherits this, and abort() restores
     * the default action before it raises SIGABRT a second time. */
    if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0 || sigaction(SIGPIPE, &ignore, NULL) != 0 ||
        sigaction(SIGABRT, &ignore, NULL) != 0 ||
        (self->signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
        (self->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (self->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) {
        snprintf(error, error_size, "cannot set up the supervisor's event loop: %s",
                 strerror(errno));
        return -1;
    }
    struct itimerspec period = {{0, TICK_MS * 1000000L}, {0, TICK_MS * 1000000L}};
    if (timerfd_settime(self->timer_fd, 0, &period, NULL) != 0 ||
        watch(self->signal_fd, EPOLLIN, SOURCE_SIGNAL) != 0 ||
        watch(self->timer_fd, EPOLLIN, SOURCE_TIMER) != 0 ||
        watch(settings->control_fd, EPOLLIN | EPOLLRDHUP, SOURCE_CONTROL) != 0) {
        snprintf(error, error_size, "cannot set up the supervisor's event loop: %s",
                 strerror(errno));
        return -1;
    }
    if (getentropy(&seed, sizeof seed) != 0 || scoreboard_create(&self->scoreboard, slots) != 0 ||
        client_table_init(&self->clients, (size_t)slots + PENDING_MAX, seed) != 0 ||
        !(self->children = wiped_on_fork(sizeof(struct child) * slots)) ||
        !(self->free_slots = wiped_on_fork(sizeof(uint32_t) * slots)) ||
        !(self->pending = wiped_on_fork(sizeof(struct pending_connection) * PENDING_MAX)) ||
        !(self->crashes = wiped_on_fork(sizeof(struct crash_guard))) ||
        !(self->rates = wiped_on_fork(sizeof(struct rate_limit))) ||
        !(self->proxy_waits = wiped_on_fork(sizeof(struct proxy_wait) * PROXY_WAIT_MAX)) ||
        !(self->canaries = wiped_on_fork(sizeof(uint64_t) * CANARY_BATCH))) {
        snprintf(error, error_size, "cannot allocate the supervisor's tables for %u children: %s",
                 slots, strerror(errno));
        return -1;
    }
    rate_limit_init(self->rates, settings->max_connection_rate, seed ^ 0x9e3779b97f4a7c15ull);
    crash_guard_init(self->crashes, settings->crash_limit,
                     (uint64_t)settings->crash_block_ms * 1000000u);
    for (uint32_t i = 0; i < slots; i++)
        self->free_slots[i] = slots - 1 - i;
    for (size_t i = 0; i < PROXY_WAIT_MAX; i++)
        self->proxy_waits[i].fd = -1;
    self->free_count = slots;
    return 0;
}

/* ---------------------------------------------------------------- listeners */

static void set_listeners(bool accepting)
{
    for (size_t i = 0; i < self->settings.listener_count; i++) {
        struct epoll_event event = {.events = accepting ? EPOLLIN : 0,
                                    .data.u64 = SOURCE_LISTENER_BASE + i};
        int operation = self->started ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(self->epoll_fd, operation, self->settings.listeners[i].fd, &event) != 0)
            log_error("cannot %s listener %s: %s", accepting ? "resume" : "pause",
                      self->settings.listeners[i].name, strerror(errno));
    }
    self->started = true;
    self->listeners_paused = !accepting;
}

static void back_off(const char *why)
{
    if (!self->listeners_paused)
        log_error("pausing accept for %d ms: %s", BACKOFF_MS, why);
    set_listeners(false);
    self->resume_ns = monotonic_ns() + BACKOFF_MS * 1000000ull;
}

/* ---------------------------------------------------------------- refusing */

/* A minimal 503, written without creating a child and without reading the
 * request: one non-blocking send, whatever fits, then close. */
static void refuse_busy(int fd, const struct client_key *key, const char *reason)
{
    struct response_head head;
    response_error(&head, 503, true, false);
    ssize_t sent = send(fd, head.data, head.length, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)sent; /* a client that cannot take 200 bytes now does not get them later either */
    /* Closing a socket with unread bytes sends a reset, which can destroy the
     * 503 before the client reads it. So the request already queued is thrown
     * away unread (MSG_TRUNC discards without copying: nothing is parsed or
     * even looked at), after FIN, in one bounded non-blocking call. */
    shutdown(fd, SHUT_WR);
    ssize_t discarded = recv(fd, NULL, 65536, MSG_TRUNC | MSG_DONTWAIT);
    (void)discarded;
    close(fd);
    self->totals.refused++;
    char client[64], line[512];
    client_key_format(key, client, sizeof client);
    struct access_record record = {
        .client = client, .time_seconds = (int64_t)time(NULL), .status = 503, .reason = reason};
    size_t length = access_log_format(&record, line, sizeof line);
    log_send(LOG_STREAM_ACCESS, line, length);
}

/* ---------------------------------------------------------------- children */

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

static void reap_children(void);

/* A connection that got a slot but no process: the slot and the client's count
 * go back, and the client gets a 503. */
static void give_back(uint32_t index, int fd, const struct client_key *key)
{
    self->free_slots[self->free_count++] = index;
    client_table_remove(&self->clients, key);
    refuse_busy(fd, key, "fork-failed");
}

PREFAULT_CHILD_START_CODE static void spawn(int fd, const struct client_key *key,
                                            const struct sockaddr_storage *peer,
                                            uint64_t accepted_ns)
{
    uint32_t index = self->free_slots[--self->free_count];
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    atomic_store(&slot->stop_requested, self->stopping ? 1u : 0u);
    atomic_store(&slot->requests, 0);
    atomic_store(&slot->bytes_sent, 0);
    atomic_store(&slot->log_drops, 0);
    scoreboard_set_phase(slot, PHASE_STARTING);
    struct child_start start = {
        .client_fd = fd,
        .log_fd = self->settings.log_fd,
        .peer = *peer,
        .accepted_ns = accepted_ns,
        .slot = slot,
        .canary = next_canary(),
    };
    /* Only this fork inherits this slot (scoreboard.h); the parent forgets the
     * child's canary at once, so no later child can find it in our memory. */
    if (scoreboard_lend(&self->scoreboard, index) != 0) {
        give_back(index, fd, key);
        return;
    }
    void (*start_child)(const struct child_start *) =
        self->settings.start_child; /* the child sees *self wiped */
    /* _Fork, not fork: the same system call (the jail filter's clone rule is
     * unchanged) without the atfork handlers and glibc's own resets in the
     * child, which wrote three inherited pages in every child, a copy-on-write
     * fault each (docs/architecture.md, "Fifth round"). Safe here: the one
     * handler is libcap-ng's reset of its own state, which connection processes
     * never use, and glibc's resets matter only to a parent with threads, which
     * the jail filter forbids. */
    pid_t pid = _Fork();
    if (pid == 0) {
        start_child(&start);
        _exit(70); /* start_child never returns; if it ever did, this process must not serve as a
                      supervisor */
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
        give_back(index, fd, key);
        back_off(strerror(fork_errno));
        return;
    }
    self->children[index] =
        (struct child){.pid = pid, .client_fd = fd, .key = *key, .started_ns = accepted_ns};
    self->live++;
    self->totals.children++;
}

/* The phase of child index as its slot says, or PHASE_COUNT if the value is
 * not a phase at all (a child that scribbles on its slot only hurts itself). */
static enum child_phase child_phase(uint32_t index, uint64_t *since_ns, uint64_t now)
{
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    uint32_t phase = atomic_load_explicit(&slot->phase, memory_order_acquire);
    uint64_t since = atomic_load_explicit(&slot->phase_since_ns, memory_order_relaxed);
    *since_ns = since > now ? now : since;
    return phase < PHASE_COUNT ? (enum child_phase)phase : PHASE_COUNT;
}

/* Make room for a connection from key: end the child that waits for a request
 * head or idles, preferring the client that holds the most connections, then
 * the longest wait. A newcomer whose own client holds as many connections as
 * that victim's is refused instead, so a heavy client cannot push others out. */
static bool evict_for(const struct client_key *key)
{
    /* What the newcomer's client holds: not the newcomer, whom admit() has
     * already counted, nor its connections on their way out (answered and
     * closing, or evicted), which are counted until reaped. Counting those made
     * a client with one slow connection per address unevictable, so slow clients
     * on many addresses locked everyone out, a sequential client first. */
    uint64_t now = monotonic_ns(), best_since = UINT64_MAX;
    uint32_t counted = client_table_count(&self->clients, key), leaving = 1;
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        struct child *child = &self->children[index];
        uint64_t since = 0;
        if (child->pid != 0 && memcmp(&child->key, key, sizeof *key) == 0 &&
            (child->evicting || child_phase(index, &since, now) == PHASE_CLOSING))
            leaving++;
    }
    uint32_t held = counted > leaving ? counted - leaving : 0;
    uint32_t best_count = 0;
    int64_t best = -1;
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        struct child *child = &self->children[index];
        uint64_t since = 0;
        if (child->pid == 0 || child->evicting)
            continue;
        enum child_phase phase = child_phase(index, &since, now);
        if (phase != PHASE_WAITING && phase != PHASE_HEAD && phase != PHASE_IDLE)
            continue;
        uint32_t count = memcmp(&child->key, key, sizeof *key) == 0
                             ? held
                             : client_table_count(&self->clients, &child->key);
        if (count > best_count || (count == best_count && since < best_since)) {
            best = index;
            best_count = count;
            best_since = since;
        }
    }
    if (best < 0 || held >= best_count)
        return false;
    struct child *victim = &self->children[best];
    if (shutdown(victim->client_fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        return false;
    victim->evicting = true;
    self->totals.evicted++;
    return true;
}

static void admit(int fd, const struct sockaddr_storage *peer, uint64_t accepted_ns)
{
    struct client_key key;
    client_key_from_address((const struct sockaddr *)peer, &key);
    if (crash_guard_blocked(self->crashes, &key, accepted_ns)) {
        refuse_busy(fd, &key, "crash-storm");
        return;
    }
    /* A connection that closes at once never reaches --max-per-ip, yet each one
     * costs a fork: the rate is what keeps one address from flooding the
     * accept queue for everyone (tests/attack/flood.py). */
    if (!rate_limit_take(self->rates, &key, accepted_ns)) {
        refuse_busy(fd, &key, "rate-limit");
        return;
    }
    bool over_client_cap = self->settings.max_per_ip &&
                           client_table_count(&self->clients, &key) >= self->settings.max_per_ip;
    if (over_client_cap || self->free_count == 0) {
        /* Children that finished may not be reaped yet (their SIGCHLD can sit in
         * the same batch of events): count them out before refusing anyone. */
        reap_children();
        over_client_cap = self->settings.max_per_ip &&
                          client_table_count(&self->clients, &key) >= self->settings.max_per_ip;
    }
    if (over_client_cap) {
        refuse_busy(fd, &key, "per-client-cap");
        return;
    }
    if (client_table_add(&self->clients, &key) != 0) {
        refuse_busy(fd, &key, "server-full");
        return;
    }
    if (self->free_count > 0 && self->pending_count == 0) {
        spawn(fd, &key, peer, accepted_ns);
        return;
    }
    if (self->pending_count < PENDING_MAX && evict_for(&key)) {
        size_t tail = (self->pending_head + self->pending_count++) % PENDING_MAX;
        self->pending[tail] = (struct pending_connection){fd, key, *peer, accepted_ns};
        return;
    }
    client_table_remove(&self->clients, &key);
    refuse_busy(fd, &key, "server-full");
}

/* ---------------------------------------------------------------- PROXY protocol */

static void end_proxy_wait(size_t index, bool close_it)
{
    struct proxy_wait *wait = &self->proxy_waits[index];
    epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, wait->fd, NULL);
    if (close_it)
        close(wait->fd);
    wait->fd = -1;
}

/* Hold a connection from a PROXY listener until its header arrives. The
 * supervisor reads only that header (bounded, parsed by proxy_parse, fuzzed
 * like the HTTP parser); the request itself is left for the connection process. */
static void await_proxy_header(int fd, const struct sockaddr_storage *peer, uint64_t accepted_ns)
{
    for (size_t index = 0; index < PROXY_WAIT_MAX; index++) {
        struct proxy_wait *wait = &self->proxy_waits[index];
        if (wait->fd >= 0)
            continue;
        /* Edge-triggered: the header is only peeked until complete, so a level-
         * triggered watch would wake the supervisor again and again on the same bytes. */
        struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                                    .data.u64 = SOURCE_PROXY_BASE + index};
        if (epoll_ctl(self->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
            break;
        *wait = (struct proxy_wait){fd, *peer, accepted_ns};
        return;
    }
    close(fd); /* too many headers in flight: a proxy reconnects */
}

static void read_proxy_header(size_t index)
{
    struct proxy_wait *wait = &self->proxy_waits[index];
    unsigned char header_bytes[PROXY_V2_MAX];
    ssize_t got = recv(wait->fd, header_bytes, sizeof header_bytes, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    struct proxy_header header;
    enum proxy_result result =
        got > 0 ? proxy_parse(header_bytes, (size_t)got, &header) : PROXY_ERROR;
    if (result == PROXY_INCOMPLETE && (size_t)got < sizeof header_bytes)
        return;
    if (result != PROXY_COMPLETE ||
        recv(wait->fd, header_bytes, header.consumed, MSG_DONTWAIT) != (ssize_t)header.consumed) {
        self->totals.refused++;
        end_proxy_wait(index,
                       true); /* not a PROXY header: no answer, the peer is no proxy of ours */
        return;
    }
    int fd = wait->fd;
    struct sockaddr_storage client = header.has_source ? header.source : wait->peer;
    uint64_t accepted_ns = wait->accepted_ns;
    end_proxy_wait(index, false);
    admit(fd, &client, accepted_ns);
}

static void expire_proxy_waits(uint64_t now)
{
    for (size_t index = 0; index < PROXY_WAIT_MAX; index++)
        if (self->proxy_waits[index].fd >= 0 &&
            now - self->proxy_waits[index].accepted_ns > PROXY_DEADLINE_MS * 1000000ull)
            end_proxy_wait(index, true);
}

static void accept_connections(struct listener *listener)
{
    for (int accepted = 0; accepted < ACCEPT_BATCH && !self->listeners_paused; accepted++) {
        struct sockaddr_storage peer;
        socklen_t peer_length = sizeof peer;
        int fd = accept4(listener->fd, (struct sockaddr *)&peer, &peer_length,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                back_off(strerror(errno)); /* do not spin on a full descriptor table */
            else if (errno != EAGAIN)
                log_error("accept on %s: %s", listener->name, strerror(errno));
            return;
        }
        if (self->stopping) {
            close(fd);
            continue;
        }
        if (listener->proxy)
            await_proxy_header(fd, &peer, monotonic_ns());
        else
            admit(fd, &peer, monotonic_ns());
    }
}

static int64_t find_child(pid_t pid)
{
    for (uint32_t index = 0; index < self->settings.max_children; index++)
        if (self->children[index].pid == pid)
            return index;
    return -1;
}

static void account_end(const struct child *child, uint32_t index, int status,
                        const struct rusage *usage)
{
    struct scoreboard_slot *slot = scoreboard_slot(&self->scoreboard, index);
    uint64_t requests = atomic_load(&slot->requests), bytes = atomic_load(&slot->bytes_sent);
    self->totals.requests += requests;
    self->totals.bytes += bytes;
    self->totals.log_drops += atomic_load(&slot->log_drops);
    bool abnormal = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (abnormal)
        self->totals.abnormal++;
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
    char client[64], ending[64];
    client_key_format(&child->key, client, sizeof client);
    if (WIFSIGNALED(status))
        snprintf(ending, sizeof ending, "signal=%d (SIG%s)", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(ending, sizeof ending, "exit=%d", WEXITSTATUS(status));
    uint64_t cpu_us =
        (uint64_t)usage->ru_utime.tv_sec * 1000000u + (uint64_t)usage->ru_utime.tv_usec +
        (uint64_t)usage->ru_stime.tv_sec * 1000000u + (uint64_t)usage->ru_stime.tv_usec;
    log_error("child pid=%ld client=%s %s cpu_us=%llu maxrss_kb=%ld minflt=%ld requests=%llu "
              "bytes=%llu%s",
              (long)child->pid, client, ending, (unsigned long long)cpu_us, usage->ru_maxrss,
              usage->ru_minflt, (unsigned long long)requests, (unsigned long long)bytes,
              child->evicting ? " evicted" : "");
}

static void start_pending(void)
{
    while (self->pending_count > 0 && self->free_count > 0) {
        struct pending_connection next = self->pending[self->pending_head];
        self->pending_head = (self->pending_head + 1) % PENDING_MAX;
        self->pending_count--;
        spawn(next.fd, &next.key, &next.peer, next.accepted_ns);
    }
}

static void reap_children(void)
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
        client_table_remove(&self->clients, &child->key);
        scoreboard_set_phase(scoreboard_slot(&self->scoreboard, (uint32_t)index), PHASE_FREE);
        *child = (struct child){0};
        self->free_slots[self->free_count++] = (uint32_t)index;
        self->live--;
    }
    if (self->stopping) {
        while (self->pending_count > 0) {
            close(self->pending[self->pending_head].fd);
            self->pending_head = (self->pending_head + 1) % PENDING_MAX;
            self->pending_count--;
        }
    }
    start_pending();
}

/* ---------------------------------------------------------------- stopping */

static void begin_stop(void)
{
    if (self->stopping)
        return;
    self->stopping = true;
    self->stop_deadline_ns = monotonic_ns() + (uint64_t)self->settings.grace_ms * 1000000u;
    for (size_t i = 0; i < self->settings.listener_count; i++) {
        epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, self->settings.listeners[i].fd, NULL);
        close(self->settings.listeners[i].fd);
    }
    for (size_t index = 0; index < PROXY_WAIT_MAX; index++)
        if (self->proxy_waits[index].fd >= 0)
            end_proxy_wait(index, true);
    uint64_t now = monotonic_ns();
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        struct child *child = &self->children[index];
        uint64_t since = 0;
        if (child->pid == 0)
            continue;
        atomic_store(&scoreboard_slot(&self->scoreboard, index)->stop_requested, 1u);
        atomic_thread_fence(
            memory_order_seq_cst); /* pairs with enter_stoppable_phase() in connection.c */
        enum child_phase phase = child_phase(index, &since, now);
        if (phase == PHASE_IDLE || phase == PHASE_WAITING)
            shutdown(child->client_fd, SHUT_RD); /* no request in flight: end it now */
    }
    log_error("stopping: %u connections finishing, grace %u ms", self->live,
              self->settings.grace_ms);
}

/* ---------------------------------------------------------------- housekeeping */

static void cut_off_stuck_children(uint64_t now)
{
    uint64_t limit_ns = ((uint64_t)self->settings.head_deadline_ms + BACKSTOP_MARGIN_MS) * 1000000u;
    bool grace_over = self->stopping && now >= self->stop_deadline_ns;
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        struct child *child = &self->children[index];
        uint64_t since = 0;
        if (child->pid == 0 || child->evicting)
            continue;
        enum child_phase phase = child_phase(index, &since, now);
        bool stuck = (phase == PHASE_WAITING || phase == PHASE_HEAD || phase == PHASE_IDLE ||
                      phase == PHASE_STARTING || phase == PHASE_COUNT) &&
                     now - since > limit_ns;
        if (stuck || grace_over) {
            shutdown(child->client_fd, SHUT_RDWR);
            child->evicting = true;
        }
    }
}

/* "3 connections open, 1021 requests served, 4 refused" for systemd's STATUS=. */
static void report_status(void)
{
    uint64_t served = self->totals.requests;
    for (uint32_t index = 0; index < self->settings.max_children; index++)
        if (self->children[index].pid != 0)
            served += atomic_load_explicit(&scoreboard_slot(&self->scoreboard, index)->requests,
                                           memory_order_relaxed);
    char text[160];
    int length =
        snprintf(text, sizeof text, "%u connections open, %llu requests served, %llu refused",
                 self->live, (unsigned long long)served, (unsigned long long)self->totals.refused);
    if (length > 0)
        log_send(LOG_STREAM_STATUS, text, (size_t)length);
}

static void tick(void)
{
    static unsigned ticks;
    if (self->settings.report_status && ++ticks % (1000 / TICK_MS) == 0)
        report_status();
    uint64_t expirations;
    while (read(self->timer_fd, &expirations, sizeof expirations) > 0) {
    }
    uint64_t now = monotonic_ns();
    if (self->listeners_paused && !self->stopping && now >= self->resume_ns)
        set_listeners(true);
    cut_off_stuck_children(now);
    expire_proxy_waits(now);
    uint64_t drops = self->totals.log_drops + log_dropped_count();
    if (drops != self->totals.log_drops_reported) {
        log_error("%llu log messages dropped so far (log channel full)", (unsigned long long)drops);
        self->totals.log_drops_reported = drops;
    }
}

static void handle_signals(void)
{
    struct signalfd_siginfo info;
    while (read(self->signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGCHLD)
            reap_children();
        else if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT || info.ssi_signo == SIGQUIT)
            begin_stop();
        /* SIGHUP: the monitor reopens logs; nothing to do here. */
    }
}

/* 'G' starts serving; 'T', end of file or an error stops. Returns false on stop. */
static bool handle_control(void)
{
    char command = 0;
    ssize_t got = read(self->settings.control_fd, &command, 1);
    if (got == 1 && command == 'G') {
        if (!self->started)
            set_listeners(true);
        return true;
    }
    if (got < 0 && errno == EAGAIN)
        return true;
    begin_stop();
    epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, self->settings.control_fd, NULL);
    return false;
}

int supervisor_run(void)
{
    struct epoll_event events[EVENT_BATCH];
    for (;;) {
        if (self->stopping && self->live == 0)
            break;
        if (self->stopping && monotonic_ns() > self->stop_deadline_ns + 2000000000ull) {
            log_error("stopping with %u connections still open after the grace period", self->live);
            break;
        }
        int count = epoll_wait(self->epoll_fd, events, EVENT_BATCH, -1);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            log_error("epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < count; i++) {
            uint64_t source = events[i].data.u64;
            if (source == SOURCE_SIGNAL)
                handle_signals();
            else if (source == SOURCE_TIMER)
                tick();
            else if (source == SOURCE_CONTROL)
                handle_control();
            else if (source >= SOURCE_PROXY_BASE && source < SOURCE_PROXY_BASE + PROXY_WAIT_MAX)
                read_proxy_header(source - SOURCE_PROXY_BASE);
            else if (source >= SOURCE_LISTENER_BASE && source < SOURCE_PROXY_BASE &&
                     !self->stopping)
                accept_connections(&self->settings.listeners[source - SOURCE_LISTENER_BASE]);
        }
    }
    log_error("stopped: %llu connections, %llu requests, %llu bytes, %llu refused, %llu evicted, "
              "%llu ended "
              "abnormally",
              (unsigned long long)self->totals.children, (unsigned long long)self->totals.requests,
              (unsigned long long)self->totals.bytes, (unsigned long long)self->totals.refused,
              (unsigned long long)self->totals.evicted, (unsigned long long)self->totals.abnormal);
    return 0;
}
