/* supervisor_admit.c: each new connection: the caps, the fair share, the PROXY header, the 503.
 *
 * What a connection costs before any process exists: accept4, the peer's
 * identity (its address, or for a unix socket the uid that connected), the
 * crash guard, the rate, the caps per client and per /24 or /48, and when the
 * server is full the fair share: the newcomer waits for the slot of a
 * connection taken from the client holding the most (supervisor_children.c
 * ends it), unless its own client already holds as much. A refusal is a 503
 * written without a process and without reading the request.
 * Must not: read a request byte (a PROXY header, on a proxy listener, is the
 * one thing read), or keep a connection waiting without a deadline. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/proxy_protocol.h"
#include "process/log.h"
#include "static/response.h"
#include "supervisor_state.h"

#define ACCEPT_BATCH 64 /* connections accepted per wake-up, so signals stay responsive */

/* ---------------------------------------------------------------- refusing */

/* A minimal 503, written without creating a child and without reading the
 * request: one non-blocking send, whatever fits, then close. */
void refuse_busy(int fd, const struct client_key *key, const struct sockaddr_storage *peer,
                 uint32_t uid, enum refusal_cause cause)
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
    (void)key;
    self->totals.refused++;
    self->totals.refusals[cause]++;
    struct log_peer client;
    log_peer_from_address((const struct sockaddr *)peer, uid, &client);
    struct access_record record = {.status = 503, .reason = metrics_refusal_name(cause)};
    log_access(&record, &client);
}

/* ---------------------------------------------------------------- the fair share */

/* How many connections the newcomer's client and prefix hold that are not on
 * their way out: a cut child's counts went at its cut (supervisor_children.c),
 * the newcomer itself (counted by admit()) is not one of them, and neither is
 * a child closing its connection. One pass over the children. */
static void newcomer_holds(const struct client_key *key, const struct client_key *prefix,
                           uint32_t *held, uint32_t *prefix_held)
{
    uint32_t client_closing = 0, prefix_closing = 0;
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        const struct child *child = &self->children[index];
        if (child->pid == 0 || child->cut_ns != 0 || child_phase(index) != PHASE_CLOSING)
            continue;
        client_closing += memcmp(&child->key, key, sizeof *key) == 0;
        prefix_closing += memcmp(&child->prefix, prefix, sizeof *prefix) == 0;
    }
    uint32_t client = client_table_count(&self->clients, key),
             whole_prefix = client_table_count(&self->prefixes, prefix);
    *held = client > client_closing ? client - client_closing - 1 : 0;
    *prefix_held = whole_prefix > prefix_closing ? whole_prefix - prefix_closing - 1 : 0;
}

/* How willingly a child is evicted: a waiting or idle one first, one reading a
 * head next, one sending a response (a slow reader) last. */
static int phase_rank(enum child_phase phase)
{
    return phase == PHASE_WAITING || phase == PHASE_IDLE || phase == PHASE_STARTING ? 2
           : phase == PHASE_HEAD                                                    ? 1
                                                                                    : 0;
}

struct candidate {
    int64_t index;
    uint32_t prefix_count, client_count;
    int rank;
    uint64_t started_ns;
};

static bool better(const struct candidate *a, const struct candidate *b)
{
    if (a->prefix_count != b->prefix_count)
        return a->prefix_count > b->prefix_count;
    if (a->client_count != b->client_count)
        return a->client_count > b->client_count;
    if (a->rank != b->rank)
        return a->rank > b->rank;
    return a->started_ns < b->started_ns;
}

/* Make room for a connection from key: end a child of the prefix, then the
 * client, holding the most, in any phase but closing. The newcomer is refused
 * instead when its own client and prefix hold as much as the victim's, so a
 * heavy client cannot push lighter ones out. */
static bool evict_for(const struct client_key *key, const struct client_key *prefix)
{
    uint32_t held = 0, prefix_held = 0;
    newcomer_holds(key, prefix, &held, &prefix_held);
    struct candidate best = {.index = -1};
    for (uint32_t index = 0; index < self->settings.max_children; index++) {
        const struct child *child = &self->children[index];
        if (child->pid == 0 || child->cut_ns != 0)
            continue;
        enum child_phase phase = child_phase(index);
        if (phase == PHASE_CLOSING)
            continue; /* on its way out; its phase cap ends it if it lies */
        if (!self->settings.fair_share && phase_rank(phase) < 2)
            continue; /* the lab's sabotage: the rule before the fair share, waiting and idle
                         children only */
        bool same_client = memcmp(&child->key, key, sizeof *key) == 0;
        bool same_prefix = memcmp(&child->prefix, prefix, sizeof *prefix) == 0;
        struct candidate next = {
            .index = index,
            .prefix_count =
                same_prefix ? prefix_held : client_table_count(&self->prefixes, &child->prefix),
            .client_count = same_client ? held : client_table_count(&self->clients, &child->key),
            .rank = phase_rank(phase),
            .started_ns = child->started_ns,
        };
        if (best.index < 0 || better(&next, &best))
            best = next;
    }
    if (best.index < 0 || (held >= best.client_count && prefix_held >= best.prefix_count))
        return false;
    end_child((uint32_t)best.index, true);
    return true;
}

/* ---------------------------------------------------------------- admitting */

static bool over_cap(const struct client_key *key, const struct client_key *prefix)
{
    return (self->settings.max_per_ip &&
            client_table_count(&self->clients, key) >= self->settings.max_per_ip) ||
           (self->settings.max_per_prefix &&
            client_table_count(&self->prefixes, prefix) >= self->settings.max_per_prefix);
}

static bool is_trusted_proxy(const struct sockaddr_storage *peer);

static void admit(int fd, const struct sockaddr_storage *peer, uint32_t uid, bool tcp,
                  uint64_t accepted_ns)
{
    struct pending_connection connection = {.fd = fd,
                                            .peer = *peer,
                                            .uid = uid,
                                            .tcp = tcp,
                                            .trusted_proxy = is_trusted_proxy(peer),
                                            .accepted_ns = accepted_ns};
    if (peer->ss_family == AF_UNIX)
        client_key_local(uid, &connection.key);
    else
        client_key_from_address((const struct sockaddr *)peer, &connection.key);
    client_key_prefix(&connection.key, &connection.prefix);
    const struct client_key *key = &connection.key, *prefix = &connection.prefix;
    if (crash_guard_blocked(self->crashes, key, accepted_ns)) {
        refuse_busy(fd, key, peer, uid, REFUSAL_CRASH_STORM);
        return;
    }
    /* A connection that closes at once never reaches --max-per-ip, yet each one
     * costs a fork: the rate is what keeps one address from flooding the
     * accept queue for everyone (tests/attack/flood.py). */
    if (!rate_limit_take(self->rates, key, accepted_ns, NULL)) {
        refuse_busy(fd, key, peer, uid, REFUSAL_RATE_LIMIT);
        return;
    }
    if (over_cap(key, prefix) || self->free_count == 0)
        reap_children(); /* ends not yet reaped (their SIGCHLD can sit in this batch) */
    if (over_cap(key, prefix)) {
        refuse_busy(fd, key, peer, uid, REFUSAL_PER_CLIENT_CAP);
        return;
    }
    if (client_table_add(&self->clients, key) != 0 ||
        client_table_add(&self->prefixes, prefix) != 0) {
        client_table_remove(&self->clients, key);
        refuse_busy(fd, key, peer, uid, REFUSAL_SERVER_FULL);
        return;
    }
    if (self->free_count > 0 && self->pending_count == 0) {
        spawn(&connection);
        return;
    }
    if (self->pending_count < PENDING_MAX && evict_for(key, prefix)) {
        connection.queued_ns = accepted_ns;
        self->pending[(self->pending_head + self->pending_count++) % PENDING_MAX] = connection;
        return;
    }
    client_table_remove(&self->clients, key);
    client_table_remove(&self->prefixes, prefix);
    refuse_busy(fd, key, peer, uid, REFUSAL_SERVER_FULL);
}

void start_pending(void)
{
    while (self->pending_count > 0 && self->free_count > 0) {
        struct pending_connection next = self->pending[self->pending_head];
        self->pending_head = (self->pending_head + 1) % PENDING_MAX;
        self->pending_count--;
        spawn(&next);
    }
}

/* A connection waits for an evicted child's slot a bounded time, then gets 503. */
void expire_pending(uint64_t now)
{
    while (self->pending_count > 0) {
        struct pending_connection *oldest = &self->pending[self->pending_head];
        if (!self->stopping && now - oldest->queued_ns < (PENDING_DEADLINE_MS * 1000000ull))
            return;
        client_table_remove(&self->clients, &oldest->key);
        client_table_remove(&self->prefixes, &oldest->prefix);
        refuse_busy(oldest->fd, &oldest->key, &oldest->peer, oldest->uid, REFUSAL_SERVER_FULL);
        self->pending_head = (self->pending_head + 1) % PENDING_MAX;
        self->pending_count--;
    }
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

static bool is_trusted_proxy(const struct sockaddr_storage *peer)
{
    for (size_t i = 0; i < self->settings.trusted_proxy_count; i++)
        if (cidr_contains(&self->settings.trusted_proxies[i], (const struct sockaddr *)peer))
            return true;
    return false;
}

/* Hold a connection from a PROXY listener until its header arrives. With any
 * --trusted-proxy given, only those peers may send one; without, any peer may
 * (docs/deploy.md: such a listener must be reachable by the proxy alone). */
static void await_proxy_header(int fd, const struct sockaddr_storage *peer, bool tcp,
                               uint64_t accepted_ns)
{
    if (self->settings.trusted_proxy_count > 0 && peer->ss_family != AF_UNIX &&
        !is_trusted_proxy(peer)) {
        self->totals.refused++;
        self->totals.refusals[REFUSAL_NOT_A_PROXY]++;
        close(fd); /* not a proxy of ours: no answer at all */
        return;
    }
    for (size_t index = 0; index < PROXY_WAIT_MAX; index++) {
        struct proxy_wait *wait = &self->proxy_waits[index];
        if (wait->fd >= 0)
            continue;
        if (supervisor_watch_proxy(fd, index) != 0)
            break;
        *wait = (struct proxy_wait){fd, *peer, tcp, accepted_ns};
        return;
    }
    close(fd); /* too many headers in flight: a proxy reconnects */
}

void read_proxy_header(size_t index)
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
        self->totals.refusals[REFUSAL_BAD_PROXY_HEADER]++;
        end_proxy_wait(index,
                       true); /* not a PROXY header: no answer, the peer is no proxy of ours */
        return;
    }
    int fd = wait->fd;
    struct sockaddr_storage client = header.has_source ? header.source : wait->peer;
    uint64_t accepted_ns = wait->accepted_ns;
    bool tcp = wait->tcp;
    end_proxy_wait(index, false);
    admit(fd, &client, UINT32_MAX, tcp, accepted_ns);
}

void expire_proxy_waits(uint64_t now)
{
    for (size_t index = 0; index < PROXY_WAIT_MAX; index++)
        if (self->proxy_waits[index].fd >= 0 &&
            (now == UINT64_MAX ||
             now - self->proxy_waits[index].accepted_ns > PROXY_DEADLINE_MS * 1000000ull))
            end_proxy_wait(index, true);
}

/* ---------------------------------------------------------------- accepting */

/* The uid of a unix socket's peer (SO_PEERCRED), or UINT32_MAX. */
static uint32_t peer_uid(int fd)
{
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
        return UINT32_MAX;
    return (uint32_t)credentials.uid;
}

void accept_connections(struct listener *listener)
{
    for (int accepted = 0; accepted < ACCEPT_BATCH && !self->listeners_paused; accepted++) {
        struct sockaddr_storage peer = {0}; /* defined past a short address accept4 returns */
        socklen_t peer_length = sizeof peer;
        /* Blocking: the connection process reads and writes it under timeouts
         * (connection.c); the supervisor itself only ever uses MSG_DONTWAIT. */
        int fd = accept4(listener->fd, (struct sockaddr *)&peer, &peer_length, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                back_off(strerror(errno)); /* do not spin on a full descriptor table */
            else if (errno != EAGAIN)
                log_error("accept on %s: %s", listener->name, strerror(errno));
            return;
        }
        self->totals.accepted++;
        if (self->stopping) {
            close(fd);
            continue;
        }
        bool tcp = peer.ss_family != AF_UNIX;
        if (listener->proxy)
            await_proxy_header(fd, &peer, tcp, monotonic_ns());
        else
            admit(fd, &peer, tcp ? UINT32_MAX : peer_uid(fd), tcp, monotonic_ns());
    }
}
