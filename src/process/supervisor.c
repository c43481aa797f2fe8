/* supervisor.c: the jailed parent's event loop: signals, the monitor's commands, the timer, the
 * stop.
 *
 * The supervisor runs inside the same jail as its children (chroot, no
 * capabilities, no_new_privs, Landlock, the jail seccomp filter), so forking a
 * child costs a fork and nothing more: the jail is inherited. It sees each
 * connection's address before any child exists, so the caps and the 503 for a
 * full server cost no process (supervisor_admit.c); it holds a pidfd and its own
 * copy of every client socket, so it can always end a child: shutdown(2) first,
 * which a cooperating child answers by exiting, then SIGKILL through the pidfd
 * (supervisor_children.c). Child phases come from the shared scoreboard and are
 * treated as untrusted hints. The only client bytes it reads are a PROXY
 * header's, on listeners marked proxy (bounded, parsed by proxy_protocol.c,
 * fuzzed); the request itself is read by the child alone.
 * Must not: read a request byte, block on a client socket, or fork beyond
 * --max-children. */
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
#include <unistd.h>

#include "process/log.h"
#include "supervisor_state.h"

#define EVENT_BATCH 64

enum event_source {
    SOURCE_SIGNAL = 1,
    SOURCE_TIMER,
    SOURCE_CONTROL,
    SOURCE_LISTENER_BASE = 16,    /* + listener index */
    SOURCE_PROXY_BASE = 1u << 20, /* + index of a connection awaiting its PROXY header */
};

struct supervisor_state *self;

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

/* SIGPIPE: a closed client is an error return, not a death. The others arrive
 * on the signalfd. */
static int take_signals(void)
{
    sigset_t handled;
    sigemptyset(&handled);
    int signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        sigaddset(&handled, signals[i]);
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0 || sigaction(SIGPIPE, &ignore, NULL) != 0)
        return -1;
    self->signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    return self->signal_fd < 0 ? -1 : 0;
}

static int make_event_loop(const struct supervisor_settings *settings)
{
    struct itimerspec period = {{0, TICK_MS * 1000000L}, {0, TICK_MS * 1000000L}};
    if (take_signals() != 0 || (self->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (self->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
        timerfd_settime(self->timer_fd, 0, &period, NULL) != 0 ||
        watch(self->signal_fd, EPOLLIN, SOURCE_SIGNAL) != 0 ||
        watch(self->timer_fd, EPOLLIN, SOURCE_TIMER) != 0 ||
        watch(settings->control_fd, EPOLLIN | EPOLLRDHUP, SOURCE_CONTROL) != 0)
        return -1;
    return 0;
}

static int make_tables(const struct supervisor_settings *settings)
{
    uint32_t slots = settings->max_children;
    struct hash_key key;
    void *pid_memory = NULL;
    if (getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key ||
        scoreboard_create(&self->scoreboard, slots) != 0 ||
        client_table_init(&self->clients, (size_t)slots + PENDING_MAX, &key) != 0 ||
        client_table_init(&self->prefixes, (size_t)slots + PENDING_MAX, &key) != 0 ||
        !(self->children = wiped_on_fork(sizeof(struct child) * slots)) ||
        !(pid_memory = wiped_on_fork(pid_index_bytes(slots))) ||
        !(self->free_slots = wiped_on_fork(sizeof(uint32_t) * slots)) ||
        !(self->pending = wiped_on_fork(sizeof(struct pending_connection) * PENDING_MAX)) ||
        !(self->crashes = wiped_on_fork(sizeof(struct crash_guard))) ||
        !(self->rates = wiped_on_fork(sizeof(struct rate_limit))) ||
        !(self->proxy_waits = wiped_on_fork(sizeof(struct proxy_wait) * PROXY_WAIT_MAX)) ||
        !(self->canaries = wiped_on_fork(sizeof(uint64_t) * CANARY_BATCH)) ||
        !(self->metrics_waits = wiped_on_fork(sizeof(struct metrics_wait) * METRICS_WAIT_MAX)) ||
        !(self->metrics_text = wiped_on_fork(METRICS_TEXT_MAX)))
        return -1;
    pid_index_init(&self->pids, pid_memory, slots);
    rate_limit_init(self->rates, settings->max_connection_rate, &key);
    crash_guard_init(self->crashes, settings->crash_limit,
                     (uint64_t)settings->crash_block_ms * 1000000u);
    explicit_bzero(&key, sizeof key);
    for (uint32_t i = 0; i < slots; i++)
        self->free_slots[i] = i;
    self->free_count = slots;
    for (size_t i = 0; i < PROXY_WAIT_MAX; i++)
        self->proxy_waits[i].fd = -1;
    return 0;
}

int supervisor_prepare(const struct supervisor_settings *settings, char *error, size_t error_size)
{
    if (!(self = wiped_on_fork(sizeof *self))) {
        snprintf(error, error_size, "cannot allocate the supervisor's state: %s", strerror(errno));
        return -1;
    }
    self->settings = *settings;
    if (make_event_loop(settings) != 0) {
        snprintf(error, error_size, "cannot set up the supervisor's event loop: %s",
                 strerror(errno));
        return -1;
    }
    if (make_tables(settings) != 0) {
        snprintf(error, error_size, "cannot allocate the supervisor's tables for %u children: %s",
                 settings->max_children, strerror(errno));
        return -1;
    }
    if (metrics_watch() != 0) {
        snprintf(error, error_size, "cannot watch the metrics socket: %s", strerror(errno));
        return -1;
    }
    if (peer_ring_keep_from_children(settings->peer_ring) != 0) {
        snprintf(error, error_size, "cannot keep the peer ring from children: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- listeners */

void set_listeners(bool accepting)
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

void back_off(const char *why)
{
    if (!self->listeners_paused)
        log_error("pausing accept for %d ms: %s", BACKOFF_MS, why);
    set_listeners(false);
    self->resume_ns = monotonic_ns() + BACKOFF_MS * 1000000ull;
}

int supervisor_watch_proxy(int fd, size_t index)
{
    /* Edge-triggered: the header is only peeked until complete, so a level-
     * triggered watch would wake the supervisor again and again on the same bytes. */
    return watch(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, SOURCE_PROXY_BASE + index);
}

/* ---------------------------------------------------------------- stopping */

void begin_stop(void)
{
    if (self->stopping)
        return;
    self->stopping = true;
    self->stop_deadline_ns = monotonic_ns() + (uint64_t)self->settings.grace_ms * 1000000u;
    for (size_t i = 0; i < self->settings.listener_count; i++) {
        epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, self->settings.listeners[i].fd, NULL);
        close(self->settings.listeners[i].fd);
    }
    expire_proxy_waits(UINT64_MAX);
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        struct child *child = &self->children[index];
        if (child->pid == 0)
            continue;
        atomic_store(&scoreboard_slot(&self->scoreboard, index)->stop_requested, 1u);
        atomic_thread_fence(memory_order_seq_cst); /* pairs with enter_stoppable_phase() */
        enum child_phase phase = child_phase(index);
        if (phase == PHASE_IDLE || phase == PHASE_WAITING)
            shutdown(child->client_fd, SHUT_RD); /* no request in flight: end it now */
    }
    log_error("stopping: %u connections finishing, grace %u ms", self->live,
              self->settings.grace_ms);
}

/* ---------------------------------------------------------------- housekeeping */

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
        log_send(LOG_KIND_STATUS, text, (size_t)length);
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
    watch_children(now);
    expire_proxy_waits(now);
    expire_pending(now);
    metrics_expire(now);
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

/* The monitor's commands: 'G' serve, 'T' stop, 'K' and a 32-bit pid: end that
 * child (it broke its log quota); end of file or an error stops. */
static void handle_control(void)
{
    ssize_t got = read(self->settings.control_fd, self->control_buffer + self->control_filled,
                       sizeof self->control_buffer - self->control_filled);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (got <= 0) {
        begin_stop();
        epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, self->settings.control_fd, NULL);
        return;
    }
    self->control_filled += (size_t)got;
    size_t used = 0;
    while (used < self->control_filled) {
        char command = self->control_buffer[used];
        if (command == 'K' && self->control_filled - used < 5)
            break; /* the rest of its pid is still on its way */
        if (command == 'G' && !self->started)
            set_listeners(true);
        else if (command == 'T')
            begin_stop();
        else if (command == 'K') {
            int32_t pid;
            memcpy(&pid, self->control_buffer + used + 1, sizeof pid);
            kill_child_by_pid(pid, "it broke its log quota");
            used += 4;
        }
        used++;
    }
    memmove(self->control_buffer, self->control_buffer + used, self->control_filled - used);
    self->control_filled -= used;
}

static void dispatch(uint64_t source)
{
    if (source == SOURCE_SIGNAL)
        handle_signals();
    else if (source == SOURCE_TIMER)
        tick();
    else if (source == SOURCE_CONTROL)
        handle_control();
    else if (source >= SOURCE_PROXY_BASE && source < SOURCE_PROXY_BASE + PROXY_WAIT_MAX)
        read_proxy_header(source - SOURCE_PROXY_BASE);
    else if (source == SOURCE_METRICS_BASE + METRICS_WAIT_MAX)
        metrics_accept();
    else if (source >= SOURCE_METRICS_BASE && source < SOURCE_METRICS_BASE + METRICS_WAIT_MAX)
        metrics_answer(source - SOURCE_METRICS_BASE);
    else if (source >= SOURCE_LISTENER_BASE && source < SOURCE_PROXY_BASE && !self->stopping)
        accept_connections(&self->settings.listeners[source - SOURCE_LISTENER_BASE]);
}

int supervisor_run(void)
{
    struct epoll_event events[EVENT_BATCH];
    while (!(self->stopping && self->live == 0)) {
        int count = epoll_wait(self->epoll_fd, events, EVENT_BATCH, -1);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            log_error("epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < count; i++)
            dispatch(events[i].data.u64);
    }
    log_error("stopped: %llu connections, %llu requests, %llu bytes, %llu refused, %llu evicted, "
              "%llu ended abnormally, %llu killed",
              (unsigned long long)self->totals.children, (unsigned long long)self->totals.requests,
              (unsigned long long)self->totals.bytes, (unsigned long long)self->totals.refused,
              (unsigned long long)self->totals.evicted, (unsigned long long)self->totals.abnormal,
              (unsigned long long)self->totals.killed);
    return 0;
}
