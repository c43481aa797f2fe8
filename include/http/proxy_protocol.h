/* proxy_protocol.h: the PROXY protocol header a load balancer sends first (v1 and v2).
 *
 * Contract: proxy_parse() reads a header at the start of a buffer, the way
 * http_parse_request reads a request head: stateless, bounded (v1 at most 107
 * bytes, v2 at most PROXY_V2_MAX bytes), the same answer however the bytes are
 * split. It answers "incomplete", "error" (close the connection without a
 * response), or "complete" with the bytes consumed and the client's address.
 * A LOCAL (v2) or UNKNOWN (v1) header carries no client: the caller keeps the
 * connection's own peer. Specification: haproxy's doc/proxy-protocol.txt.
 * Must not: do I/O, allocate, or accept anything the specification does not allow. */
#ifndef PRONG_PROXY_PROTOCOL_H
#define PRONG_PROXY_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define PROXY_V1_MAX 107  /* "PROXY TCP6 <39> <39> <5> <5>\r\n" */
#define PROXY_V2_MAX 1040 /* 16-byte header and up to 1024 bytes of addresses and TLVs */

enum proxy_result { PROXY_INCOMPLETE = 0, PROXY_COMPLETE, PROXY_ERROR };

struct proxy_header {
    size_t consumed;
    bool has_source; /* false for LOCAL / UNKNOWN */
    struct sockaddr_storage source;
    int version; /* 1 or 2 */
};

enum proxy_result proxy_parse(const unsigned char *data, size_t length,
                              struct proxy_header *header);

#endif
