/* metrics_socket.h: the --metrics socket: parsed and checked at start-up, bound before the drop.
 *
 * Grammar: unix:/PATH[,mode=OCTAL][,owner=USER][,group=GROUP]  (default mode 0660, owned
 * by the user starting prong) | 127.X.Y.Z:PORT | [::1]:PORT  (port 0: a free port).
 * Loopback only: any other address is refused, as are the listener options that
 * make no sense here (proxy, reuseport) and systemd:NAME.
 * Contract: metrics_socket_parse() checks the text without touching the network
 * or the file system, one line naming --metrics on error. metrics_socket_open()
 * binds it, non-blocking and close-on-exec, as the listeners are bound: for a
 * unix socket (unix_socket_bind(), include/process/unix_socket.h, as --listen)
 * it first refuses a directory that someone other than its owner may write or
 * that is owned by another user than root or the one starting prong (who could
 * swap the path between our checks and our bind), replaces only a stale socket
 * (never another kind of file), and creates the socket with its mode already
 * set (umask around bind) and its owner set without following a link. 0, or -1
 * with the reason.
 * Must not: accept or read; keep the socket on failure. */
#ifndef PRONG_METRICS_SOCKET_H
#define PRONG_METRICS_SOCKET_H

#include <stddef.h>

#include "process/listener.h"

int metrics_socket_parse(const char *text, struct listener *listener, char *error,
                         size_t error_size);

int metrics_socket_open(const char *text, struct listener *listener, char *error,
                        size_t error_size);

#endif
