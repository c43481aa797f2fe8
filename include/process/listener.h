/* listener.h: parse listen addresses and bind (or adopt) the listening sockets.
 *
 * Grammar of --listen (prong --help and the man page repeat it):
 *   A.B.C.D:PORT | [IPV6]:PORT | unix:/PATH | systemd:NAME
 *   | localhost:PORT (two sockets: 127.0.0.1:PORT and [::1]:PORT)
 *   | :PORT | PORT   (two sockets: 0.0.0.0:PORT and [::]:PORT, every address)
 *   then options, comma-separated (for a shorthand, on both sockets):
 *   proxy          the peer speaks the PROXY protocol (v1 or v2) first
 *   reuseport      SO_REUSEPORT, so several instances share the port
 *   mode=OCTAL     unix: the socket file's permissions (default 0660)
 *   owner=USER     unix: the socket file's owner
 *   group=GROUP    unix: the socket file's group
 * Each family is explicit: IPv6 sockets are IPV6_V6ONLY. Port 0 asks the kernel
 * for a free port (a shorthand with port 0 gets one free port for both
 * sockets: the IPv6 one binds the port the IPv4 one got). Host names are
 * not resolved: "localhost" is the one name, and means loopback.
 * systemd:NAME takes the socket systemd passed with that
 * FileDescriptorName (sd_listen_fds(3)); with no --listen at all, every passed
 * socket is used.
 * Contract: listener_parse() checks the text without touching the network;
 * listener_open() binds and listens (non-blocking, close-on-exec) and records
 * the bound address for the "listening on" line; a unix socket's file is made
 * by unix_socket_bind() (include/process/unix_socket.h: a directory only root or
 * the starting user may change, no chmod or chown by name after bind).
 * Must not: accept connections or read from a socket. */
#ifndef PRONG_LISTENER_H
#define PRONG_LISTENER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "fixed_limits.h"

#define LISTENER_NAME_MAX 128
#define LISTENER_SYSTEMD_MAX 16

enum listener_kind { LISTENER_TCP, LISTENER_UNIX, LISTENER_SYSTEMD };

struct listener {
    int fd;
    enum listener_kind kind;
    struct sockaddr_storage address;
    socklen_t address_length;
    bool proxy;     /* PROXY protocol first */
    bool reuseport; /* SO_REUSEPORT */
    mode_t mode;    /* unix */
    uid_t owner;    /* unix; (uid_t)-1 keeps it */
    gid_t group;    /* unix; (gid_t)-1 keeps it */
    char systemd_name[64];
    char name[LISTENER_NAME_MAX]; /* the bound address: "127.0.0.1:41234", "unix:/run/prong.sock" */
};

/* Sockets passed by systemd (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES). */
struct systemd_sockets {
    int count;
    int fds[LISTENER_SYSTEMD_MAX];
    char names[LISTENER_SYSTEMD_MAX][64];
    bool used[LISTENER_SYSTEMD_MAX];
};

/* One address and its options (no shorthand): 0 on success; otherwise -1
 * with a one-line reason in error. */
int listener_parse(const char *text, struct listener *listener, char *error, size_t error_size);

/* The same for another flag's address (--metrics): its messages name that flag. */
int listener_parse_as(const char *flag, const char *text, struct listener *listener, char *error,
                      size_t error_size);

/* One --listen text, shorthands included: fills listeners[0..n) (n is 1, or 2
 * for a shorthand) and returns n, or -1 with a one-line reason naming the text
 * (also when capacity is too small). Nothing is bound. */
int listener_parse_all(const char *text, struct listener *listeners, size_t capacity, char *error,
                       size_t error_size);

/* Open the listeners one text named, in order; a shorthand's second socket
 * with port 0 takes the port the first one got. 0, or -1 with the reason
 * (every socket this call opened is closed again). */
int listener_open_all(struct listener *listeners, size_t count, struct systemd_sockets *systemd,
                      char *error, size_t error_size);

/* Bind and listen on a parsed TCP or unix address, or adopt the named systemd
 * socket. 0 on success; -1 with the reason. */
int listener_open(struct listener *listener, struct systemd_sockets *systemd, char *error,
                  size_t error_size);

/* Read and check the sockets systemd passed, then unset its variables. Returns
 * the count (0 without socket activation) or -1 with the reason. */
int listener_take_systemd(struct systemd_sockets *systemd, char *error, size_t error_size);

/* Adopt a passed socket that no --listen named (used when there is no --listen). */
int listener_adopt(struct listener *listener, struct systemd_sockets *systemd, int index,
                   char *error, size_t error_size);

/* TCP_NOTSENT_LOWAT on a TCP listener, inherited by every accepted socket: at
 * most `bytes` queued unsent per connection (unix sockets: nothing to do).
 * 0, or -1 with the reason. */
int listener_limit_unsent(const struct listener *listener, int bytes, char *error,
                          size_t error_size);

/* "A.B.C.D:PORT", "[IPV6]:PORT" or "unix:/path" for any socket address. */
void listener_format_address(const struct sockaddr *address, char *text, size_t text_size);

/* The address alone, without port or brackets: "203.0.113.7", "2001:db8::1", "local". */
void listener_format_host(const struct sockaddr *address, char *text, size_t text_size);

#endif
