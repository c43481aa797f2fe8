/* test_proxy_protocol.c: unit tests of proxy_parse(), the PROXY protocol v1/v2 header parser.
 *
 * What it does: runs a table of headers (every v1 and v2 form the
 * specification defines, and malformed, truncated, over-long and
 * out-of-range ones) through proxy_parse(), each in a heap buffer of exactly
 * its length (so AddressSanitizer catches any read past it), and checks the
 * result, the bytes consumed, the version and the client address. For every
 * case it also checks that each prefix answers "incomplete" or the whole
 * buffer's own answer (the parser is stateless and re-run on the growing
 * buffer, so that is "the same answer however the bytes are split"), that a
 * valid header truncated anywhere is "incomplete", and that bytes after a
 * header change nothing. A reproducible random walk over mutated headers then
 * checks the same invariants on inputs nobody wrote by hand, and, given a
 * directory (fuzz/proxy-seeds/), each fuzzing seed answers what its name says.
 *
 * Contract: built by mk/proxy-tests.mk (`make test-proxy`) with clang,
 * AddressSanitizer and UndefinedBehaviorSanitizer without recovery, against
 * the real src/http/proxy_protocol.c; usage `test_proxy_protocol [SEED_DIR]`.
 * Checks go through the shared harness (tests/unit/unit.h): one line per
 * failed check, the summary line "proxy: N checks passed, N failed", and after
 * a failure the seed of the random walk (UNIT_TEST_SEED varies it); exit
 * status 0 only when nothing failed. Expected values are written by hand here
 * or computed with inet_pton/inet_ntop, never by the parser itself.
 *
 * Must not: write files, use the network, or depend on the time of day. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/proxy_protocol.h"
#include "unit.h"

/* With the default seed, the random walk's generator starts where this suite's
 * walk always started (state 0x9e3779b97f4a7c15), so its counts stay comparable. */
#define MUTATION_SALT (UNIT_DEFAULT_SEED ^ 1u)

static const char *result_name(enum proxy_result result)
{
    switch (result) {
    case PROXY_INCOMPLETE: return "incomplete";
    case PROXY_COMPLETE: return "complete";
    case PROXY_ERROR: return "error";
    }
    return "?";
}

/* The parser on a heap copy of exactly length bytes. */
static enum proxy_result parse_exact(const unsigned char *data, size_t length,
                                     struct proxy_header *header)
{
    unsigned char *copy = unit_exact_copy(data, length);
    enum proxy_result result = proxy_parse(copy, length, header);
    free(copy);
    return result;
}

/* "203.0.113.7:443", "[2001:db8::1]:80" or "none", computed with inet_ntop. */
static void describe_source(const struct proxy_header *header, char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (!header->has_source) {
        snprintf(text, size, "none");
    } else if (header->source.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&header->source;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(text, size, "%s:%u", host, ntohs(v4->sin_port));
    } else if (header->source.ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&header->source;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(text, size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else {
        snprintf(text, size, "family %d", header->source.ss_family);
    }
}

static bool same_header(const struct proxy_header *a, const struct proxy_header *b)
{
    char first[80], second[80];
    describe_source(a, first, sizeof first);
    describe_source(b, second, sizeof second);
    return a->consumed == b->consumed && a->version == b->version &&
           a->has_source == b->has_source && strcmp(first, second) == 0;
}

/* ------------------------------------------------------------------ cases */

struct expectation {
    enum proxy_result result;
    size_t consumed;    /* complete only */
    int version;        /* complete only */
    const char *source; /* complete only: describe_source() text */
};

/* The whole input's answer, against which each of its prefixes is judged. */
struct whole_answer {
    const unsigned char *data;
    size_t length;
    enum proxy_result result;
    struct proxy_header header;
};

/* The parser is stateless and re-run on the growing buffer: each prefix must
 * answer "incomplete" or the same as the whole buffer. */
static enum unit_judgement judge_prefix(void *context, size_t prefix,
                                        const struct unit_delivery *delivery, char *why,
                                        size_t why_size)
{
    const struct whole_answer *whole = context;
    (void)delivery;
    struct proxy_header part;
    enum proxy_result result = parse_exact(whole->data, prefix, &part);
    if (result == PROXY_INCOMPLETE && prefix < whole->length)
        return UNIT_WAITING;
    if (result == whole->result && (result != PROXY_COMPLETE || same_header(&part, &whole->header)))
        return UNIT_AGREES;
    snprintf(why, why_size, "%s, but %s after all %zu bytes", result_name(result),
             result_name(whole->result), whole->length);
    return UNIT_DISAGREES;
}

/* The invariants every input must satisfy, whatever its answer. */
static void check_invariants(const char *name, const unsigned char *data, size_t length)
{
    struct whole_answer answer = {.data = data, .length = length};
    answer.result = parse_exact(data, length, &answer.header);
    const enum proxy_result final = answer.result;
    const struct proxy_header *whole = &answer.header;
    CHECK(final != PROXY_COMPLETE || (whole->consumed > 0 && whole->consumed <= length),
          "%s: consumed %zu of %zu bytes", name, whole->consumed, length);
    CHECK(final != PROXY_COMPLETE || whole->version == 1 || whole->version == 2, "%s: version %d",
          name, whole->version);
    CHECK(final != PROXY_COMPLETE ||
              whole->consumed <= (whole->version == 1 ? PROXY_V1_MAX : PROXY_V2_MAX),
          "%s: consumed %zu, past the limit of version %d", name, whole->consumed, whole->version);
    CHECK(final != PROXY_INCOMPLETE || length < PROXY_V2_MAX,
          "%s: still incomplete after %zu bytes", name, length);
    /* Every prefix, from none of its bytes to all of them. */
    const struct unit_feed feed = {name, length, judge_prefix, &answer};
    unit_feed_byte_by_byte(&feed, 0, false);
}

static void check_case(const char *name, const unsigned char *data, size_t length,
                       struct expectation expected)
{
    struct proxy_header header;
    enum proxy_result result = parse_exact(data, length, &header);
    CHECK(result == expected.result, "%s: %s, expected %s", name, result_name(result),
          result_name(expected.result));
    if (result == PROXY_COMPLETE && expected.result == PROXY_COMPLETE) {
        char source[80];
        describe_source(&header, source, sizeof source);
        CHECK(header.consumed == expected.consumed, "%s: consumed %zu, expected %zu", name,
              header.consumed, expected.consumed);
        CHECK(header.version == expected.version, "%s: version %d, expected %d", name,
              header.version, expected.version);
        CHECK(strcmp(source, expected.source) == 0, "%s: source %s, expected %s", name, source,
              expected.source);
        /* A valid header cut anywhere is incomplete. */
        for (size_t cut = 0; cut < expected.consumed; cut++) {
            struct proxy_header part;
            enum proxy_result partial = parse_exact(data, cut, &part);
            if (!CHECK(partial == PROXY_INCOMPLETE,
                       "%s: cut after %zu bytes: %s, expected incomplete", name, cut,
                       result_name(partial)))
                break;
        }
        /* Bytes after the header (the request) change nothing. */
        static const char request[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
        unsigned char longer[PROXY_V2_MAX + sizeof request];
        memcpy(longer, data, length);
        memcpy(longer + length, request, sizeof request - 1);
        struct proxy_header with_request;
        enum proxy_result again = parse_exact(longer, length + sizeof request - 1, &with_request);
        CHECK(again == PROXY_COMPLETE && same_header(&with_request, &header),
              "%s: a request after it changed %s", name, result_name(again));
    }
    check_invariants(name, data, length);
}

static void v1(const char *text, struct expectation expected)
{
    check_case(text, (const unsigned char *)text, strlen(text), expected);
}

#define COMPLETE(consumed, version, source) \
    ((struct expectation){PROXY_COMPLETE, (consumed), (version), (source)})
#define ERROR ((struct expectation){PROXY_ERROR, 0, 0, NULL})
#define INCOMPLETE ((struct expectation){PROXY_INCOMPLETE, 0, 0, NULL})

static void test_v1(void)
{
    /* The forms the specification defines. */
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n", COMPLETE(45, 1, "192.0.2.1:56324"));
    v1("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n", COMPLETE(44, 1, "[2001:db8::1]:1"));
    v1("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 80 8080\r\n", COMPLETE(45, 1, "[2001:db8::1]:80"));
    /* haproxy writes a mixed IPv4/IPv6 pair as IPv4-mapped IPv6 addresses. */
    v1("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 56324 443\r\n",
       COMPLETE(51, 1, "[::ffff:192.0.2.1]:56324"));
    v1("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", COMPLETE(44, 1, "0.0.0.0:0"));
    v1("PROXY UNKNOWN\r\n", COMPLETE(15, 1, "none"));
    v1("PROXY UNKNOWN 192.0.2.1 198.51.100.2 56324 443\r\n", COMPLETE(48, 1, "none"));
    /* The longest lines: 104 bytes for TCP6, 107 (the limit) for UNKNOWN. */
    v1("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
       "65535 65535\r\n",
       COMPLETE(104, 1, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
    v1("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
       COMPLETE(107, 1, "none"));
    /* Past the limit: 107 bytes without a line feed is an error at once. */
    v1("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n",
       ERROR);
    char long_line[PROXY_V1_MAX + 1];
    memset(long_line, 'x', sizeof long_line - 1);
    memcpy(long_line, "PROXY UNKNOWN ", 14);
    long_line[PROXY_V1_MAX] = '\0';
    v1(long_line, ERROR); /* 107 bytes, no line feed */
    long_line[PROXY_V1_MAX - 1] = '\0';
    v1(long_line, INCOMPLETE); /* 106 bytes, no line feed yet */
    /* Line ends. */
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r", INCOMPLETE);
    v1("PROXY \r\n", ERROR);
    v1("PROXY\r\n", ERROR);
    /* Spaces: exactly one between fields, none at either end. */
    v1("PROXY  TCP4 192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4  192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324  443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 \r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1\t198.51.100.2 56324 443\r\n", ERROR);
    /* Field count. */
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 1\r\n", ERROR);
    v1("PROXY TCP4\r\n", ERROR);
    /* Protocol names: exact and upper case. */
    v1("PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY tcp4 192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY UDP4 192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY UNKNOWNX\r\n", ERROR);
    v1("proxy TCP4 192.0.2.1 198.51.100.2 56324 443\r\n", ERROR);
    /* Ports: decimal, 0-65535, no leading zeros, no signs. */
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 056324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 0443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 00 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 100000 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 +1 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 0x10 443\r\n", ERROR);
    /* Addresses: of the named family, dotted decimal without leading zeros,
     * IPv6 without a zone, brackets or a second "::". */
    v1("PROXY TCP4 192.000.2.1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 01.2.3.4 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1.5 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100 56324 443\r\n", ERROR);
    v1("PROXY TCP4 2001:db8::1 198.51.100.2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 192.0.2.1 2001:db8::2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 2001:db8::1%eth0 2001:db8::2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 2001:db8::1::2 2001:db8::2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 00001::1 2001:db8::2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 [2001:db8::1] 2001:db8::2 56324 443\r\n", ERROR);
    v1("PROXY TCP6 2001:0db8:0000:0000:0000:0000:0000:00001 ::1 1 2\r\n",
       ERROR); /* a five-digit group */
    v1("PROXY TCP4 localhost 198.51.100.2 56324 443\r\n", ERROR);
    /* Bytes outside printable ASCII anywhere in the line. */
    static const unsigned char with_nul[] = "PROXY TCP4 192.0.2.1\0198.51.100.2 56324 443\r\n";
    check_case("v1 with a NUL", with_nul, sizeof with_nul - 1, ERROR);
    v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 4\x80\x33\r\n", ERROR);
    v1("PROXY UNKNOWN \x01\r\n", ERROR);
    /* Not a PROXY header at all: known at the first byte that differs. */
    v1("GET / HTTP/1.1\r\nHost: example\r\n\r\n", ERROR);
    v1("P", INCOMPLETE);
    v1("PROXY", INCOMPLETE);
    v1("PROXX", ERROR);
    v1("", INCOMPLETE);
}

/* ------------------------------------------------------------------ v2 */

static const unsigned char SIGNATURE[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                            0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* A v2 header: signature, version/command, family/transport, then length
 * bytes of address block (filled by the caller). Returns the total length. */
static size_t v2_header(unsigned char *out, unsigned char version_command,
                        unsigned char family_transport, size_t length)
{
    memcpy(out, SIGNATURE, sizeof SIGNATURE);
    out[12] = version_command;
    out[13] = family_transport;
    out[14] = (unsigned char)(length >> 8);
    out[15] = (unsigned char)(length & 0xff);
    memset(out + 16, 0, length);
    return 16 + length;
}

static size_t v2_tcp4(unsigned char *out, const char *source, unsigned port, size_t extra)
{
    size_t total = v2_header(out, 0x21, 0x11, 12 + extra);
    inet_pton(AF_INET, source, out + 16);
    inet_pton(AF_INET, "198.51.100.2", out + 20);
    out[24] = (unsigned char)(port >> 8);
    out[25] = (unsigned char)port;
    out[26] = 0x01;
    out[27] = 0xbb;
    return total;
}

static size_t v2_tcp6(unsigned char *out, const char *source, unsigned port, size_t extra)
{
    size_t total = v2_header(out, 0x21, 0x21, 36 + extra);
    inet_pton(AF_INET6, source, out + 16);
    inet_pton(AF_INET6, "2001:db8::2", out + 32);
    out[48] = (unsigned char)(port >> 8);
    out[49] = (unsigned char)port;
    out[50] = 0x00;
    out[51] = 0x50;
    return total;
}

static void test_v2(void)
{
    unsigned char buffer[PROXY_V2_MAX + 64];
    size_t length;

    length = v2_tcp4(buffer, "203.0.113.7", 56324, 0);
    check_case("v2 PROXY TCP4", buffer, length, COMPLETE(28, 2, "203.0.113.7:56324"));
    length = v2_tcp6(buffer, "2001:db8::1", 1, 0);
    check_case("v2 PROXY TCP6", buffer, length, COMPLETE(52, 2, "[2001:db8::1]:1"));
    length = v2_tcp6(buffer, "::ffff:192.0.2.1", 65535, 0);
    check_case("v2 PROXY TCP6 mapped", buffer, length, COMPLETE(52, 2, "[::ffff:192.0.2.1]:65535"));

    /* LOCAL: the proxy's own connection (health checks); the address block,
     * whatever its family, is skipped and the peer's own address kept. */
    length = v2_header(buffer, 0x20, 0x00, 0);
    check_case("v2 LOCAL", buffer, length, COMPLETE(16, 2, "none"));
    length = v2_tcp4(buffer, "203.0.113.7", 56324, 0);
    buffer[12] = 0x20;
    check_case("v2 LOCAL with a TCP4 block", buffer, length, COMPLETE(28, 2, "none"));
    length = v2_header(buffer, 0x20, 0xff, 3);
    check_case("v2 LOCAL with an undefined family", buffer, length, COMPLETE(19, 2, "none"));

    /* PROXY with families that carry no client address for prong. */
    length = v2_header(buffer, 0x21, 0x00, 0);
    check_case("v2 PROXY UNSPEC", buffer, length, COMPLETE(16, 2, "none"));
    length = v2_header(buffer, 0x21, 0x12, 12);
    check_case("v2 PROXY UDP4", buffer, length, COMPLETE(28, 2, "none"));
    length = v2_header(buffer, 0x21, 0x22, 36);
    check_case("v2 PROXY UDP6", buffer, length, COMPLETE(52, 2, "none"));
    length = v2_header(buffer, 0x21, 0x31, 216);
    check_case("v2 PROXY UNIX stream", buffer, length, COMPLETE(232, 2, "none"));
    length = v2_header(buffer, 0x21, 0x32, 216);
    check_case("v2 PROXY UNIX datagram", buffer, length, COMPLETE(232, 2, "none"));

    /* TLVs after the addresses are skipped, never interpreted. */
    length = v2_tcp4(buffer, "203.0.113.9", 443, 12);
    static const unsigned char tlvs[12] = {0x01, 0x00, 0x02, 'h', '2', /* ALPN */
                                           0x04, 0x00, 0x04, 0,   0,   0, 0 /* NOOP */};
    memcpy(buffer + 28, tlvs, sizeof tlvs);
    check_case("v2 TCP4 with TLVs", buffer, length, COMPLETE(40, 2, "203.0.113.9:443"));
    length = v2_tcp4(buffer, "203.0.113.9", 443, 5);
    memset(buffer + 28, 0xff, 5); /* a TLV whose own length is garbage: still only skipped */
    check_case("v2 TCP4 with a broken TLV", buffer, length, COMPLETE(33, 2, "203.0.113.9:443"));

    /* Limits: 1024 bytes of block is the most (PROXY_V2_MAX in all). */
    length = v2_tcp4(buffer, "203.0.113.7", 80, PROXY_V2_MAX - 16 - 12);
    check_case("v2 at the limit", buffer, length, COMPLETE(PROXY_V2_MAX, 2, "203.0.113.7:80"));
    length = v2_tcp4(buffer, "203.0.113.7", 80, PROXY_V2_MAX - 16 - 12 + 1);
    check_case("v2 one byte past the limit", buffer, length, ERROR);
    check_case("v2 past the limit, head only", buffer, 16, ERROR);
    v2_header(buffer, 0x21, 0x11, 0);
    buffer[14] = buffer[15] = 0xff; /* a block length of 65535: refused before the block arrives */
    check_case("v2 block length 65535", buffer, 16, ERROR);

    /* Version and command nibbles. */
    for (unsigned version = 0; version < 16; version++) {
        if (version == 2)
            continue;
        length = v2_tcp4(buffer, "203.0.113.7", 80, 0);
        buffer[12] = (unsigned char)(version << 4 | 1);
        char name[64];
        snprintf(name, sizeof name, "v2 version %u", version);
        check_case(name, buffer, length, ERROR);
    }
    for (unsigned command = 2; command < 16; command++) {
        length = v2_tcp4(buffer, "203.0.113.7", 80, 0);
        buffer[12] = (unsigned char)(0x20 | command);
        char name[64];
        snprintf(name, sizeof name, "v2 command %u", command);
        check_case(name, buffer, length, ERROR);
    }
    /* Every family/transport byte but the seven defined ones is rejected. */
    for (unsigned value = 0; value < 256; value++) {
        bool defined = value == 0x00 || value == 0x11 || value == 0x12 || value == 0x21 ||
                       value == 0x22 || value == 0x31 || value == 0x32;
        if (defined)
            continue;
        length = v2_header(buffer, 0x21, (unsigned char)value, 216);
        char name[64];
        snprintf(name, sizeof name, "v2 family/transport 0x%02x", value);
        check_case(name, buffer, length, ERROR);
    }
    /* A block too short for its family. */
    length = v2_header(buffer, 0x21, 0x11, 11);
    check_case("v2 TCP4 block of 11", buffer, length, ERROR);
    length = v2_header(buffer, 0x21, 0x21, 35);
    check_case("v2 TCP6 block of 35", buffer, length, ERROR);
    length = v2_header(buffer, 0x21, 0x21, 12);
    check_case("v2 TCP6 with a TCP4-sized block", buffer, length, ERROR);
    length = v2_header(buffer, 0x21, 0x12, 11);
    check_case("v2 UDP4 block of 11", buffer, length, ERROR);
    length = v2_header(buffer, 0x21, 0x31, 215);
    check_case("v2 UNIX block of 215", buffer, length, ERROR);

    /* The signature: any byte of it wrong is an error, known at that byte. */
    for (size_t index = 0; index < sizeof SIGNATURE; index++) {
        length = v2_tcp4(buffer, "203.0.113.7", 80, 0);
        buffer[index] ^= 0x20;
        char name[64];
        snprintf(name, sizeof name, "v2 signature byte %zu wrong", index);
        check_case(name, buffer, length, ERROR);
        struct proxy_header header;
        CHECK(parse_exact(buffer, index + 1, &header) == PROXY_ERROR,
              "%s: not an error at that byte", name);
    }
    /* Incomplete until the whole block is there (checked per cut in check_case),
     * and the head alone of a valid header is incomplete. */
    length = v2_tcp6(buffer, "2001:db8::1", 1, 100);
    struct proxy_header header;
    CHECK(parse_exact(buffer, 16, &header) == PROXY_INCOMPLETE, "v2 head alone: not incomplete");
    CHECK(parse_exact(buffer, length - 1, &header) == PROXY_INCOMPLETE,
          "v2 one byte short: not incomplete");
}

/* ------------------------------------------------------------------ random walk */

/* Mutations of valid headers: flipped, inserted, deleted and cut bytes. */
static void test_random_mutations(void)
{
    const char *text_seeds[] = {
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\n\r\n",
        "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n",
        "PROXY UNKNOWN\r\n",
    };
    unsigned char seeds[5][128];
    size_t seed_lengths[5];
    for (size_t i = 0; i < 3; i++) {
        seed_lengths[i] = strlen(text_seeds[i]);
        memcpy(seeds[i], text_seeds[i], seed_lengths[i]);
    }
    unsigned char buffer[PROXY_V2_MAX];
    seed_lengths[3] = v2_tcp4(buffer, "203.0.113.7", 80, 8);
    memcpy(seeds[3], buffer, seed_lengths[3]);
    seed_lengths[4] = v2_tcp6(buffer, "2001:db8::1", 1, 0);
    memcpy(seeds[4], buffer, seed_lengths[4]);
    uint64_t random = unit_random_state(MUTATION_SALT);
    unsigned long before = unit_failures;
    for (int round = 0; round < 3000 && unit_failures == before; round++) {
        size_t which = (size_t)(unit_random(&random) % 5);
        unsigned char input[160];
        size_t length = seed_lengths[which];
        memcpy(input, seeds[which], length);
        int mutations = 1 + (int)(unit_random(&random) % 4);
        for (int m = 0; m < mutations && length > 0; m++) {
            size_t at = (size_t)(unit_random(&random) % length);
            switch (unit_random(&random) % 4) {
            case 0: input[at] ^= (unsigned char)(1u << (unit_random(&random) % 8)); break;
            case 1: input[at] = (unsigned char)unit_random(&random); break;
            case 2:
                if (length < sizeof input) {
                    memmove(input + at + 1, input + at, length - at);
                    input[at] = (unsigned char)" .:0123456789\r\n"[unit_random(&random) % 15];
                    length++;
                }
                break;
            default:
                memmove(input + at, input + at + 1, length - at - 1);
                length--;
                break;
            }
        }
        char name[64];
        snprintf(name, sizeof name, "random mutation %d of seed %zu", round, which);
        check_invariants(name, input, length);
    }
}

/* The fuzzing seeds (fuzz/proxy-seeds/) answer what their names say: "err"
 * in the name is an error, "incomplete" incomplete, anything else complete;
 * and each one satisfies the invariants. */
static void test_seed_files(const char *directory)
{
    DIR *listing = opendir(directory);
    if (!CHECK(listing != NULL, "cannot open the seed directory %s", directory))
        return;
    unsigned count = 0;
    for (struct dirent *entry; (entry = readdir(listing)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        FILE *file = fopen(path, "rb");
        if (!CHECK(file != NULL, "cannot open %s", path))
            continue;
        unsigned char data[PROXY_V2_MAX + 256];
        size_t length = fread(data, 1, sizeof data, file);
        fclose(file);
        struct expectation expected = COMPLETE(0, 0, NULL);
        if (strstr(entry->d_name, "err"))
            expected = ERROR;
        else if (strstr(entry->d_name, "incomplete"))
            expected = INCOMPLETE;
        struct proxy_header header;
        enum proxy_result result = parse_exact(data, length, &header);
        CHECK(result == expected.result, "seed %s: %s, its name says %s", entry->d_name,
              result_name(result), result_name(expected.result));
        check_invariants(entry->d_name, data, length);
        count++;
    }
    closedir(listing);
    CHECK(count >= 20, "only %u seeds in %s", count, directory);
}

int main(int argc, char **argv)
{
    unit_begin("proxy", "UNIT_TEST_SEED", UNIT_DEFAULT_SEED);
    test_v1();
    test_v2();
    test_random_mutations();
    if (argc > 1)
        test_seed_files(argv[1]);
    printf("proxy: %lu checks passed, %lu failed\n", unit_checks_passed, unit_failures);
    return unit_end();
}
