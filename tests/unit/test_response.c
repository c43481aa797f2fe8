/* test_response.c: unit tests of src/static/response.c (include/static/response.h).
 *
 * What it does: splits heads built by response_begin/add/add_number/end into
 * lines and checks them: the status line, then Date (a current IMF-fixdate),
 * Server: prong (absent after response_configure turns it off), and
 * X-Content-Type-Options: nosniff, the added fields in order, CRLF endings
 * only, and the empty line at the end; that an oversized head is marked as
 * overflowing, at exactly one byte past RESPONSE_HEAD_MAX, and never written
 * past it; and every error page: the fixed body for its status (written here
 * by hand from RFC 9110's reason phrases), Content-Type, Content-Length,
 * Content-Security-Policy: default-src 'none', Allow for 405, Retry-After for
 * 503, Connection: close only when asked, and no body for HEAD.
 *
 * Contract: the Server setting is process-wide; each test that changes it
 * restores the default (on).
 * Must not: take an expected head or body from response.c itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http_date.h"
#include "static/response.h"
#include "unit.h"
#include "unit_suites.h"

#define MAX_LINES 32

struct head_lines {
    const char *line[MAX_LINES]; /* into a copy of the head, CRLF removed */
    size_t count;
    bool well_formed;   /* every line ended by CRLF, no other CR or LF, ended by an empty line */
    size_t head_length; /* through the empty line's CRLF */
    char copy[RESPONSE_HEAD_MAX + 1];
};

static void split_head(const struct response_head *head, struct head_lines *lines)
{
    memset(lines, 0, sizeof *lines);
    memcpy(lines->copy, head->data, head->length);
    lines->copy[head->length] = '\0';
    char *at = lines->copy, *end = lines->copy + head->length;
    lines->well_formed = false;
    while (at < end && lines->count < MAX_LINES) {
        char *crlf = NULL;
        for (char *p = at; p + 1 < end; p++)
            if (p[0] == '\r' && p[1] == '\n') {
                crlf = p;
                break;
            }
        if (!crlf)
            return;
        *crlf = '\0';
        if (strchr(at, '\r') || strchr(at, '\n') || (size_t)(crlf - at) != strlen(at))
            return;
        if (crlf == at) { /* the empty line */
            lines->head_length = (size_t)(crlf + 2 - lines->copy);
            lines->well_formed = true;
            return;
        }
        lines->line[lines->count++] = at;
        at = crlf + 2;
    }
}

/* The value of the one field called name, NULL if absent; *count says how many. */
static const char *field(const struct head_lines *lines, const char *name, int *count)
{
    const char *value = NULL;
    size_t name_length = strlen(name);
    *count = 0;
    for (size_t i = 1; i < lines->count; i++)
        if (strncmp(lines->line[i], name, name_length) == 0 && lines->line[i][name_length] == ':') {
            (*count)++;
            value = lines->line[i] + name_length + (lines->line[i][name_length + 1] == ' ' ? 2 : 1);
        }
    return value;
}

/* The clock the Date field comes from (response_date_now: CLOCK_REALTIME).
 * Not time(NULL): glibc answers it from the coarse clock, which may still be in
 * the previous second when CLOCK_REALTIME has passed into the next. */
static time_t realtime_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec;
}

static void check_date(const char *value, time_t before, time_t after, const char *what)
{
    if (!CHECK(value != NULL, "%s: a Date field", what))
        return;
    int64_t seconds = http_date_parse(value, strlen(value));
    CHECK(strlen(value) == HTTP_DATE_SIZE - 1 && seconds >= (int64_t)before &&
              seconds <= (int64_t)after,
          "%s: Date \"%s\" is an IMF-fixdate between %lld and %lld", what, value, (long long)before,
          (long long)after);
}

static void test_plain_head(void)
{
    struct response_head head;
    struct head_lines lines;
    memset(&head, 0x5A, sizeof head);
    time_t before = realtime_seconds();
    response_begin(&head, 200);
    response_add(&head, "Content-Type", "text/plain; charset=utf-8");
    response_add_number(&head, "Content-Length", 1234);
    response_add_number(&head, "X-Zero", 0);
    response_add_number(&head, "X-Largest", UINT64_MAX);
    response_end(&head);
    time_t after = realtime_seconds();
    CHECK(!head.overflow, "a small head does not overflow");
    split_head(&head, &lines);
    if (!CHECK(lines.well_formed && lines.head_length == head.length,
               "a head of CRLF-terminated lines ending with an empty line, nothing after it"))
        return;
    static const char *const EXPECTED[] = {"HTTP/1.1 200 OK",
                                           NULL, /* Date, checked below */
                                           "Server: prong",
                                           "X-Content-Type-Options: nosniff",
                                           "Content-Type: text/plain; charset=utf-8",
                                           "Content-Length: 1234",
                                           "X-Zero: 0",
                                           "X-Largest: 18446744073709551615"};
    if (!CHECK_UINT(lines.count, sizeof EXPECTED / sizeof EXPECTED[0], "lines in the head"))
        return;
    for (size_t i = 0; i < lines.count; i++)
        if (EXPECTED[i])
            CHECK_STR(lines.line[i], EXPECTED[i], "line %zu of the head", i);
    CHECK(strncmp(lines.line[1], "Date: ", 6) == 0, "line 1 is Date, got \"%s\"", lines.line[1]);
    check_date(lines.line[1] + 6, before, after, "a 200 head");

    /* Other statuses get their reason phrase. */
    static const struct {
        int status;
        const char *line;
    } STATUS_LINES[] = {{204, "HTTP/1.1 204 No Content"},
                        {206, "HTTP/1.1 206 Partial Content"},
                        {301, "HTTP/1.1 301 Moved Permanently"},
                        {304, "HTTP/1.1 304 Not Modified"},
                        {416, "HTTP/1.1 416 Range Not Satisfiable"}};
    for (size_t i = 0; i < sizeof STATUS_LINES / sizeof STATUS_LINES[0]; i++) {
        response_begin(&head, STATUS_LINES[i].status);
        response_end(&head);
        split_head(&head, &lines);
        CHECK(lines.well_formed && lines.count >= 1, "a %d head is well formed",
              STATUS_LINES[i].status);
        CHECK_STR(lines.count ? lines.line[0] : "", STATUS_LINES[i].line, "status line of %d",
                  STATUS_LINES[i].status);
    }
}

static void test_server_header_off(void)
{
    struct response_head head;
    struct head_lines lines;
    int count = 0;
    response_configure(&(struct response_settings){.server_header = false});
    response_begin(&head, 404);
    response_end(&head);
    split_head(&head, &lines);
    CHECK(lines.well_formed, "a head without Server is well formed");
    CHECK(field(&lines, "Server", &count) == NULL && count == 0, "no Server field when it is off");
    CHECK_STR(field(&lines, "X-Content-Type-Options", &count), "nosniff", "nosniff without Server");
    CHECK(field(&lines, "Date", &count) != NULL && count == 1, "one Date without Server");
    response_error(&head, 500, false, false);
    split_head(&head, &lines);
    CHECK(field(&lines, "Server", &count) == NULL, "no Server on an error page when it is off");

    response_configure(&(struct response_settings){.server_header = true});
    response_begin(&head, 404);
    response_end(&head);
    split_head(&head, &lines);
    CHECK_STR(field(&lines, "Server", &count), "prong", "Server is back when turned on");
    CHECK_INT(count, 1, "one Server field");
}

static void test_overflow(void)
{
    struct response_head head;
    static char value[RESPONSE_HEAD_MAX + 100];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';

    /* A field far too large. */
    response_begin(&head, 200);
    size_t before = head.length;
    response_add(&head, "X-Big", value);
    CHECK(head.overflow, "a field larger than the head buffer is marked");
    CHECK(head.length <= RESPONSE_HEAD_MAX, "length %zu within the buffer", head.length);
    response_add(&head, "X-After", "1");
    response_end(&head);
    CHECK(head.overflow, "the mark stays through later adds and response_end");
    CHECK(head.length <= before + strlen("X-Big: "),
          "nothing is appended after the overflow (length %zu)", head.length);
    response_begin(&head, 200);
    CHECK(!head.overflow, "response_begin starts a new head without the mark");

    /* Exactly full, then one byte more. A field line is name ": " value CRLF. */
    for (size_t extra = 0; extra <= 1; extra++) {
        response_begin(&head, 200);
        size_t room = RESPONSE_HEAD_MAX - head.length - 2; /* leave the final CRLF */
        size_t value_length = room - strlen("X-Fill: \r\n") + extra;
        char saved = value[value_length];
        value[value_length] = '\0';
        response_add(&head, "X-Fill", value);
        response_end(&head);
        value[value_length] = saved;
        if (extra == 0) {
            CHECK(!head.overflow && head.length == RESPONSE_HEAD_MAX,
                  "a head of exactly RESPONSE_HEAD_MAX bytes fits (length %zu, overflow %d)",
                  head.length, head.overflow);
        } else {
            CHECK(head.overflow && head.length <= RESPONSE_HEAD_MAX,
                  "one byte more is marked (length %zu, overflow %d)", head.length, head.overflow);
        }
    }
}

/* ------------------------------------------------------------------ error pages */

struct error_case {
    int status;
    const char *reason; /* RFC 9110 §15 */
};

static const struct error_case ERRORS[] = {
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"}, /* RFC 6585 §5 */
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

static void check_error_page(const struct error_case *error, bool close, bool head_only)
{
    char expected_body[256], expected_status[96], what[64], length_text[24];
    snprintf(expected_body, sizeof expected_body,
             "<!doctype html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n", error->status,
             error->reason, error->status, error->reason);
    snprintf(expected_status, sizeof expected_status, "HTTP/1.1 %d %s", error->status,
             error->reason);
    snprintf(what, sizeof what, "error page %d%s%s", error->status, close ? ", close" : "",
             head_only ? ", HEAD" : "");
    size_t body_length = strlen(expected_body);
    snprintf(length_text, sizeof length_text, "%zu", body_length);

    struct response_head head;
    struct head_lines lines;
    int count = 0;
    memset(&head, 0x5A, sizeof head);
    time_t before = realtime_seconds();
    response_error(&head, error->status, close, head_only);
    time_t after = realtime_seconds();
    CHECK(!head.overflow, "%s: no overflow", what);
    split_head(&head, &lines);
    if (!CHECK(lines.well_formed && lines.count > 0, "%s: a well-formed head", what))
        return;
    CHECK_STR(lines.line[0], expected_status, "%s: status line", what);
    CHECK_STR(response_reason_phrase(error->status), error->reason, "response_reason_phrase(%d)",
              error->status);
    check_date(field(&lines, "Date", &count), before, after, what);
    CHECK_STR(field(&lines, "Server", &count), "prong", "%s: Server", what);
    CHECK_STR(field(&lines, "X-Content-Type-Options", &count), "nosniff", "%s: nosniff", what);
    CHECK_STR(field(&lines, "Content-Type", &count), "text/html; charset=utf-8", "%s: Content-Type",
              what);
    CHECK_INT(count, 1, "%s: one Content-Type", what);
    CHECK_STR(field(&lines, "Content-Length", &count), length_text,
              "%s: Content-Length is the body's", what);
    CHECK_INT(count, 1, "%s: one Content-Length", what);
    CHECK_STR(field(&lines, "Content-Security-Policy", &count), "default-src 'none'", "%s: CSP",
              what);
    const char *allow = field(&lines, "Allow", &count);
    if (error->status == 405)
        CHECK_STR(allow, "GET, HEAD, OPTIONS", "%s: Allow", what);
    else if (error->status != 501) /* 501 may list them too; RFC 9110 requires it only for 405 */
        CHECK(allow == NULL, "%s: no Allow", what);
    const char *retry = field(&lines, "Retry-After", &count);
    if (error->status == 503)
        CHECK(retry && strspn(retry, "0123456789") == strlen(retry) && atoi(retry) > 0,
              "%s: Retry-After is a positive number of seconds, got \"%s\"", what,
              retry ? retry : "(none)");
    else
        CHECK(retry == NULL, "%s: no Retry-After", what);
    const char *connection = field(&lines, "Connection", &count);
    if (close)
        CHECK_STR(connection, "close", "%s: Connection", what);
    else
        CHECK(connection == NULL, "%s: no Connection field", what);
    if (head_only)
        CHECK_UINT(head.length, lines.head_length, "%s: nothing after the head", what);
    else
        CHECK_BYTES(head.data + lines.head_length, head.length - lines.head_length, expected_body,
                    body_length, "%s: the fixed body", what);
    size_t reported_length = 0;
    const char *body = response_error_body(error->status, &reported_length);
    CHECK_BYTES(body, reported_length, expected_body, body_length, "response_error_body(%d)",
                error->status);
}

static void test_error_pages(void)
{
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
        for (int variant = 0; variant < 4; variant++)
            check_error_page(&ERRORS[i], variant & 1, variant & 2);
}

void test_response(void)
{
    test_plain_head();
    test_server_header_off();
    test_overflow();
    test_error_pages();
}
