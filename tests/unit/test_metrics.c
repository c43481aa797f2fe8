/* test_metrics.c: unit tests of src/process/metrics.c and metrics_socket_parse
 * (include/process/metrics.h, include/process/metrics_socket.h); nothing is bound.
 *
 * What it does: formats a snapshot whose every counter holds a distinct value
 * (one of them UINT64_MAX) and reads the answer back as a scraper would: the
 * HTTP/1.0 head, its Content-Type and a Content-Length equal to the body's
 * length; every body line a "# HELP", a "# TYPE" or a sample; each sample after
 * a TYPE line of its own name, every name matching [a-zA-Z_:][a-zA-Z0-9_:]*,
 * counters ending in _total, every value decimal, and the values those of the
 * snapshot (checked against snprintf, the independent reference); then every
 * buffer size short of the answer gives 0 and writes nothing past the buffer
 * (exact-size heap copies under ASan). --metrics addresses: loopback and unix
 * accepted, every other address, the shorthands, systemd: and the proxy and
 * reuseport options refused with one line naming --metrics.
 * Must not: open a socket or a file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/metrics.h"
#include "process/metrics_socket.h"
#include "unit.h"
#include "unit_suites.h"

static bool name_is_valid(const char *name, size_t length)
{
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static struct metrics_snapshot sample_snapshot(void)
{
    struct metrics_snapshot s = {.accepted = 101,
                                 .processes = 102,
                                 .requests = 103,
                                 .bytes_sent = UINT64_MAX,
                                 .evictions = 104,
                                 .log_drops = 105,
                                 .scrapes = 106,
                                 .open = 107,
                                 .pending = 108,
                                 .max_children = 109};
    for (size_t i = 0; i < METRICS_STATUS_CLASSES; i++)
        s.responses[i] = 200 + i;
    for (size_t i = 0; i < REFUSAL_COUNT; i++)
        s.refusals[i] = 300 + i;
    for (size_t i = 0; i < END_COUNT; i++)
        s.ends[i] = 400 + i;
    for (size_t i = 0; i <= PHASE_COUNT; i++)
        s.phases[i] = 500 + (uint32_t)i;
    return s;
}

/* Every line of the body: HELP, TYPE, or a sample of the metric last TYPEd. */
static void check_lines(const char *body, size_t length)
{
    char typed[128] = "";
    bool counter = false;
    size_t samples = 0;
    for (size_t start = 0; start < length;) {
        const char *line = body + start;
        const char *end = memchr(line, '\n', length - start);
        if (!CHECK(end != NULL, "the body ends with a line feed"))
            return;
        size_t line_length = (size_t)(end - line);
        start += line_length + 1;
        if (line_length > 7 && memcmp(line, "# HELP ", 7) == 0)
            continue;
        if (line_length > 7 && memcmp(line, "# TYPE ", 7) == 0) {
            const char *space = memchr(line + 7, ' ', line_length - 7);
            if (!CHECK(space != NULL, "a TYPE line has a type: %.*s", (int)line_length, line))
                continue;
            size_t name_length = (size_t)(space - line - 7);
            CHECK(name_is_valid(line + 7, name_length), "a valid name: %.*s", (int)line_length,
                  line);
            snprintf(typed, sizeof typed, "%.*s", (int)name_length, line + 7);
            size_t type_length = (size_t)(end - space - 1);
            counter = type_length == 7 && memcmp(space + 1, "counter", 7) == 0;
            CHECK(counter || (type_length == 5 && memcmp(space + 1, "gauge", 5) == 0),
                  "counter or gauge: %.*s", (int)line_length, line);
            if (counter)
                CHECK(name_length > 6 && memcmp(line + 7 + name_length - 6, "_total", 6) == 0,
                      "a counter ends in _total: %s", typed);
            continue;
        }
        CHECK(line[0] != '#', "no other comment: %.*s", (int)line_length, line);
        size_t name_length = strcspn(line, "{ ");
        CHECK(name_length == strlen(typed) && memcmp(line, typed, name_length) == 0,
              "a sample follows its own TYPE line: %.*s (last TYPE %s)", (int)line_length, line,
              typed);
        const char *value = memrchr(line, ' ', line_length);
        if (!CHECK(value != NULL, "a sample has a value: %.*s", (int)line_length, line))
            continue;
        size_t digits = (size_t)(end - value - 1);
        CHECK(digits > 0 && strspn(value + 1, "0123456789") >= digits, "a decimal value: %.*s",
              (int)line_length, line);
        samples++;
    }
    CHECK(samples > 30, "%zu samples", samples);
}

static void check_sample(const char *body, const char *line)
{
    char wanted[160];
    snprintf(wanted, sizeof wanted, "\n%s\n", line);
    CHECK(strstr(body, wanted) != NULL, "the body holds the line %s", line);
}

static void test_format(void)
{
    struct metrics_snapshot s = sample_snapshot();
    char *out = malloc(METRICS_TEXT_MAX);
    if (!CHECK(out != NULL, "malloc"))
        return;
    size_t length = metrics_format(&s, out, METRICS_TEXT_MAX);
    if (!CHECK(length > 0 && length < METRICS_TEXT_MAX, "formatted: %zu bytes", length)) {
        free(out);
        return;
    }
    char *answer = unit_exact_copy(out, length + 1);
    answer[length] = '\0';
    const char *head_end = strstr(answer, "\r\n\r\n");
    CHECK(strncmp(answer, "HTTP/1.0 200 OK\r\n", 17) == 0, "an HTTP/1.0 200 head");
    CHECK(strstr(answer, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL,
          "the exposition format's Content-Type");
    if (CHECK(head_end != NULL, "the head ends")) {
        const char *body = head_end + 4;
        size_t body_length = length - (size_t)(body - answer);
        char wanted[64];
        snprintf(wanted, sizeof wanted, "\r\nContent-Length: %zu\r\n", body_length);
        CHECK(strstr(answer, wanted) != NULL, "Content-Length is the body's length (%zu)",
              body_length);
        check_lines(body, body_length);
        char line[160];
        snprintf(line, sizeof line, "prong_sent_bytes_total %" PRIu64, UINT64_MAX);
        check_sample(body - 1, line);
        check_sample(body - 1, "prong_connections_accepted_total 101");
        check_sample(body - 1, "prong_requests_total 103");
        check_sample(body - 1, "prong_responses_total{code=\"4xx\"} 203");
        check_sample(body - 1, "prong_refusals_total{cause=\"per-client-cap\"} 302");
        check_sample(body - 1, "prong_refusals_total{cause=\"bad-proxy-header\"} 306");
        check_sample(body - 1, "prong_evictions_total 104");
        check_sample(body - 1, "prong_connection_process_ends_total{cause=\"killed\"} 400");
        check_sample(body - 1, "prong_connection_process_ends_total{cause=\"normal\"} 405");
        check_sample(body - 1, "prong_connection_processes{phase=\"waiting\"} 502");
        check_sample(body - 1, "prong_connection_processes{phase=\"unknown\"} 507");
        check_sample(body - 1, "prong_connections_open 107");
        check_sample(body - 1, "prong_connection_processes_max 109");
        CHECK(strstr(body, "phase=\"free\"") == NULL, "free slots are no processes");
    }
    /* Every shorter buffer: nothing, and nothing written past it. */
    for (size_t size = 0; size < length; size++) {
        char *small = malloc(size ? size : 1);
        if (!small)
            break;
        size_t got = metrics_format(&s, small, size);
        if (got != 0)
            CHECK(got == 0, "a %zu-byte buffer cannot hold %zu bytes (got %zu)", size, length, got);
        free(small);
    }
    unit_pass(1);
    char *exact = malloc(length);
    if (exact) {
        CHECK(metrics_format(&s, exact, length) == length && memcmp(exact, answer, length) == 0,
              "a buffer of exactly its length holds the answer");
        free(exact);
    }
    CHECK_STR(metrics_refusal_name(REFUSAL_SERVER_FULL), "server-full", "the 503's reason code");
    CHECK_STR(metrics_refusal_name(REFUSAL_COUNT), "unknown", "out of range");
    free(answer);
    free(out);
}

static void test_addresses(void)
{
    static const char *const ACCEPTED[] = {
        "unix:/run/prong/metrics.sock",
        "unix:/m,mode=0600",
        "unix:/m,mode=0660,owner=root",
        "127.0.0.1:9100",
        "127.1.2.3:0",
        "[::1]:9100",
    };
    static const char *const REFUSED[] = {
        "0.0.0.0:9100",
        "192.0.2.1:9100",
        "10.0.0.1:9100",
        "[::]:9100",
        "[2001:db8::1]:9100",
        "[::ffff:127.0.0.1]:9100",
        "128.0.0.1:9100",
        "localhost:9100",
        ":9100",
        "9100",
        "systemd:metrics",
        "127.0.0.1:9100,proxy",
        "127.0.0.1:9100,reuseport",
        "unix:relative",
        "unix:/m,mode=999",
        "unix:/m,proxy",
        "127.0.0.1",
        "",
    };
    struct listener listener;
    char error[512];
    for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++) {
        char *text = unit_exact_copy(ACCEPTED[i], strlen(ACCEPTED[i]) + 1);
        error[0] = '\0';
        CHECK(metrics_socket_parse(text, &listener, error, sizeof error) == 0, "%s accepted: %s",
              ACCEPTED[i], error);
        free(text);
    }
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        char *text = unit_exact_copy(REFUSED[i], strlen(REFUSED[i]) + 1);
        error[0] = '\0';
        bool refused = metrics_socket_parse(text, &listener, error, sizeof error) != 0;
        CHECK(refused, "%s refused", REFUSED[i]);
        if (refused) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "--metrics '%s'", REFUSED[i]);
            CHECK(strncmp(error, prefix, strlen(prefix)) == 0 && !strchr(error, '\n'),
                  "one line naming --metrics: %s", error);
        }
        free(text);
    }
}

void test_metrics(void)
{
    test_format();
    test_addresses();
}
