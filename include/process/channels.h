/* channels.h: what connects the monitor and the supervisor, made before the fork.
 *
 * Contract: channels_create() makes the two ends of the log channel, each a
 * SOCK_SEQPACKET socket pair (one message, one packet: nothing can split,
 * merge or swallow another's message), one for the supervisor and one shared by
 * every connection process, so a flood from children cannot crowd out the
 * supervisor; the monitor's ends carry SO_PASSCRED, so the kernel tells it each
 * message's sender pid. The writers' ends are non-blocking (a full channel drops
 * a message at the sender, counted) with a large send buffer (room for bursts,
 * at no cost while empty). The control pipe carries the monitor's commands to the
 * supervisor; the peer ring (peer_ring.h) the supervisor's record of each child's
 * client to the monitor. 0, or -1 with the reason.
 * Must not: give a writer an end it can read. */
#ifndef PRONG_CHANNELS_H
#define PRONG_CHANNELS_H

#include <stddef.h>

#include "process/peer_ring.h"

struct channels {
    int supervisor_log[2]; /* [0] the monitor reads, [1] the supervisor writes */
    int children_log[2];   /* [0] the monitor reads, [1] every connection process writes */
    int control[2];        /* [0] the supervisor reads, [1] the monitor writes */
    struct peer_ring *peer_ring;
};

int channels_create(struct channels *channels, char *error, size_t error_size);

#endif
