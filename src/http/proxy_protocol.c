/* proxy_protocol.c: a strict parser for PROXY protocol v1 and v2 headers.
 *
 * Only what haproxy's specification allows is accepted: v1 is
 * "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" with single spaces, addresses in
 * text form (IPv4: four decimal numbers without leading zeros; IPv6: what
 * inet_pton takes, which includes the "::ffff:192.0.2.1" form haproxy itself
 * sends for mixed families) and ports without leading zeros, or
 * "PROXY UNKNOWN...\r\n"; v2 is the 12-byte signature, version 2, command
 * LOCAL or PROXY, and for PROXY one of the seven family/transport bytes the
 * specification defines, with an address block long enough for that family.
 * Only TCP over IPv4 or IPv6 gives a client address; UNSPEC, UDP and UNIX are
 * accepted as "no source", as the specification allows. TLVs are skipped,
 * never interpreted. Must not: read past length, allocate,
 * or trust a length field before checking it against PROXY_V2_MAX. */
#include "http/proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const unsigned char V2_SIGNATURE[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                               0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* A decimal port 0-65535 without leading zeros. */
static bool parse_port(const char *text, size_t length, unsigned *port)
{
    if (length == 0 || length > 5 || (length > 1 && text[0] == '0'))
        return false;
    unsigned value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (unsigned)(text[i] - '0');
    }
    if (value > 65535)
        return false;
    *port = value;
    return true;
}

/* The next space-separated field of a v1 line; false if missing or empty. */
static bool next_field(const char **cursor, const char *end, const char **field, size_t *length)
{
    const char *start = *cursor;
    const char *space = memchr(start, ' ', (size_t)(end - start));
    const char *stop = space ? space : end;
    if (stop == start)
        return false;
    *field = start;
    *length = (size_t)(stop - start);
    *cursor = space ? space + 1 : end;
    return true;
}

static bool parse_address(int family, const char *text, size_t length, unsigned port,
                          struct sockaddr_storage *out)
{
    char buffer[INET6_ADDRSTRLEN];
    if (length >= sizeof buffer)
        return false;
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    memset(out, 0, sizeof *out);
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)out;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return inet_pton(AF_INET, buffer, &v4->sin_addr) == 1;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, buffer, &v6->sin6_addr) == 1;
}

static enum proxy_result parse_v1(const unsigned char *data, size_t length,
                                  struct proxy_header *header)
{
    size_t window = length < PROXY_V1_MAX ? length : PROXY_V1_MAX;
    const unsigned char *line_feed = memchr(data, '\n', window);
    if (!line_feed)
        return length >= PROXY_V1_MAX ? PROXY_ERROR : PROXY_INCOMPLETE;
    size_t line_length = (size_t)(line_feed - data);
    if (line_length < 1 || data[line_length - 1] != '\r')
        return PROXY_ERROR;
    const char *cursor = (const char *)data + 6, *end = (const char *)data + line_length - 1;
    for (const char *p = (const char *)data; p < end; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return PROXY_ERROR;
    header->version = 1;
    header->consumed = line_length + 1;
    const char *protocol, *source, *destination, *source_port, *destination_port;
    size_t protocol_length, source_length, destination_length, source_port_length,
        destination_port_length;
    if (!next_field(&cursor, end, &protocol, &protocol_length))
        return PROXY_ERROR;
    if (protocol_length == 7 && memcmp(protocol, "UNKNOWN", 7) == 0) {
        header->has_source = false; /* the rest of the line is to be ignored */
        return PROXY_COMPLETE;
    }
    int family = 0;
    if (protocol_length == 4 && memcmp(protocol, "TCP4", 4) == 0)
        family = AF_INET;
    else if (protocol_length == 4 && memcmp(protocol, "TCP6", 4) == 0)
        family = AF_INET6;
    else
        return PROXY_ERROR;
    unsigned port = 0, other_port = 0;
    struct sockaddr_storage destination_address;
    if (!next_field(&cursor, end, &source, &source_length) ||
        !next_field(&cursor, end, &destination, &destination_length) ||
        !next_field(&cursor, end, &source_port, &source_port_length) ||
        !next_field(&cursor, end, &destination_port, &destination_port_length) || cursor != end ||
        end[-1] == ' ' || !parse_port(source_port, source_port_length, &port) ||
        !parse_port(destination_port, destination_port_length, &other_port) ||
        !parse_address(family, source, source_length, port, &header->source) ||
        !parse_address(family, destination, destination_length, other_port, &destination_address))
        return PROXY_ERROR;
    header->has_source = true;
    return PROXY_COMPLETE;
}

static enum proxy_result parse_v2(const unsigned char *data, size_t length,
                                  struct proxy_header *header)
{
    if (length < 16)
        return PROXY_INCOMPLETE;
    unsigned version = data[12] >> 4, command = data[12] & 0x0f;
    unsigned family = data[13] >> 4, transport = data[13] & 0x0f;
    size_t address_length = ((size_t)data[14] << 8) | data[15];
    if (version != 2 || command > 1 || 16 + address_length > PROXY_V2_MAX)
        return PROXY_ERROR;
    if (length < 16 + address_length)
        return PROXY_INCOMPLETE;
    header->version = 2;
    header->consumed = 16 + address_length;
    header->has_source = false;
    if (command == 0)
        return PROXY_COMPLETE; /* LOCAL: the proxy's own connection (health checks) */
    /* The seven family/transport bytes the specification defines, and the
     * address block each needs; every other value must be rejected. */
    size_t needed;
    switch (data[13]) {
    case 0x00: /* UNSPEC: no address */ needed = 0; break;
    case 0x11: /* TCP over IPv4: 4 + 4 + 2 + 2 bytes */
    case 0x12: /* UDP over IPv4 */ needed = 12; break;
    case 0x21: /* TCP over IPv6: 16 + 16 + 2 + 2 bytes */
    case 0x22: /* UDP over IPv6 */ needed = 36; break;
    case 0x31: /* UNIX stream: 108 + 108 bytes */
    case 0x32: /* UNIX datagram */ needed = 216; break;
    default: return PROXY_ERROR;
    }
    if (address_length < needed)
        return PROXY_ERROR;
    const unsigned char *block = data + 16;
    if (family == 1 && transport == 1) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&header->source;
        memset(&header->source, 0, sizeof header->source);
        v4->sin_family = AF_INET;
        memcpy(&v4->sin_addr, block, 4);
        memcpy(&v4->sin_port, block + 8, 2);
        header->has_source = true;
    } else if (family == 2 && transport == 1) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&header->source;
        memset(&header->source, 0, sizeof header->source);
        v6->sin6_family = AF_INET6;
        memcpy(&v6->sin6_addr, block, 16);
        memcpy(&v6->sin6_port, block + 32, 2);
        header->has_source = true;
    }
    return PROXY_COMPLETE;
}

enum proxy_result proxy_parse(const unsigned char *data, size_t length, struct proxy_header *header)
{
    memset(header, 0, sizeof *header);
    size_t signature = length < sizeof V2_SIGNATURE ? length : sizeof V2_SIGNATURE;
    if (memcmp(data, V2_SIGNATURE, signature) == 0)
        return signature < sizeof V2_SIGNATURE ? PROXY_INCOMPLETE : parse_v2(data, length, header);
    if (memcmp(data, "PROXY ", length < 6 ? length : 6) != 0)
        return PROXY_ERROR;
    return length < 6 ? PROXY_INCOMPLETE : parse_v1(data, length, header);
}
