/* listener.c: listen addresses (grammar in include/process/listener.h) and listening sockets.
 *
 * TCP addresses are explicit about their family (IPv6 in brackets, with
 * IPV6_V6ONLY, so "[::]:80" never silently takes IPv4 too); the shorthands
 * name both families at once, as two sockets (localhost:PORT: 127.0.0.1 and
 * [::1]; :PORT and PORT: 0.0.0.0 and [::]), each printed on its own line, and
 * a host without IPv6 refuses them rather than listening on half. A unix socket path
 * must be absolute; its file is made by unix_socket_bind() (include/process/unix_socket.h:
 * a directory only root or the starting user may change, a stale socket replaced and
 * nothing else, mode and owner set without following a link). Sockets systemd passes are checked to
 * be listening stream sockets before they are used. All sockets are non-blocking (the supervisor
 * accepts until EAGAIN) and close-on-exec. Must not: accept, read or write on any socket. */
#include "process/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process/unix_socket.h"

#define LISTEN_BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */
_Static_assert(LISTENER_SOCKETS_MAX == 2 * CONFIG_MAX_LISTENERS, "two sockets per --listen");
#define SD_LISTEN_FDS_START 3

static int parse_port(const char *text, in_port_t *port)
{
    if (!text[0] || strlen(text) > 5)
        return 0;
    unsigned long value = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    if (value > 65535)
        return 0;
    *port = htons((uint16_t)value);
    return 1;
}

static int parse_tcp(const char *label, const char *address, struct listener *listener, char *error,
                     size_t error_size)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(address, ':');
    if (!colon || (size_t)(colon - address) >= sizeof host) {
        snprintf(error, error_size,
                 "%s: expected A.B.C.D:PORT, [IPV6]:PORT, localhost:PORT, :PORT, PORT, "
                 "unix:/PATH or systemd:NAME",
                 label);
        return -1;
    }
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    in_port_t port = 0;
    if (!parse_port(colon + 1, &port)) {
        snprintf(error, error_size, "%s: the port must be a number from 0 to 65535", label);
        return -1;
    }
    size_t host_length = strlen(host);
    listener->kind = LISTENER_TCP;
    if (host_length >= 2 && host[0] == '[' && host[host_length - 1] == ']') {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&listener->address;
        host[host_length - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1) {
            snprintf(error, error_size, "%s: '%s' is not an IPv6 address", label, host + 1);
            return -1;
        }
        v6->sin6_family = AF_INET6;
        v6->sin6_port = port;
        listener->address_length = sizeof *v6;
        return 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&listener->address;
    if (inet_pton(AF_INET, host, &v4->sin_addr) != 1) {
        snprintf(error, error_size, "%s: '%s' is not an IPv4 address (IPv6 goes in brackets)",
                 label, host);
        return -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = port;
    listener->address_length = sizeof *v4;
    return 0;
}

static int parse_unix(const char *label, const char *path, struct listener *listener, char *error,
                      size_t error_size)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&listener->address;
    if (path[0] != '/' || strlen(path) >= sizeof un->sun_path) {
        snprintf(error, error_size,
                 "%s: a unix socket needs an absolute path shorter than %zu bytes", label,
                 sizeof un->sun_path);
        return -1;
    }
    listener->kind = LISTENER_UNIX;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, strlen(path) + 1); /* its length was checked above */
    listener->address_length =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
    return 0;
}

static int parse_option(const char *label, const char *option, struct listener *listener,
                        char *error, size_t error_size)
{
    if (strcmp(option, "proxy") == 0) {
        listener->proxy = true;
        return 0;
    }
    if (strcmp(option, "reuseport") == 0 && listener->kind == LISTENER_TCP) {
        listener->reuseport = true;
        return 0;
    }
    if (listener->kind == LISTENER_UNIX && strncmp(option, "mode=", 5) == 0) {
        char *end = NULL;
        unsigned long mode = strtoul(option + 5, &end, 8);
        if (option[5] && !*end && mode <= 0777) {
            listener->mode = (mode_t)mode;
            return 0;
        }
    }
    if (listener->kind == LISTENER_UNIX && strncmp(option, "owner=", 6) == 0) {
        struct passwd *entry = getpwnam(option + 6);
        if (entry) {
            listener->owner = entry->pw_uid;
            return 0;
        }
        snprintf(error, error_size, "%s: unknown user '%s'", label, option + 6);
        return -1;
    }
    if (listener->kind == LISTENER_UNIX && strncmp(option, "group=", 6) == 0) {
        struct group *entry = getgrnam(option + 6);
        if (entry) {
            listener->group = entry->gr_gid;
            return 0;
        }
        snprintf(error, error_size, "%s: unknown group '%s'", label, option + 6);
        return -1;
    }
    snprintf(error, error_size,
             "%s: unknown or misplaced option '%s' (proxy, reuseport; unix: mode=, owner=, "
             "group=)",
             label, option);
    return -1;
}

static void listener_init(struct listener *listener)
{
    memset(listener, 0, sizeof *listener);
    listener->fd = -1;
    listener->mode = 0660;
    listener->owner = (uid_t)-1;
    listener->group = (gid_t)-1;
}

/* The comma-separated options after the address (NULL: none), on a copy. */
static int parse_options(const char *label, const char *options, struct listener *listener,
                         char *error, size_t error_size)
{
    char copy[512];
    if (!options)
        return 0;
    snprintf(copy, sizeof copy, "%s", options); /* shorter than text, checked by the callers */
    for (char *option = copy, *next; option; option = next) {
        next = strchr(option, ',');
        if (next)
            *next++ = '\0';
        if (parse_option(label, option, listener, error, error_size) != 0)
            return -1;
    }
    return 0;
}

int listener_parse(const char *text, struct listener *listener, char *error, size_t error_size)
{
    return listener_parse_as("--listen", text, listener, error, error_size);
}

int listener_parse_as(const char *flag, const char *text, struct listener *listener, char *error,
                      size_t error_size)
{
    char copy[512], label[sizeof copy + 64];
    listener_init(listener);
    snprintf(label, sizeof label, "%s '%s'", flag, text);
    if (strlen(text) >= sizeof copy || !text[0]) {
        snprintf(error, error_size,
                 "%s: expected A.B.C.D:PORT, [IPV6]:PORT, localhost:PORT, :PORT, PORT, "
                 "unix:/PATH or systemd:NAME",
                 label);
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", text);
    char *options = strchr(copy, ',');
    if (options)
        *options++ = '\0';
    int result;
    if (strncmp(copy, "unix:", 5) == 0) {
        result = parse_unix(label, copy + 5, listener, error, error_size);
    } else if (strncmp(copy, "systemd:", 8) == 0) {
        listener->kind = LISTENER_SYSTEMD;
        size_t name_length = strlen(copy + 8);
        result = name_length > 0 && name_length < sizeof listener->systemd_name ? 0 : -1;
        if (result == 0)
            memcpy(listener->systemd_name, copy + 8, name_length + 1);
        else
            snprintf(error, error_size, "%s: systemd: needs a socket name (FileDescriptorName=)",
                     label);
    } else {
        result = parse_tcp(label, copy, listener, error, error_size);
    }
    return result == 0 ? parse_options(label, options, listener, error, error_size) : -1;
}

/* ---------------------------------------------------------------- shorthands */

/* "localhost:PORT" (loopback), ":PORT" and "PORT" (every address): the port
 * text, or NULL when address is none of them. */
static const char *shorthand_port(const char *address, bool *loopback)
{
    *loopback = strncmp(address, "localhost:", 10) == 0;
    if (*loopback)
        return address + 10;
    if (address[0] == ':' && address[1] && strspn(address + 1, "0123456789") == strlen(address + 1))
        return address + 1; /* ":PORT"; "::1:80" is an IPv6 address without brackets */
    if (address[0] >= '0' && address[0] <= '9' && strspn(address, "0123456789") == strlen(address))
        return address;
    return NULL;
}

/* One socket of a shorthand: IPv4 (127.0.0.1 or 0.0.0.0) or IPv6 (::1 or ::). */
static void set_shorthand_address(struct listener *listener, bool ipv6, bool loopback,
                                  in_port_t port)
{
    listener->kind = LISTENER_TCP;
    if (ipv6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&listener->address;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = port;
        v6->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
        listener->address_length = sizeof *v6;
        return;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&listener->address;
    v4->sin_family = AF_INET;
    v4->sin_port = port;
    v4->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    listener->address_length = sizeof *v4;
}

int listener_parse_all(const char *text, struct listener *listeners, size_t capacity, char *error,
                       size_t error_size)
{
    char copy[512];
    if (capacity == 0 || strlen(text) >= sizeof copy) {
        snprintf(error, error_size, "--listen '%s': too many listening sockets (at most %u)", text,
                 LISTENER_SOCKETS_MAX);
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", text);
    char *options = strchr(copy, ',');
    if (options)
        *options++ = '\0';
    bool loopback = false;
    const char *port_text = shorthand_port(copy, &loopback);
    if (!port_text)
        return listener_parse(text, &listeners[0], error, error_size) == 0 ? 1 : -1;
    in_port_t port = 0;
    if (!parse_port(port_text, &port)) {
        snprintf(error, error_size, "--listen '%s': the port must be a number from 0 to 65535",
                 text);
        return -1;
    }
    if (capacity < 2) {
        snprintf(error, error_size, "--listen '%s': too many listening sockets (at most %u)", text,
                 LISTENER_SOCKETS_MAX);
        return -1;
    }
    char label[sizeof copy + 16];
    snprintf(label, sizeof label, "--listen '%s'", text);
    for (size_t i = 0; i < 2; i++) {
        listener_init(&listeners[i]);
        set_shorthand_address(&listeners[i], i == 1, loopback, port);
        if (parse_options(label, options, &listeners[i], error, error_size) != 0)
            return -1;
    }
    return 2;
}

static int record_bound_address(struct listener *listener, int fd, char *error, size_t error_size)
{
    socklen_t length = sizeof listener->address;
    if (getsockname(fd, (struct sockaddr *)&listener->address, &length) != 0) {
        snprintf(error, error_size, "cannot read a listening socket's address: %s",
                 strerror(errno));
        return -1;
    }
    listener->address_length = length;
    listener->fd = fd;
    listener_format_address((const struct sockaddr *)&listener->address, listener->name,
                            sizeof listener->name);
    return 0;
}

/* A TCP address, or a unix socket's file made safely (unix_socket.h): not yet listening. */
static int bind_address(const struct listener *listener, int fd, const char *wanted, char *error,
                        size_t error_size)
{
    if (listener->kind == LISTENER_UNIX) {
        char label[LISTENER_NAME_MAX + 16];
        snprintf(label, sizeof label, "--listen %s", wanted);
        return unix_socket_bind(label, fd, listener, error, error_size);
    }
    if (bind(fd, (const struct sockaddr *)&listener->address, listener->address_length) != 0) {
        snprintf(error, error_size, "cannot listen on %s: %s", wanted, strerror(errno));
        return -1;
    }
    return 0;
}

static int open_bound(struct listener *listener, char *error, size_t error_size)
{
    int family = listener->address.ss_family;
    int one = 1;
    char wanted[LISTENER_NAME_MAX];
    listener_format_address((const struct sockaddr *)&listener->address, wanted, sizeof wanted);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(error, error_size, "cannot create a socket for %s: %s", wanted, strerror(errno));
        return -1;
    }
    bool options_ok = true;
    if (family != AF_UNIX)
        options_ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    if (options_ok && family == AF_INET6)
        options_ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0;
    if (options_ok && listener->reuseport)
        options_ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
    if (!options_ok) {
        snprintf(error, error_size, "cannot set socket options for %s: %s", wanted,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if (bind_address(listener, fd, wanted, error, error_size) != 0) {
        close(fd);
        return -1;
    }
    /* listen(2) after the file's mode and owner are final: nobody connects before. */
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(error, error_size, "cannot listen on %s: %s", wanted, strerror(errno));
        close(fd);
        return -1;
    }
    if (record_bound_address(listener, fd, error, error_size) != 0) {
        close(fd);
        return -1;
    }
    return 0;
}

int listener_take_systemd(struct systemd_sockets *systemd, char *error, size_t error_size)
{
    memset(systemd, 0, sizeof *systemd);
    const char *pid_text = getenv("LISTEN_PID"), *count_text = getenv("LISTEN_FDS");
    const char *names = getenv("LISTEN_FDNAMES");
    if (!pid_text || !count_text)
        return 0;
    char *end = NULL;
    long pid = strtol(pid_text, &end, 10);
    if (*end || pid != (long)getpid())
        return 0; /* meant for another process (sd_listen_fds(3)) */
    long count = strtol(count_text, &end, 10);
    if (*end || count < 0 || count > LISTENER_SYSTEMD_MAX) {
        snprintf(error, error_size, "LISTEN_FDS=%s: expected 0 to %d sockets", count_text,
                 LISTENER_SYSTEMD_MAX);
        return -1;
    }
    for (int i = 0; i < (int)count; i++) {
        int fd = SD_LISTEN_FDS_START + i, type = 0, listening = 0;
        socklen_t length = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM ||
            (length = sizeof listening,
             getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length)) != 0 ||
            !listening || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
            snprintf(error, error_size,
                     "systemd passed descriptor %d, which is not a listening stream socket", fd);
            return -1;
        }
        systemd->fds[i] = fd;
        snprintf(systemd->names[i], sizeof systemd->names[i], "unknown");
    }
    for (int i = 0; names && i < (int)count; i++) {
        const char *colon = strchr(names, ':');
        size_t length = colon ? (size_t)(colon - names) : strlen(names);
        if (length >= sizeof systemd->names[i])
            length = sizeof systemd->names[i] - 1;
        memcpy(systemd->names[i], names, length);
        systemd->names[i][length] = '\0';
        names = colon ? colon + 1 : NULL;
    }
    systemd->count = (int)count;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return (int)count;
}

int listener_limit_unsent(const struct listener *listener, int bytes, char *error,
                          size_t error_size)
{
    int family = listener->address.ss_family;
    if (family != AF_INET && family != AF_INET6)
        return 0; /* a unix socket's buffer is small and bounded already */
    if (setsockopt(listener->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof bytes) != 0) {
        snprintf(error, error_size, "%s: cannot bound its unsent bytes: %s", listener->name,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int listener_adopt(struct listener *listener, struct systemd_sockets *systemd, int index,
                   char *error, size_t error_size)
{
    systemd->used[index] = true;
    listener->kind = LISTENER_SYSTEMD;
    snprintf(listener->systemd_name, sizeof listener->systemd_name, "%s", systemd->names[index]);
    return record_bound_address(listener, systemd->fds[index], error, error_size);
}

/* The port a bound TCP listener got (network order), 0 for others. */
static in_port_t bound_port(const struct listener *listener)
{
    if (listener->address.ss_family == AF_INET)
        return ((const struct sockaddr_in *)&listener->address)->sin_port;
    if (listener->address.ss_family == AF_INET6)
        return ((const struct sockaddr_in6 *)&listener->address)->sin6_port;
    return 0;
}

int listener_open_all(struct listener *listeners, size_t count, struct systemd_sockets *systemd,
                      char *error, size_t error_size)
{
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && listeners[i].kind == LISTENER_TCP && bound_port(&listeners[i]) == 0) {
            in_port_t port = bound_port(&listeners[0]); /* port 0: one free port for both */
            if (listeners[i].address.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&listeners[i].address)->sin6_port = port;
            else
                ((struct sockaddr_in *)&listeners[i].address)->sin_port = port;
        }
        if (listener_open(&listeners[i], systemd, error, error_size) != 0) {
            for (size_t j = 0; j < i; j++)
                close(listeners[j].fd);
            return -1;
        }
    }
    return 0;
}

int listener_open(struct listener *listener, struct systemd_sockets *systemd, char *error,
                  size_t error_size)
{
    if (listener->kind != LISTENER_SYSTEMD)
        return open_bound(listener, error, error_size);
    for (int i = 0; systemd && i < systemd->count; i++)
        if (!systemd->used[i] && strcmp(systemd->names[i], listener->systemd_name) == 0)
            return listener_adopt(listener, systemd, i, error, error_size);
    snprintf(error, error_size, "--listen systemd:%s: systemd passed no unused socket of that name",
             listener->systemd_name);
    return -1;
}
