/* cidr.h: address ranges for --trusted-proxy.
 *
 * Contract: cidr_parse() reads "203.0.113.0/24", "2001:db8::/32" or a bare
 * address (a /32 or /128); cidr_contains() says whether an address falls in a
 * range; an IPv4-mapped IPv6 address matches IPv4 ranges.
 * Must not: accept a prefix longer than the family allows, or host bits in the
 * text that the prefix would silently drop (a typo should be an error). */
#ifndef PRONG_CIDR_H
#define PRONG_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t address[16];
    unsigned prefix;
};

/* 0, or -1 when the text is not a range. */
int cidr_parse(const char *text, struct cidr *range);

bool cidr_contains(const struct cidr *range, const struct sockaddr *address);

#endif
