/* test_site_listen.c: unit tests of --listen's shorthands (listener_parse_all in
 * src/process/listener.c) and of --user UID:GID (src/jail/privileges.c).
 *
 * What it does: localhost:PORT, :PORT and PORT each give two listeners, IPv4
 * first, with the addresses and ports compared to ones built here by inet_pton,
 * their options on both; the other forms still give one (and the cases
 * tests/unit/test_listener.c holds for listener_parse stay as they are); bad
 * ports, misplaced options, unresolved names and a full table are refused with
 * a one-line reason quoting the text. --user: privileges_parse_numeric_user on
 * written cases (ids 0 and 4294967295 refused, names left to the lookup), and
 * privileges_resolve_user for numeric ids (no lookup: an id no account has is
 * fine; 0 refused; as an ordinary user only its own ids).
 * Must not: bind or open a socket, or change this process's ids. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail/privileges.h"
#include "process/listener.h"
#include "unit.h"
#include "unit_suites.h"

static bool is_address(const struct listener *listener, int family, const char *host, uint16_t port)
{
    if (listener->kind != LISTENER_TCP || listener->fd != -1 ||
        listener->address.ss_family != family)
        return false;
    if (family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&listener->address;
        struct in_addr expected;
        return inet_pton(AF_INET, host, &expected) == 1 && v4->sin_addr.s_addr == expected.s_addr &&
               v4->sin_port == htons(port) && listener->address_length == sizeof *v4;
    }
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&listener->address;
    struct in6_addr expected;
    return inet_pton(AF_INET6, host, &expected) == 1 &&
           memcmp(&v6->sin6_addr, &expected, sizeof expected) == 0 &&
           v6->sin6_port == htons(port) && listener->address_length == sizeof *v6;
}

static int parse_all(const char *text, struct listener *listeners, size_t capacity, char *error,
                     size_t error_size)
{
    char *copy = unit_string_copy(text, strlen(text));
    memset(listeners, 0x5a, capacity * sizeof *listeners);
    memset(error, '#', error_size);
    error[error_size - 1] = '\0';
    int count = listener_parse_all(copy, listeners, capacity, error, error_size);
    free(copy);
    return count;
}

void test_site_listen(void)
{
    static const struct {
        const char *text, *v4, *v6;
        uint16_t port;
        bool proxy, reuseport;
    } PAIRS[] = {
        {"localhost:8080", "127.0.0.1", "::1", 8080, false, false},
        {"localhost:0", "127.0.0.1", "::1", 0, false, false},
        {"localhost:65535", "127.0.0.1", "::1", 65535, false, false},
        {":8080", "0.0.0.0", "::", 8080, false, false},
        {":0", "0.0.0.0", "::", 0, false, false},
        {"8080", "0.0.0.0", "::", 8080, false, false},
        {"80", "0.0.0.0", "::", 80, false, false},
        {"0", "0.0.0.0", "::", 0, false, false},
        {"localhost:80,proxy", "127.0.0.1", "::1", 80, true, false},
        {":443,reuseport,proxy", "0.0.0.0", "::", 443, true, true},
        {"8080,reuseport", "0.0.0.0", "::", 8080, false, true},
    };
    struct listener listeners[4];
    char error[256];
    for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++) {
        int count = parse_all(PAIRS[i].text, listeners, 4, error, sizeof error);
        if (!CHECK(count == 2, "'%s': two listeners, got %d (%s)", PAIRS[i].text, count, error))
            continue;
        CHECK(is_address(&listeners[0], AF_INET, PAIRS[i].v4, PAIRS[i].port), "'%s': first %s:%u",
              PAIRS[i].text, PAIRS[i].v4, PAIRS[i].port);
        CHECK(is_address(&listeners[1], AF_INET6, PAIRS[i].v6, PAIRS[i].port),
              "'%s': second [%s]:%u", PAIRS[i].text, PAIRS[i].v6, PAIRS[i].port);
        for (int j = 0; j < 2; j++)
            CHECK(listeners[j].proxy == PAIRS[i].proxy &&
                      listeners[j].reuseport == PAIRS[i].reuseport,
                  "'%s': the options on listener %d", PAIRS[i].text, j);
        char name[LISTENER_NAME_MAX];
        listener_format_address((const struct sockaddr *)&listeners[1].address, name, sizeof name);
        char wanted[LISTENER_NAME_MAX];
        snprintf(wanted, sizeof wanted, "[%s]:%u", PAIRS[i].v6, PAIRS[i].port);
        CHECK_STR(name, wanted, "'%s': the IPv6 socket's name", PAIRS[i].text);
    }
    static const struct {
        const char *text;
        int family;
        const char *host;
        uint16_t port;
    } SINGLE[] = {
        {"127.0.0.1:80", AF_INET, "127.0.0.1", 80},
        {"0.0.0.0:0", AF_INET, "0.0.0.0", 0},
        {"[::1]:80", AF_INET6, "::1", 80},
        {"[::]:8080,proxy", AF_INET6, "::", 8080},
    };
    for (size_t i = 0; i < sizeof SINGLE / sizeof SINGLE[0]; i++) {
        int count = parse_all(SINGLE[i].text, listeners, 4, error, sizeof error);
        CHECK(count == 1 &&
                  is_address(&listeners[0], SINGLE[i].family, SINGLE[i].host, SINGLE[i].port),
              "'%s': one listener, got %d", SINGLE[i].text, count);
    }
    CHECK(parse_all("unix:/run/prong.sock,mode=0600", listeners, 4, error, sizeof error) == 1 &&
              listeners[0].kind == LISTENER_UNIX && listeners[0].mode == 0600,
          "unix: one listener");
    CHECK(parse_all("systemd:web", listeners, 4, error, sizeof error) == 1 &&
              listeners[0].kind == LISTENER_SYSTEMD,
          "systemd: one listener");
    static const char *const REFUSED[] = {
        "localhost",
        "localhost:",
        "localhost:65536",
        "localhost:-1",
        "localhost:+80",
        "localhost:0x50",
        "localhost: 80",
        ":",
        ":x",
        ":65536",
        "8o",
        "65536",
        "99999",
        "123456",
        "-80",
        "localhost:80,mode=0600",
        ":80,bogus",
        "8080,owner=root",
        "LOCALHOST:80",
        "localhost.:80",
        "localhost6:80",
        "ip6-localhost:80",
        "*:80",
        "localhost:80:80",
        " 8080",
        "8080 ",
        "",
        ",proxy",
    };
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        if (!CHECK(parse_all(REFUSED[i], listeners, 4, error, sizeof error) == -1, "'%s' refused",
                   REFUSED[i]))
            continue;
        char quoted[96];
        snprintf(quoted, sizeof quoted, "--listen '%s'", REFUSED[i]);
        CHECK(strstr(error, quoted) != NULL && strchr(error, '\n') == NULL,
              "'%s': one line naming it: %s", REFUSED[i], error);
    }
    CHECK(parse_all("localhost:80", listeners, 1, error, sizeof error) == -1 &&
              strstr(error, "too many listening sockets") != NULL,
          "a shorthand needs room for two: %s", error);
    CHECK(parse_all("127.0.0.1:80", listeners, 1, error, sizeof error) == 1,
          "an address needs room for one");
    CHECK(parse_all("127.0.0.1:80", listeners, 0, error, sizeof error) == -1, "no room at all: %s",
          error);
}

/* ---------------------------------------------------------------- --user */

void test_site_user(void)
{
    static const struct {
        const char *text;
        int result;
        uid_t uid;
        gid_t gid;
    } CASES[] = {
        {"1234:1234", 1, 1234, 1234},
        {"1:1", 1, 1, 1},
        {"65534:65534", 1, 65534, 65534},
        {"4294967294:4294967294", 1, 4294967294u, 4294967294u},
        {"01:002", 1, 1, 2},
        {"1000:100", 1, 1000, 100},
        {"0:5", -1, 0, 0},
        {"5:0", -1, 0, 0},
        {"0:0", -1, 0, 0},
        {"00:5", -1, 0, 0},
        {"4294967295:1", -1, 0, 0},
        {"1:4294967295", -1, 0, 0},
        {"9999999999:1", -1, 0, 0},
        {"99999999999:1", 0, 0, 0},
        {"a:b", 0, 0, 0},
        {"12:", 0, 0, 0},
        {":12", 0, 0, 0},
        {"12", 0, 0, 0},
        {"12:34:56", 0, 0, 0},
        {"+1:2", 0, 0, 0},
        {" 1:2", 0, 0, 0},
        {"1 :2", 0, 0, 0},
        {"-1:2", 0, 0, 0},
        {"nobody", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *copy = unit_string_copy(CASES[i].text, strlen(CASES[i].text));
        uid_t uid = 77;
        gid_t gid = 77;
        int result = privileges_parse_numeric_user(copy, &uid, &gid);
        CHECK(result == CASES[i].result, "privileges_parse_numeric_user('%s'): %d, expected %d",
              CASES[i].text, result, CASES[i].result);
        if (CASES[i].result == 1)
            CHECK(uid == CASES[i].uid && gid == CASES[i].gid, "'%s': ids %u:%u", CASES[i].text,
                  (unsigned)uid, (unsigned)gid);
        else
            CHECK(uid == 77 && gid == 77, "'%s': ids left alone", CASES[i].text);
        free(copy);
    }

    struct run_user user;
    char error[256];
    if (geteuid() == 0) {
        CHECK(privileges_resolve_user("4242:4343", &user, error, sizeof error) == 0 &&
                  user.uid == 4242 && user.gid == 4343 && strcmp(user.name, "4242:4343") == 0,
              "--user 4242:4343 as root, an id no account has: %s", error);
    } else {
        char own[64];
        snprintf(own, sizeof own, "%u:%u", (unsigned)geteuid(), (unsigned)getegid());
        CHECK(privileges_resolve_user(own, &user, error, sizeof error) == 0 &&
                  user.uid == geteuid(),
              "--user with one's own ids: %s", error);
        CHECK(privileges_resolve_user("4242:4343", &user, error, sizeof error) == -1 &&
                  strstr(error, "needs root") != NULL,
              "--user with other ids as an ordinary user: %s", error);
    }
    CHECK(privileges_resolve_user("x:y", &user, error, sizeof error) == -1 &&
              strstr(error, "unknown user 'x:y'") != NULL,
          "a text not starting with a digit is a name: %s", error);
    static const char *const BAD[] = {"0:0", "0:1000", "1000:0", "12:x", "1:2:3", "4294967295:5"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "--user %s", BAD[i]);
        CHECK(privileges_resolve_user(BAD[i], &user, error, sizeof error) == -1 &&
                  strstr(error, quoted) != NULL,
              "--user %s refused, naming it: %s", BAD[i], error);
    }
}
