/* listener.c: listen addresses and listening sockets.
 *
 * An address is always explicit about its family: IPv4 as "A.B.C.D:PORT", IPv6
 * in brackets with IPV6_V6ONLY set, so "[::]:80" never silently takes IPv4 too.
 * Sockets are non-blocking (the supervisor accepts in a loop until EAGAIN) and
 * close-on-exec. Must not: accept, read or write on any socket. */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */

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

int listener_parse(const char *text, struct listener *listener, char *error, size_t error_size)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(text, ':');
    memset(listener, 0, sizeof *listener);
    listener->fd = -1;
    if (!colon || (size_t)(colon - text) >= sizeof host) {
        snprintf(error, error_size, "--listen '%s': expected A.B.C.D:PORT or [IPV6]:PORT", text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    in_port_t port = 0;
    if (!parse_port(colon + 1, &port)) {
        snprintf(error, error_size, "--listen '%s': the port must be a number from 0 to 65535", text);
        return -1;
    }
    size_t host_length = strlen(host);
    if (host_length >= 2 && host[0] == '[' && host[host_length - 1] == ']') {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&listener->address;
        host[host_length - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1) {
            snprintf(error, error_size, "--listen '%s': '%s' is not an IPv6 address", text, host + 1);
            return -1;
        }
        v6->sin6_family = AF_INET6;
        v6->sin6_port = port;
        listener->address_length = sizeof *v6;
        return 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&listener->address;
    if (inet_pton(AF_INET, host, &v4->sin_addr) != 1) {
        snprintf(error, error_size, "--listen '%s': '%s' is not an IPv4 address (IPv6 goes in brackets)", text, host);
        return -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = port;
    listener->address_length = sizeof *v4;
    return 0;
}

void listener_format_host(const struct sockaddr *address, char *text, size_t text_size)
{
    const void *raw = address->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)address)->sin6_addr
                                                     : (const void *)&((const struct sockaddr_in *)address)->sin_addr;
    if ((address->sa_family != AF_INET && address->sa_family != AF_INET6) ||
        !inet_ntop(address->sa_family, raw, text, (socklen_t)text_size))
        snprintf(text, text_size, "unknown");
}

void listener_format_address(const struct sockaddr *address, char *text, size_t text_size)
{
    char host[INET6_ADDRSTRLEN];
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host))
            snprintf(host, sizeof host, "?");
        snprintf(text, text_size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        if (!inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host))
            snprintf(host, sizeof host, "?");
        snprintf(text, text_size, "%s:%u", host, ntohs(v4->sin_port));
    } else {
        snprintf(text, text_size, "unknown");
    }
}

int listener_open(struct listener *listener, char *error, size_t error_size)
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
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
        snprintf(error, error_size, "cannot set socket options for %s: %s", wanted, strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, (const struct sockaddr *)&listener->address, listener->address_length) != 0) {
        snprintf(error, error_size, "cannot listen on %s: %s", wanted, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(error, error_size, "cannot listen on %s: %s", wanted, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t length = sizeof listener->address;
    if (getsockname(fd, (struct sockaddr *)&listener->address, &length) != 0) {
        snprintf(error, error_size, "cannot read the bound address of %s: %s", wanted, strerror(errno));
        close(fd);
        return -1;
    }
    listener->address_length = length;
    listener->fd = fd;
    listener_format_address((const struct sockaddr *)&listener->address, listener->name, sizeof listener->name);
    return 0;
}
