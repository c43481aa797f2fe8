/* unix_socket.h: give a unix listening socket its file, as root, before the privilege drop.
 *
 * Contract: unix_socket_bind() binds fd (an AF_UNIX stream socket, not yet
 * listening) to listener's path with listener's mode, owner and group (-1:
 * kept), so that the file is right before anyone can connect (the caller then
 * calls listen(2)). It refuses a directory that anyone but root and the user
 * starting prong could change (trusted_directory.h: its mode bits, its ACL,
 * its owner; a world-writable /tmp is refused, sticky bit or not), replaces
 * only a stale socket at the name (any other kind of file, a symbolic link
 * included, is refused and left as it is), creates the socket with its mode
 * already set (umask around bind), checks that bind created it in the
 * directory judged, and sets the owner and group without following a link.
 * Used by --listen unix: and --metrics unix:. 0, or -1 with one line,
 * "LABEL: reason", in error (label names the argument); on failure nothing
 * it created is left behind in that directory.
 * Must not: chmod or chown by path, follow a link at the name, unlink anything
 * but a socket, listen or accept. */
#ifndef PRONG_UNIX_SOCKET_H
#define PRONG_UNIX_SOCKET_H

#include <stddef.h>

#include "process/listener.h"

int unix_socket_bind(const char *label, int fd, const struct listener *listener, char *error,
                     size_t error_size);

#endif
