/* listener.h: parse listen addresses and bind the listening sockets.
 *
 * Contract: listener_parse() checks "A.B.C.D:PORT" or "[IPV6]:PORT" (each family
 * explicit; port 0 asks the kernel for a free port) without touching the network;
 * listener_open() binds and listens, non-blocking and close-on-exec, and records
 * the address actually bound ("127.0.0.1:41234") for the "listening on" line.
 * Must not: accept connections or read from a socket. */
#ifndef PRONG_LISTENER_H
#define PRONG_LISTENER_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define LISTENER_NAME_MAX 64 /* "[" INET6_ADDRSTRLEN "]:65535" fits */

struct listener {
    int fd;
    struct sockaddr_storage address;
    socklen_t address_length;
    char name[LISTENER_NAME_MAX]; /* the bound address, port included */
};

/* 0 on success; otherwise -1 with a one-line reason in error. */
int listener_parse(const char *text, struct listener *listener, char *error, size_t error_size);

/* Bind and listen on a parsed address. 0 on success; -1 with the reason. */
int listener_open(struct listener *listener, char *error, size_t error_size);

/* "A.B.C.D:PORT" or "[IPV6]:PORT" for any socket address. */
void listener_format_address(const struct sockaddr *address, char *text, size_t text_size);

/* The address alone, without port or brackets: "203.0.113.7", "2001:db8::1". */
void listener_format_host(const struct sockaddr *address, char *text, size_t text_size);

#endif
