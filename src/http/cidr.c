/* cidr.c: parse address ranges and test membership (include/http/cidr.h).
 *
 * Used only to decide whether the access log may record what a trusted proxy
 * says about the client (Forwarded, X-Forwarded-For); never for access control.
 * Must not: allocate. */
#include "http/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool prefix_matches(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int cidr_parse(const char *text, struct cidr *range)
{
    char address[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t length = slash ? (size_t)(slash - text) : strlen(text);
    if (length == 0 || length >= sizeof address)
        return -1;
    memcpy(address, text, length);
    address[length] = '\0';
    memset(range, 0, sizeof *range);
    unsigned maximum;
    if (inet_pton(AF_INET, address, range->address) == 1) {
        range->family = AF_INET;
        maximum = 32;
    } else if (inet_pton(AF_INET6, address, range->address) == 1) {
        range->family = AF_INET6;
        maximum = 128;
    } else {
        return -1;
    }
    range->prefix = maximum;
    if (slash) {
        /* Digits only: strtoul alone would also take " 8", "+8" and "-0". */
        const char *digits = slash + 1;
        size_t count = strspn(digits, "0123456789");
        if (count == 0 || count > 3 || digits[count] || (digits[0] == '0' && count > 1))
            return -1;
        unsigned long prefix = strtoul(digits, NULL, 10);
        if (prefix > maximum)
            return -1;
        range->prefix = (unsigned)prefix;
    }
    uint8_t network[16];
    memcpy(network, range->address, sizeof network);
    for (unsigned bit = range->prefix; bit < maximum; bit++)
        network[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    return memcmp(network, range->address, maximum / 8) == 0 ? 0 : -1; /* host bits set: a typo */
}

bool cidr_contains(const struct cidr *range, const struct sockaddr *address)
{
    if (address->sa_family == AF_INET && range->family == AF_INET)
        return prefix_matches((const uint8_t *)&((const struct sockaddr_in *)address)->sin_addr,
                              range->address, range->prefix);
    if (address->sa_family != AF_INET6)
        return false;
    const uint8_t *bytes = (const uint8_t *)&((const struct sockaddr_in6 *)address)->sin6_addr;
    if (range->family == AF_INET6)
        return prefix_matches(bytes, range->address, range->prefix);
    return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)bytes) &&
           prefix_matches(bytes + 12, range->address, range->prefix);
}
