/* channels.c: the log channel, the control pipe and the peer ring (include/process/channels.h).
 *
 * SOCK_SEQPACKET over a socket pair: for a connected pair the kernel charges
 * queued packets to the writer's send buffer (not to the reader's queue length,
 * as it would for datagrams between unconnected sockets), so SO_SNDBUF bounds
 * what each end may have in flight. Must not: fail open: every option is checked,
 * except the larger buffer, which only saves messages. */
#include "process/channels.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHILDREN_SEND_BUFFER (8 << 20) /* bytes of packets children may have in flight */

static int make_log_pair(int pair[2], int send_buffer)
{
    int on = 1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0 ||
        setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
        shutdown(pair[0], SHUT_WR) != 0 || shutdown(pair[1], SHUT_RD) != 0 ||
        fcntl(pair[1], F_SETFL, O_NONBLOCK) != 0)
        return -1;
    /* As root the buffer may pass net.core.wmem_max; otherwise take what is allowed. */
    if (setsockopt(pair[1], SOL_SOCKET, SO_SNDBUFFORCE, &send_buffer, sizeof send_buffer) != 0) {
        int ignored = setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
        (void)ignored;
    }
    return 0;
}

int channels_create(struct channels *channels, char *error, size_t error_size)
{
    if (make_log_pair(channels->supervisor_log, 1 << 20) != 0 ||
        make_log_pair(channels->children_log, CHILDREN_SEND_BUFFER) != 0 ||
        pipe2(channels->control, O_CLOEXEC) != 0 ||
        fcntl(channels->control[0], F_SETFL, O_NONBLOCK) != 0) {
        snprintf(error, error_size, "cannot create the log channel: %s", strerror(errno));
        return -1;
    }
    channels->peer_ring = peer_ring_create();
    if (!channels->peer_ring) {
        snprintf(error, error_size, "cannot map the peer ring: %s", strerror(errno));
        return -1;
    }
    return 0;
}
