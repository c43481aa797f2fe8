/* fuzz_proxy.c: the invariant-checking fuzz harness of the PROXY protocol parser.
 *
 * What it does: runs src/http/proxy_protocol.c (linked in, never copied) on each
 * input and abort()s when the answer breaks a property include/http/proxy_protocol.h
 * promises, not only when it crashes:
 *   - the result is one of the three; when complete, 0 < consumed <= length,
 *     consumed is within its version's limit (107 bytes for v1, PROXY_V2_MAX
 *     for v2), a v1 header starts with "PROXY " and ends with CRLF, a v2 header
 *     starts with the signature and is exactly 16 + its length field, and a
 *     client address is an IPv4 or IPv6 one;
 *   - an input still "incomplete" is shorter than the longest header;
 *   - split consistency: every prefix of the input (the parser is stateless and
 *     re-run on the growing buffer) answers "incomplete" or exactly the whole
 *     input's answer (result, consumed, version, address); so a complete
 *     header cut anywhere before its end is incomplete;
 *   - re-serialisation: a complete header's client address, written back as a
 *     v1 line (inet_ntop text) and as a v2 header, parses to the same address
 *     and port, consuming exactly what was written;
 *   - the answer does not depend on what the output structure held before.
 * Each input is copied to the very end of a heap buffer of exactly its size,
 * and each prefix likewise, so ASan reports any read at or past `length`.
 *
 * Builds: with clang -fsanitize=fuzzer it is a libFuzzer target; with
 * afl-clang-fast it also gets a persistent-mode main() reading AFL++'s
 * shared-memory test case (it reads stdin when run outside afl-fuzz).
 * Seeds: fuzz/proxy-seeds/ (the unit tests' headers). Targets: make fuzz-proxy,
 * and fuzz-smoke runs it alongside the request parser (mk/fuzz.mk).
 *
 * What it must not do: keep state from one input to the next, print anything
 * unless a property is broken, or relax a check to make a finding go away. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/proxy_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void invariant_broken(const char *what, int line)
{
    fprintf(stderr, "fuzz_proxy: invariant broken (fuzz/fuzz_proxy.c:%d): %s\n", line, what);
    abort();
}

#define REQUIRE(condition, what)              \
    do {                                      \
        if (!(condition))                     \
            invariant_broken(what, __LINE__); \
    } while (0)

static const unsigned char SIGNATURE[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                            0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* The longest input worth splitting: past it every answer is final. */
#define SPLIT_LIMIT (PROXY_V2_MAX + 1)

/* Parse `length` bytes copied to the end of a heap buffer of exactly that size. */
static enum proxy_result parse_at_end(unsigned char *buffer, size_t buffer_size,
                                      const unsigned char *data, size_t length,
                                      struct proxy_header *header)
{
    unsigned char *start = buffer + buffer_size - length;
    memmove(start, data, length);
    return proxy_parse(start, length, header);
}

static int same_address(const struct proxy_header *a, const struct proxy_header *b)
{
    if (a->has_source != b->has_source)
        return 0;
    if (!a->has_source)
        return 1;
    if (a->source.ss_family != b->source.ss_family)
        return 0;
    if (a->source.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)&a->source,
                                 *y = (const struct sockaddr_in *)&b->source;
        return x->sin_port == y->sin_port &&
               memcmp(&x->sin_addr, &y->sin_addr, sizeof x->sin_addr) == 0;
    }
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->source,
                              *y = (const struct sockaddr_in6 *)&b->source;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static int same_answer(enum proxy_result a, const struct proxy_header *x, enum proxy_result b,
                       const struct proxy_header *y)
{
    if (a != b)
        return 0;
    if (a != PROXY_COMPLETE)
        return 1;
    return x->consumed == y->consumed && x->version == y->version && same_address(x, y);
}

static void check_complete(const unsigned char *data, size_t size,
                           const struct proxy_header *header)
{
    REQUIRE(header->consumed > 0 && header->consumed <= size, "consumed is outside 1..length");
    REQUIRE(header->version == 1 || header->version == 2, "version is neither 1 nor 2");
    if (header->version == 1) {
        REQUIRE(header->consumed <= PROXY_V1_MAX, "a v1 header longer than 107 bytes");
        REQUIRE(header->consumed >= 8 && memcmp(data, "PROXY ", 6) == 0,
                "a v1 header not starting with 'PROXY '");
        REQUIRE(data[header->consumed - 2] == '\r' && data[header->consumed - 1] == '\n',
                "a v1 header not ending with CRLF");
        REQUIRE(memchr(data, '\n', header->consumed - 1) == NULL,
                "a v1 header with a line feed inside");
    } else {
        REQUIRE(header->consumed <= PROXY_V2_MAX, "a v2 header longer than PROXY_V2_MAX");
        REQUIRE(size >= 16 && memcmp(data, SIGNATURE, sizeof SIGNATURE) == 0,
                "a v2 header without the signature");
        REQUIRE(header->consumed == 16 + (((size_t)data[14] << 8) | data[15]),
                "v2 consumed is not 16 + its length");
        REQUIRE((data[12] >> 4) == 2 && (data[12] & 0x0f) <= 1,
                "v2 accepted with a bad version or command");
    }
    if (header->has_source)
        REQUIRE(header->source.ss_family == AF_INET || header->source.ss_family == AF_INET6,
                "a client address of another family");
}

/* Every prefix answers "incomplete" or the whole input's answer. */
static void check_splits(const unsigned char *data, size_t size, enum proxy_result whole,
                         const struct proxy_header *whole_header)
{
    size_t limit = size < SPLIT_LIMIT ? size : SPLIT_LIMIT;
    unsigned char *buffer = malloc(limit ? limit : 1);
    REQUIRE(buffer != NULL, "out of memory");
    for (size_t cut = 0; cut < limit; cut++) {
        struct proxy_header part;
        enum proxy_result result = parse_at_end(buffer, limit, data, cut, &part);
        if (result == PROXY_INCOMPLETE)
            continue;
        REQUIRE(same_answer(result, &part, whole, whole_header),
                "a prefix answers differently from the whole input (split inconsistency)");
    }
    free(buffer);
}

/* The client address written back as a v1 line and as a v2 header parses the same. */
static void check_reserialised(const struct proxy_header *header)
{
    if (!header->has_source)
        return;
    char host[INET6_ADDRSTRLEN], line[160];
    unsigned char v2[16 + 36];
    size_t v2_length;
    unsigned port;
    memcpy(v2, SIGNATURE, sizeof SIGNATURE);
    v2[12] = 0x21;
    if (header->source.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&header->source;
        REQUIRE(inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host) != NULL, "inet_ntop failed");
        port = ntohs(v4->sin_port);
        snprintf(line, sizeof line, "PROXY TCP4 %s 127.0.0.1 %u 80\r\n", host, port);
        v2[13] = 0x11;
        v2[14] = 0;
        v2[15] = 12;
        memcpy(v2 + 16, &v4->sin_addr, 4);
        memset(v2 + 20, 0, 4);
        memcpy(v2 + 24, &v4->sin_port, 2);
        memset(v2 + 26, 0, 2);
        v2_length = 28;
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&header->source;
        REQUIRE(inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host) != NULL, "inet_ntop failed");
        port = ntohs(v6->sin6_port);
        snprintf(line, sizeof line, "PROXY TCP6 %s ::1 %u 80\r\n", host, port);
        v2[13] = 0x21;
        v2[14] = 0;
        v2[15] = 36;
        memcpy(v2 + 16, &v6->sin6_addr, 16);
        memset(v2 + 32, 0, 16);
        memcpy(v2 + 48, &v6->sin6_port, 2);
        memset(v2 + 50, 0, 2);
        v2_length = 52;
    }
    size_t line_length = strlen(line);
    unsigned char *buffer = malloc(line_length > v2_length ? line_length : v2_length);
    REQUIRE(buffer != NULL, "out of memory");
    struct proxy_header again;
    enum proxy_result result =
        parse_at_end(buffer, line_length, (const unsigned char *)line, line_length, &again);
    REQUIRE(result == PROXY_COMPLETE && again.consumed == line_length && again.version == 1,
            "the address written back as a v1 line does not parse");
    REQUIRE(same_address(&again, header),
            "the address written back as a v1 line parses to another address");
    result = parse_at_end(buffer, v2_length, v2, v2_length, &again);
    REQUIRE(result == PROXY_COMPLETE && again.consumed == v2_length && again.version == 2,
            "the address written back as a v2 header does not parse");
    REQUIRE(same_address(&again, header),
            "the address written back as a v2 header parses to another address");
    free(buffer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *input = malloc(size ? size : 1);
    REQUIRE(input != NULL, "out of memory");
    struct proxy_header header, poisoned;
    memset(&header, 0x00, sizeof header);
    memset(&poisoned, 0xa5, sizeof poisoned);
    enum proxy_result result = parse_at_end(input, size, data, size, &header);
    REQUIRE(result == PROXY_INCOMPLETE || result == PROXY_COMPLETE || result == PROXY_ERROR,
            "an unknown result");
    enum proxy_result again = parse_at_end(input, size, data, size, &poisoned);
    REQUIRE(same_answer(result, &header, again, &poisoned),
            "the answer depends on the output structure's old bytes");
    if (result == PROXY_COMPLETE)
        check_complete(input, size, &header);
    if (result == PROXY_INCOMPLETE)
        REQUIRE(size < PROXY_V2_MAX, "still incomplete past the longest header");
    check_splits(input, size, result, &header);
    if (result == PROXY_COMPLETE)
        check_reserialised(&header);
    free(input);
    return 0;
}

#include "afl_persistent_main.h" /* AFL++ persistent mode; nothing under libFuzzer */
