/* metrics_socket.c: parse, check and bind the --metrics socket (include/process/metrics_socket.h).
 *
 * Why loopback or a unix socket only: what the counters tell (load, refusals,
 * the fair share at work) helps whoever plans an attack, and the answer is
 * unauthenticated. A unix socket's file mode decides who may scrape; a loopback
 * port is open to every local user (SECURITY.md, "Metrics").
 * A unix socket's file is made as --listen's are, by unix_socket_bind()
 * (include/process/unix_socket.h: why the directory is judged first, and why
 * nothing after bind goes by path).
 * Must not: follow a symbolic link, unlink anything but a socket, or accept. */
#include "process/metrics_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process/unix_socket.h"

#define METRICS_BACKLOG 16 /* scrapes come one at a time */

static bool is_loopback(const struct sockaddr_storage *address)
{
    if (address->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)address)->sin_addr.s_addr) >> 24) == 127;
    if (address->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)address)->sin6_addr);
    return false;
}

int metrics_socket_parse(const char *text, struct listener *listener, char *error,
                         size_t error_size)
{
    if (strncmp(text, "localhost:", 10) == 0) {
        snprintf(error, error_size,
                 "--metrics '%s': give 127.0.0.1:PORT or [::1]:PORT (one socket)", text);
        return -1;
    }
    if (listener_parse_as("--metrics", text, listener, error, error_size) != 0)
        return -1;
    if (listener->kind == LISTENER_SYSTEMD || listener->proxy || listener->reuseport) {
        snprintf(error, error_size,
                 "--metrics '%s': expected unix:/PATH[,mode=,owner=,group=], 127.0.0.1:PORT or "
                 "[::1]:PORT",
                 text);
        return -1;
    }
    if (listener->kind == LISTENER_TCP && !is_loopback(&listener->address)) {
        snprintf(error, error_size,
                 "--metrics '%s': not a loopback address; the counters are served to 127.0.0.0/8, "
                 "[::1] or a unix socket only",
                 text);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- opening */

int metrics_socket_open(const char *text, struct listener *listener, char *error, size_t error_size)
{
    if (metrics_socket_parse(text, listener, error, error_size) != 0)
        return -1;
    char label[600];
    snprintf(label, sizeof label, "--metrics '%s'", text);
    int family = listener->address.ss_family, one = 1;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(error, error_size, "%s: cannot create a socket: %s", label, strerror(errno));
        return -1;
    }
    int result = 0;
    if (family == AF_UNIX) {
        result = unix_socket_bind(label, fd, listener, error, error_size);
    } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
               (family == AF_INET6 &&
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
               bind(fd, (const struct sockaddr *)&listener->address, listener->address_length) !=
                   0) {
        snprintf(error, error_size, "%s: cannot bind: %s", label, strerror(errno));
        result = -1;
    }
    socklen_t length = sizeof listener->address;
    if (result == 0 && (listen(fd, METRICS_BACKLOG) != 0 ||
                        getsockname(fd, (struct sockaddr *)&listener->address, &length) != 0)) {
        snprintf(error, error_size, "%s: cannot listen: %s", label, strerror(errno));
        result = -1;
    }
    if (result != 0) {
        close(fd);
        return -1;
    }
    listener->fd = fd;
    listener->address_length = length;
    listener_format_address((const struct sockaddr *)&listener->address, listener->name,
                            sizeof listener->name);
    return 0;
}
