/* test_cidr.c: unit tests of src/http/cidr.c (include/http/cidr.h).
 *
 * What it does: parses valid ranges of both families (with and without a
 * prefix, prefix 0 and the full length), refuses malformed ones (no address,
 * prefix past the family's length, signs, spaces, leading zeros, host bits set
 * beyond the prefix), and checks membership at the edges of a range, across
 * families, and for IPv4-mapped IPv6 addresses against IPv4 ranges.
 * Contract: only include/http/cidr.h is used. Must not: resolve names. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "http/cidr.h"
#include "unit.h"
#include "unit_suites.h"

static struct sockaddr_storage address(const char *text)
{
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    return storage;
}

static bool contains(const char *range_text, const char *address_text)
{
    struct cidr range;
    if (!CHECK(cidr_parse(range_text, &range) == 0, "cidr_parse(\"%s\") accepts it", range_text))
        return false;
    struct sockaddr_storage storage = address(address_text);
    return cidr_contains(&range, (const struct sockaddr *)&storage);
}

void test_cidr(void)
{
    static const char *const VALID[] = {"203.0.113.0/24", "203.0.113.7",     "0.0.0.0/0",
                                        "10.0.0.0/8",     "2001:db8::/32",   "::1",
                                        "::/0",           "2001:db8::1/128", "198.51.100.128/25"};
    static const char *const INVALID[] = {"",
                                          "/24",
                                          "203.0.113.0/33",
                                          "2001:db8::/129",
                                          "203.0.113.0/-1",
                                          "203.0.113.0/+8",
                                          "203.0.113.0/ 8",
                                          "203.0.113.0/08",
                                          "203.0.113.0/",
                                          "203.0.113.7/24",
                                          "2001:db8::1/32",
                                          "localhost",
                                          "203.0.113.0/24x",
                                          "1.2.3",
                                          "1.2.3.4.5"};
    struct cidr range;
    for (size_t i = 0; i < sizeof VALID / sizeof VALID[0]; i++)
        CHECK(cidr_parse(VALID[i], &range) == 0, "cidr_parse(\"%s\") accepts it", VALID[i]);
    for (size_t i = 0; i < sizeof INVALID / sizeof INVALID[0]; i++)
        CHECK(cidr_parse(INVALID[i], &range) != 0, "cidr_parse(\"%s\") refuses it", INVALID[i]);

    CHECK(contains("203.0.113.0/24", "203.0.113.0"), "first address of a /24");
    CHECK(contains("203.0.113.0/24", "203.0.113.255"), "last address of a /24");
    CHECK(!contains("203.0.113.0/24", "203.0.114.0"), "the next /24 is outside");
    CHECK(contains("198.51.100.128/25", "198.51.100.200"), "inside a /25");
    CHECK(!contains("198.51.100.128/25", "198.51.100.127"), "just below a /25");
    CHECK(contains("203.0.113.7", "203.0.113.7") && !contains("203.0.113.7", "203.0.113.8"),
          "a bare address is /32");
    CHECK(contains("0.0.0.0/0", "192.0.2.1"), "/0 holds every IPv4 address");
    CHECK(contains("2001:db8::/32", "2001:db8:ffff::1"), "inside an IPv6 /32");
    CHECK(!contains("2001:db8::/32", "2001:db9::1"), "outside an IPv6 /32");
    CHECK(contains("203.0.113.0/24", "::ffff:203.0.113.9"),
          "an IPv4-mapped address matches its IPv4 range");
    CHECK(!contains("203.0.113.0/24", "2001:db8::1"),
          "an IPv6 address never matches an IPv4 range");
    CHECK(!contains("::/0", "192.0.2.1"), "an IPv4 address never matches an IPv6 range");
}
