/* test_listener.c: unit tests of listener_parse and the address formatters in
 * src/process/listener.c (include/process/listener.h); nothing is bound.
 *
 * What it does: parses valid IPv4 and bracketed IPv6 addresses with ports 0 and
 * 65535 and compares the socket address with one built here by inet_pton;
 * refuses addresses without a port, with a port past 65535 or not decimal,
 * host names, IPv6 without brackets, IPv4 in brackets and the empty string,
 * each with a one-line reason naming the text; formats parsed addresses back
 * ("[2001:DB8:0::1]:80" becomes "[2001:db8::1]:80") and parses the result to
 * the same address; checks listener_format_host, an unknown family and small
 * buffers; compares listener_format_host's text with inet_ntop's for edge
 * addresses of both families (for IPv6 zero runs of every length and place,
 * ties, the dotted forms) at every buffer size, and for 20,000 random IPv4 and
 * 50,000 random IPv6 addresses.
 *
 * Contract: texts are NUL-terminated heap copies of exactly their length.
 * Must not: open, bind or connect a socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/listener.h"
#include "unit.h"
#include "unit_suites.h"

static int parse_copy(const char *text, struct listener *listener, char *error, size_t error_size)
{
    size_t length = strlen(text);
    char *copy = unit_exact_copy(text, length + 1);
    memset(listener, 0x5A, sizeof *listener);
    int result = listener_parse(copy, listener, error, error_size);
    free(copy);
    return result;
}

static bool same_address(const struct listener *listener, int family, const char *host,
                         uint16_t port)
{
    if (listener->address.ss_family != family)
        return false;
    if (family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&listener->address;
        struct in_addr expected;
        return inet_pton(AF_INET, host, &expected) == 1 && v4->sin_addr.s_addr == expected.s_addr &&
               v4->sin_port == htons(port) &&
               listener->address_length == sizeof(struct sockaddr_in);
    }
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&listener->address;
    struct in6_addr expected;
    return inet_pton(AF_INET6, host, &expected) == 1 &&
           memcmp(&v6->sin6_addr, &expected, sizeof expected) == 0 &&
           v6->sin6_port == htons(port) && v6->sin6_flowinfo == 0 && v6->sin6_scope_id == 0 &&
           listener->address_length == sizeof(struct sockaddr_in6);
}

static void test_valid(void)
{
    static const struct {
        const char *text;
        int family;
        const char *host; /* for inet_pton */
        uint16_t port;
        const char *formatted; /* listener_format_address */
        const char *host_text; /* listener_format_host */
    } VALID[] = {
        {"127.0.0.1:8080", AF_INET, "127.0.0.1", 8080, "127.0.0.1:8080", "127.0.0.1"},
        {"0.0.0.0:0", AF_INET, "0.0.0.0", 0, "0.0.0.0:0", "0.0.0.0"},
        {"255.255.255.255:65535", AF_INET, "255.255.255.255", 65535, "255.255.255.255:65535",
         "255.255.255.255"},
        {"203.0.113.7:80", AF_INET, "203.0.113.7", 80, "203.0.113.7:80", "203.0.113.7"},
        {"[::1]:8080", AF_INET6, "::1", 8080, "[::1]:8080", "::1"},
        {"[::]:0", AF_INET6, "::", 0, "[::]:0", "::"},
        {"[2001:db8::1]:65535", AF_INET6, "2001:db8::1", 65535, "[2001:db8::1]:65535",
         "2001:db8::1"},
        {"[2001:DB8:0:0::1]:80", AF_INET6, "2001:db8::1", 80, "[2001:db8::1]:80", "2001:db8::1"},
        {"[::ffff:127.0.0.1]:443", AF_INET6, "::ffff:127.0.0.1", 443, "[::ffff:127.0.0.1]:443",
         "::ffff:127.0.0.1"},
        {"[fe80::1:2:3:4]:1", AF_INET6, "fe80::1:2:3:4", 1, "[fe80::1:2:3:4]:1", "fe80::1:2:3:4"},
    };
    for (size_t i = 0; i < sizeof VALID / sizeof VALID[0]; i++) {
        struct listener listener, again;
        char error[256], text[LISTENER_NAME_MAX], host[LISTENER_NAME_MAX];
        if (!CHECK_INT(parse_copy(VALID[i].text, &listener, error, sizeof error), 0,
                       "listener_parse(\"%s\")", VALID[i].text))
            continue;
        CHECK(same_address(&listener, VALID[i].family, VALID[i].host, VALID[i].port),
              "listener_parse(\"%s\"): family, address, port and length", VALID[i].text);
        CHECK_INT(listener.fd, -1, "listener_parse(\"%s\") opens nothing", VALID[i].text);
        listener_format_address((const struct sockaddr *)&listener.address, text, sizeof text);
        CHECK_STR(text, VALID[i].formatted, "listener_format_address of \"%s\"", VALID[i].text);
        listener_format_host((const struct sockaddr *)&listener.address, host, sizeof host);
        CHECK_STR(host, VALID[i].host_text, "listener_format_host of \"%s\"", VALID[i].text);
        /* Round trip: the formatted text parses to the same address. */
        if (CHECK_INT(parse_copy(text, &again, error, sizeof error), 0,
                      "listener_parse(\"%s\") (formatted)", text))
            CHECK(same_address(&again, VALID[i].family, VALID[i].host, VALID[i].port),
                  "\"%s\" and its formatted form \"%s\" are the same address", VALID[i].text, text);
    }
}

static void test_refused(void)
{
    static const char *const REFUSED[] = {
        "",
        ":80",
        "127.0.0.1",       /* no port */
        "127.0.0.1:",      /* empty port */
        "127.0.0.1:65536", /* past 65535 */
        "127.0.0.1:99999",
        "127.0.0.1:123456",
        "127.0.0.1:4294967377", /* 65617 modulo 2^32 would wrap to a valid port */
        "127.0.0.1:-1",
        "127.0.0.1:+80",
        "127.0.0.1: 80",
        "127.0.0.1:80 ",
        "127.0.0.1:8o",
        "127.0.0.1:0x50",
        " 127.0.0.1:80",
        "localhost:80", /* host names are not resolved */
        "example.com:443",
        "*:80",
        "1.2.3:80",
        "1.2.3.4.5:80",
        "256.1.1.1:80",
        "1.2.3.4:80:80",
        "::1:80", /* IPv6 without brackets */
        "::1",
        "2001:db8::1:443",
        "[::1]", /* no port */
        "[::1]:",
        "[::1]:65536",
        "[::1:80",
        "::1]:80",
        "[]:80",
        "[[::1]]:80",
        "[127.0.0.1]:80", /* IPv4 in brackets */
        "[::1] :80",
        "[fe80::1%lo]:80", /* zone indexes are not accepted */
        "[::g]:80",
        "[1:2:3:4:5:6:7:8:9]:80",
    };
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        struct listener listener;
        char error[256];
        memset(error, '#', sizeof error);
        error[sizeof error - 1] = '\0';
        if (!CHECK_INT(parse_copy(REFUSED[i], &listener, error, sizeof error), -1,
                       "listener_parse(\"%s\") must fail", REFUSED[i]))
            continue;
        CHECK(error[0] != '#' && error[0] != '\0' && strchr(error, '\n') == NULL,
              "listener_parse(\"%s\"): a one-line reason, got \"%s\"", REFUSED[i], error);
        char quoted[128];
        snprintf(quoted, sizeof quoted, "'%s'", REFUSED[i]);
        CHECK(strstr(error, quoted) != NULL,
              "listener_parse(\"%s\"): the reason \"%s\" names the text", REFUSED[i], error);
    }

    /* A text far longer than any address: refused, and the error buffer is not overrun. */
    char long_text[600];
    memset(long_text, '1', sizeof long_text - 4);
    memcpy(long_text + sizeof long_text - 4, ":80", 4);
    struct listener listener;
    char *small = malloc(16);
    if (!small) {
        fprintf(stderr, "test_unit: out of memory\n");
        exit(2);
    }
    CHECK_INT(parse_copy(long_text, &listener, small, 16), -1, "listener_parse of a 599-byte text");
    CHECK(memchr(small, '\0', 16) != NULL, "a 16-byte error buffer is terminated");
    long_text[0] = '[';
    memcpy(long_text + sizeof long_text - 5, "]:80", 5);
    CHECK_INT(parse_copy(long_text, &listener, small, 16), -1,
              "listener_parse of a 599-byte bracketed text");
    free(small);
}

static void test_formatting_edges(void)
{
    struct sockaddr_storage unspecified;
    memset(&unspecified, 0, sizeof unspecified);
    unspecified.ss_family = AF_UNSPEC;
    char text[64];
    listener_format_address((const struct sockaddr *)&unspecified, text, sizeof text);
    CHECK_STR(text, "unknown", "listener_format_address of an AF_UNSPEC address");
    listener_format_host((const struct sockaddr *)&unspecified, text, sizeof text);
    CHECK_STR(text, "unknown", "listener_format_host of an AF_UNSPEC address");

    struct listener listener;
    char error[256];
    if (!CHECK_INT(parse_copy("[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535", &listener, error,
                              sizeof error),
                   0, "the longest IPv6 listen address"))
        return;
    char name[LISTENER_NAME_MAX];
    listener_format_address((const struct sockaddr *)&listener.address, name, sizeof name);
    CHECK_STR(name, "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535",
              "a full IPv6 address fits LISTENER_NAME_MAX");
    char small[12];
    memset(small, '#', sizeof small);
    listener_format_address((const struct sockaddr *)&listener.address, small, sizeof small);
    CHECK_STR(small, "[2001:db8:a", "listener_format_address into 12 bytes is cut and terminated");
    memset(small, '#', sizeof small);
    listener_format_host((const struct sockaddr *)&listener.address, small, sizeof small);
    CHECK(memchr(small, '\0', sizeof small) != NULL && strchr(small, ':') == NULL,
          "listener_format_host into 12 bytes: terminated, no partial address, got \"%s\"", small);
}

/* listener_format_host of addr, into a buffer of size bytes (a heap copy of
 * exactly that size, so AddressSanitizer sees a write past it). */
static void format_host_into(const struct sockaddr_storage *addr, size_t size, char *out,
                             size_t out_size)
{
    char *exact = malloc(size); /* size 0 too: AddressSanitizer flags any byte written there */
    if (!exact && size)
        abort();
    listener_format_host((const struct sockaddr *)addr, exact, size);
    snprintf(out, out_size, "%.*s", (int)(size ? strnlen(exact, size) : 0), exact);
    free(exact);
}

/* Client addresses are written by hand; the text, and whether it fits, must be
 * inet_ntop's (family AF_INET: 4 bytes, AF_INET6: 16). */
static void check_host_text(int family, const unsigned char *bytes, size_t size)
{
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    storage.ss_family = (sa_family_t)family;
    if (family == AF_INET)
        memcpy(&((struct sockaddr_in *)&storage)->sin_addr, bytes, 4);
    else
        memcpy(((struct sockaddr_in6 *)&storage)->sin6_addr.s6_addr, bytes, 16);
    char expected[INET6_ADDRSTRLEN + 16];
    if (!inet_ntop(family, bytes, expected, (socklen_t)size))
        snprintf(expected, sizeof expected, "%.*s", size ? (int)size - 1 : 0, "unknown");
    char got[INET6_ADDRSTRLEN + 16];
    format_host_into(&storage, size, got, sizeof got);
    char shown[INET6_ADDRSTRLEN];
    inet_ntop(family, bytes, shown, sizeof shown);
    CHECK_STR(got, expected, "listener_format_host of %s into %zu bytes", shown, size);
}

/* Each edge address of family, at every buffer size from 0 to two past the longest text. */
static void check_edges(int family, const char *const *edges, size_t count)
{
    size_t largest = family == AF_INET ? INET_ADDRSTRLEN : INET6_ADDRSTRLEN;
    for (size_t i = 0; i < count; i++) {
        unsigned char bytes[16];
        if (!CHECK(inet_pton(family, edges[i], bytes) == 1, "inet_pton(\"%s\")", edges[i]))
            continue;
        for (size_t size = 0; size <= largest + 2; size++)
            check_host_text(family, bytes, size);
    }
}

static void test_ipv4_text(void)
{
    static const char *const EDGES[] = {"0.0.0.0",       "255.255.255.255", "1.2.3.4",
                                        "10.0.0.1",      "100.200.250.9",   "127.0.0.1",
                                        "192.168.100.10"};
    check_edges(AF_INET, EDGES, sizeof EDGES / sizeof EDGES[0]);
    uint64_t state = unit_random_state(0x1b4u);
    for (int round = 0; round < 20000; round++) {
        unsigned char bytes[4];
        for (size_t b = 0; b < 4; b++)
            bytes[b] =
                (unsigned char)(unit_random_below(&state, 3) == 0 ? unit_random_below(&state, 10)
                                                                  : unit_random(&state));
        size_t size = round % 10 == 0 ? (size_t)unit_random_below(&state, INET_ADDRSTRLEN + 1) : 64;
        check_host_text(AF_INET, bytes, size);
    }
}

static void test_ipv6_text(void)
{
    static const char *const EDGES[] = {"::",
                                        "::1",
                                        "1::",
                                        "1::1",
                                        "::ffff:1.2.3.4",
                                        "::ffff:0:0",
                                        "::ffff:0.0.0.0",
                                        "::1.2.3.4",
                                        "::0.0.1.0",
                                        "::1:2",
                                        "::ffff",
                                        "::ffff:1",
                                        "::fffe:1.2.3.4",
                                        "0:0:0:0:1:ffff:1.2.3.4",
                                        "64:ff9b::1.2.3.4",
                                        "1:0:0:2:0:0:3:4",
                                        "1:0:0:2::3",
                                        "1:0:2:3:4:5:6:7",
                                        "1:2:3:4:5:6:7:0",
                                        "0:1:2:3:4:5:6:7",
                                        "1::2:0:0:3",
                                        "2001:db8::1",
                                        "2001:db8:0:0:1:0:0:1",
                                        "fe80::1:2:3:4",
                                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                                        "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
                                        "a:b:c:d:e:f:0:0",
                                        "0:0:a:b:c:d:e:f",
                                        "a:0:0:b:0:0:0:c"};
    check_edges(AF_INET6, EDGES, sizeof EDGES / sizeof EDGES[0]);
    /* Random addresses, each group zero half the time (so runs of every length
     * and position occur), else 0xffff, a small value or anything. */
    uint64_t state = unit_random_state(0x1b6u);
    for (int round = 0; round < 50000; round++) {
        unsigned char bytes[16];
        for (size_t g = 0; g < 8; g++) {
            uint64_t kind = unit_random_below(&state, 8), value = unit_random(&state) & 0xffff;
            unsigned group = kind < 4    ? 0
                             : kind == 4 ? 0xffff
                             : kind == 5 ? (unsigned)(value & 0xf)
                                         : (unsigned)value;
            bytes[2 * g] = (unsigned char)(group >> 8);
            bytes[2 * g + 1] = (unsigned char)group;
        }
        size_t size =
            round % 10 == 0 ? (size_t)unit_random_below(&state, INET6_ADDRSTRLEN + 1) : 64;
        check_host_text(AF_INET6, bytes, size);
    }
}

void test_listener(void)
{
    test_valid();
    test_refused();
    test_formatting_edges();
    test_ipv4_text();
    test_ipv6_text();
}
