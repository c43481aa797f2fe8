/* parser_bench.c: nanoseconds per request head, prong's parser against Debian's
 * http-parser 2.9 (make bench-parser; see mk/bench-parser.mk).
 *
 * What it does: times both parsers on (a) a ~500-byte Chrome-like navigation
 * request and (b) the minimal "GET / HTTP/1.1\r\nHost: h\r\n\r\n", in the same
 * process, alternating rounds so both see the same machine, and prints the best
 * round of each (and the median, to show the noise) and their ratio. Both sides
 * do comparable work: prong's parser fills its struct http_request (spans of
 * the target and of every field, decoded path); http-parser is given callbacks
 * that record the URL span and each header name and value span.
 *
 * Build contract: this one file is compiled twice. With
 * PARSER_BENCH_HTTP_PARSER_SIDE defined (and without -Iinclude, since both
 * projects name their header http_parser.h and both define enum http_method)
 * it is the http-parser side; otherwise it is prong's side and main().
 * Both objects and src/http/http_parser.c get the same -O2 flags, no sanitizers;
 * libhttp_parser.a is Debian's -O2 build, linked statically like ours.
 *
 * Must not: assert or compare times against thresholds (numbers depend on the
 * machine; nothing in the tests depends on them), or time a run in which either
 * parser did not accept the whole request. */
#include <stddef.h>

/* ---------------------------------------------------------------- shared by both sides */

#define BENCH_MAX_HEADERS 64

struct bench_span {
    const char *data;
    size_t length;
};

/* What the http-parser side records: the URL and each header's name and value. */
struct bench_record {
    struct bench_span url;
    struct bench_span names[BENCH_MAX_HEADERS];
    struct bench_span values[BENCH_MAX_HEADERS];
    size_t header_count;
    int complete;
};

/* http-parser side: parse one request; returns the bytes parsed, sets *ok when
 * the whole head was accepted without error. */
size_t bench_http_parser_run(const char *request, size_t length, struct bench_record *record,
                             int *ok);

/* http-parser side: the library's version, as major * 65536 + minor * 256 + patch. */
unsigned long bench_http_parser_version(void);

#ifdef PARSER_BENCH_HTTP_PARSER_SIDE
/* ---------------------------------------------------------------- Debian's http-parser */
#include <http_parser.h>

/* Callbacks may deliver a string in several pieces; pieces of one string are
 * contiguous in the buffer, so extending the span is enough. */
static void extend(struct bench_span *span, const char *at, size_t length)
{
    if (span->data == NULL)
        span->data = at;
    span->length = (size_t)(at + length - span->data);
}

static int on_url(http_parser *parser, const char *at, size_t length)
{
    struct bench_record *record = parser->data;
    extend(&record->url, at, length);
    return 0;
}

static int on_header_field(http_parser *parser, const char *at, size_t length)
{
    struct bench_record *record = parser->data;
    /* A new name starts after a value (or at the first header). */
    if (record->header_count == 0 || record->values[record->header_count - 1].data != NULL) {
        if (record->header_count == BENCH_MAX_HEADERS)
            return 1;
        record->names[record->header_count] = (struct bench_span){NULL, 0};
        record->values[record->header_count] = (struct bench_span){NULL, 0};
        record->header_count++;
    }
    extend(&record->names[record->header_count - 1], at, length);
    return 0;
}

static int on_header_value(http_parser *parser, const char *at, size_t length)
{
    struct bench_record *record = parser->data;
    extend(&record->values[record->header_count - 1], at, length);
    return 0;
}

static int on_message_complete(http_parser *parser)
{
    struct bench_record *record = parser->data;
    record->complete = 1;
    return 0;
}

static const http_parser_settings SETTINGS = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_message_complete = on_message_complete,
};

unsigned long bench_http_parser_version(void)
{
    return http_parser_version();
}

size_t bench_http_parser_run(const char *request, size_t length, struct bench_record *record,
                             int *ok)
{
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = record;
    record->url = (struct bench_span){NULL, 0};
    record->header_count = 0;
    record->complete = 0;
    size_t parsed = http_parser_execute(&parser, &SETTINGS, request, length);
    *ok = parsed == length && HTTP_PARSER_ERRNO(&parser) == HPE_OK && record->complete;
    return parsed;
}

#else
/* ---------------------------------------------------------------- prong's side and main() */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http_parser.h"

#define ROUNDS 21
#define ROUND_TARGET_NS 20000000.0 /* calibrate each round to about 20 ms */

static const char CHROME_REQUEST[] =
    "GET /docs/guide.html HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=3f9a1c; theme=dark\r\n"
    "Referer: https://www.example.com/\r\n"
    "\r\n";

static const char MINIMAL_REQUEST[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

static struct http_request prong_request;
static struct bench_record http_parser_record;
/* Results feed this, so no call can be dropped as unused. */
static volatile size_t sink;

static double now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
}

enum parser_side { SIDE_PRONG, SIDE_HTTP_PARSER };

/* Nanoseconds per request over `iterations` parses of the same buffer. */
static double time_round(enum parser_side side, const char *request, size_t length,
                         size_t iterations)
{
    size_t checksum = 0;
    double start = now_ns();
    if (side == SIDE_PRONG) {
        for (size_t i = 0; i < iterations; i++) {
            http_parse_request(request, length, NULL, &prong_request);
            checksum += prong_request.consumed + prong_request.field_count;
        }
    } else {
        int ok = 0;
        for (size_t i = 0; i < iterations; i++)
            checksum += bench_http_parser_run(request, length, &http_parser_record, &ok) +
                        http_parser_record.header_count;
    }
    double elapsed = now_ns() - start;
    sink += checksum;
    return elapsed / (double)iterations;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Both parsers must accept the whole request and see the same headers before
 * their times mean anything. */
static int check_both_accept(const char *name, const char *request, size_t length)
{
    enum http_parse_result result = http_parse_request(request, length, NULL, &prong_request);
    if (result != HTTP_PARSE_COMPLETE || prong_request.consumed != length) {
        fprintf(stderr, "parser_bench: prong's parser did not accept the %s request\n", name);
        return 0;
    }
    int ok = 0;
    bench_http_parser_run(request, length, &http_parser_record, &ok);
    if (!ok) {
        fprintf(stderr, "parser_bench: http-parser did not accept the %s request\n", name);
        return 0;
    }
    if (http_parser_record.header_count != prong_request.field_count ||
        http_parser_record.url.length != prong_request.raw_target.length) {
        fprintf(stderr,
                "parser_bench: the parsers disagree on the %s request (%zu vs %u headers)\n", name,
                http_parser_record.header_count, prong_request.field_count);
        return 0;
    }
    return 1;
}

static int bench_request(const char *name, const char *request, size_t length)
{
    if (!check_both_accept(name, request, length))
        return 0;

    /* Calibrate on prong's parser, then use the same count for both. */
    size_t iterations = 1000;
    for (;;) {
        double per_request = time_round(SIDE_PRONG, request, length, iterations);
        if (per_request * (double)iterations >= ROUND_TARGET_NS / 4 ||
            iterations >= ((size_t)1 << 30))
            break;
        iterations *= 2;
    }
    iterations *= 4;

    double prong_ns[ROUNDS], http_parser_ns[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        prong_ns[round] = time_round(SIDE_PRONG, request, length, iterations);
        http_parser_ns[round] = time_round(SIDE_HTTP_PARSER, request, length, iterations);
    }
    qsort(prong_ns, ROUNDS, sizeof prong_ns[0], compare_doubles);
    qsort(http_parser_ns, ROUNDS, sizeof http_parser_ns[0], compare_doubles);
    printf("%-8s %5zu %9zu %9.1f %9.1f %12.1f %9.1f %7.2f\n", name, length, iterations, prong_ns[0],
           prong_ns[ROUNDS / 2], http_parser_ns[0], http_parser_ns[ROUNDS / 2],
           prong_ns[0] / http_parser_ns[0]);
    return 1;
}

int main(void)
{
    printf("parser bench: ns/request, best (and median) of %d alternating rounds; -O2, no "
           "sanitizers\n",
           ROUNDS);
    unsigned long version = bench_http_parser_version();
    printf("prong = src/http/http_parser.c; http-parser = Debian libhttp-parser %lu.%lu.%lu with "
           "URL and header-span "
           "callbacks\n",
           version >> 16, (version >> 8) & 255, version & 255);
    printf("ratio = prong best / http-parser best (below 1: prong is faster)\n");
    printf("%-8s %5s %9s %9s %9s %12s %9s %7s\n", "request", "bytes", "reqs/rnd", "prong",
           "(median)", "http-parser", "(median)", "ratio");
    int ok = bench_request("chrome", CHROME_REQUEST, sizeof CHROME_REQUEST - 1);
    ok &= bench_request("minimal", MINIMAL_REQUEST, sizeof MINIMAL_REQUEST - 1);
    fflush(stdout);
    return ok ? 0 : 1;
}
#endif
