/* metrics.c: the supervisor's counters as Prometheus text (contract in include/process/metrics.h).
 *
 * The format is Prometheus's text exposition format, version 0.0.4: lines
 * "# HELP name text", "# TYPE name counter|gauge", then "name{label="value"} N";
 * every sample line of a metric follows its TYPE line. Label values are the
 * fixed words of the tables below, so nothing here needs escaping. The head is
 * HTTP/1.0 (RFC 1945 §6, §10.4): the scraper reads exactly Content-Length
 * bytes and the connection closes; curl and Prometheus both accept it.
 * Must not: make a system call, allocate, or write past out_size. */
#include "process/metrics.h"

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "http/text_number.h"

static const char *const REFUSAL_NAMES[REFUSAL_COUNT] = {
    "crash-storm", "rate-limit",        "per-client-cap",  "server-full",
    "fork-failed", "not-trusted-proxy", "bad-proxy-header"};
static const char *const END_NAMES[END_COUNT] = {"killed",  "signal", "failed",
                                                 "evicted", "cut",    "normal"};
static const char *const PHASE_NAMES[PHASE_COUNT + 1] = {
    "free", "starting", "waiting", "head", "serving", "idle", "closing", "unknown"};
static const char *const STATUS_CLASS_NAMES[METRICS_STATUS_CLASSES] = {"1xx", "2xx", "3xx", "4xx",
                                                                       "5xx"};

const char *metrics_refusal_name(enum refusal_cause cause)
{
    return (unsigned)cause < REFUSAL_COUNT ? REFUSAL_NAMES[cause] : "unknown";
}

/* ---------------------------------------------------------------- appending */

struct text {
    char *out;
    size_t size, length;
    int overflow;
};

/* With out NULL, only counts. */
static void put(struct text *text, const char *bytes, size_t length)
{
    if (text->overflow || length > text->size - text->length) {
        text->overflow = 1;
        return;
    }
    if (text->out)
        memcpy(text->out + text->length, bytes, length);
    text->length += length;
}

static void put_string(struct text *text, const char *string)
{
    put(text, string, strlen(string));
}

static void put_number(struct text *text, uint64_t value)
{
    char digits[NUMBER_DECIMAL_MAX];
    put(text, digits, number_decimal(value, digits));
}

static void describe(struct text *text, const char *name, const char *type, const char *help)
{
    put_string(text, "# HELP ");
    put_string(text, name);
    put_string(text, " ");
    put_string(text, help);
    put_string(text, "\n# TYPE ");
    put_string(text, name);
    put_string(text, " ");
    put_string(text, type);
    put_string(text, "\n");
}

/* name{label="value"} N, or name N without a label. */
static void sample(struct text *text, const char *name, const char *label, const char *value,
                   uint64_t number)
{
    put_string(text, name);
    if (label) {
        put_string(text, "{");
        put_string(text, label);
        put_string(text, "=\"");
        put_string(text, value);
        put_string(text, "\"}");
    }
    put_string(text, " ");
    put_number(text, number);
    put_string(text, "\n");
}

static void single(struct text *text, const char *name, const char *type, const char *help,
                   uint64_t number)
{
    describe(text, name, type, help);
    sample(text, name, NULL, NULL, number);
}

/* ---------------------------------------------------------------- the body */

static void body(struct text *text, const struct metrics_snapshot *s)
{
    describe(text, "prong_build_info", "gauge", "Always 1; the version of prong serving.");
    sample(text, "prong_build_info", "version", PRONG_VERSION, 1);
    single(text, "prong_connections_accepted_total", "counter",
           "Connections accepted on every listener, refused ones included.", s->accepted);
    single(text, "prong_connection_processes_started_total", "counter",
           "Connection processes forked, one per connection served.", s->processes);
    single(text, "prong_requests_total", "counter",
           "Requests answered by connection processes (refusals of bad requests included).",
           s->requests);
    single(text, "prong_sent_bytes_total", "counter",
           "Response body bytes sent by connection processes.", s->bytes_sent);
    describe(text, "prong_responses_total", "counter",
             "Responses of connection processes by status class.");
    for (size_t i = 0; i < METRICS_STATUS_CLASSES; i++)
        sample(text, "prong_responses_total", "code", STATUS_CLASS_NAMES[i], s->responses[i]);
    describe(text, "prong_refusals_total", "counter",
             "Connections the supervisor refused without a process (503 or closed), by cause.");
    for (size_t i = 0; i < REFUSAL_COUNT; i++)
        sample(text, "prong_refusals_total", "cause", REFUSAL_NAMES[i], s->refusals[i]);
    single(text, "prong_evictions_total", "counter",
           "Connections ended to make room for another client (the fair share).", s->evictions);
    describe(text, "prong_connection_process_ends_total", "counter",
             "Connection processes reaped, by how they ended.");
    for (size_t i = 0; i < END_COUNT; i++)
        sample(text, "prong_connection_process_ends_total", "cause", END_NAMES[i], s->ends[i]);
    describe(text, "prong_connection_processes", "gauge",
             "Live connection processes by the phase their scoreboard slot shows.");
    for (size_t i = PHASE_STARTING; i <= METRICS_PHASE_UNKNOWN; i++)
        sample(text, "prong_connection_processes", "phase", PHASE_NAMES[i], s->phases[i]);
    single(text, "prong_connections_open", "gauge", "Connections held by a connection process.",
           s->open);
    single(text, "prong_connections_pending", "gauge",
           "Connections waiting for an evicted connection's slot.", s->pending);
    single(text, "prong_connection_processes_max", "gauge", "--max-children.", s->max_children);
    single(text, "prong_log_messages_dropped_total", "counter",
           "Log messages dropped because the log channel was full.", s->log_drops);
    single(text, "prong_metrics_scrapes_total", "counter", "Scrapes answered before this one.",
           s->scrapes);
}

#define HEAD_START                                                                  \
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n" \
    "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: "

size_t metrics_format(const struct metrics_snapshot *snapshot, char *out, size_t out_size)
{
    /* Measured first (Content-Length comes before the body), then written. */
    struct text measure = {.out = NULL, .size = SIZE_MAX};
    body(&measure, snapshot);
    struct text text = {.out = out, .size = out_size};
    put_string(&text, HEAD_START);
    put_number(&text, measure.length);
    put_string(&text, "\r\n\r\n");
    body(&text, snapshot);
    return text.overflow ? 0 : text.length;
}
