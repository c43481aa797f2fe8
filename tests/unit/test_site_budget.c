/* test_site_budget.c: the response-head budget behind --header (fixed_limits.h).
 *
 * What it does: builds, with the real builders (file_response.c,
 * static_files.c, error_response.c, response.c), every kind of head prong
 * sends, each at its largest: a 206 and a 200 of a precompressed file with the
 * longest media type --mime-types accepts (MIME_TYPE_MAX), 64-bit sizes and
 * offsets and the largest validators; a 304; a multipart 206; a 416 with a
 * 64-bit Content-Range on a configured error page; every error status, with a
 * configured page and with the built-in one, closing and not; the supervisor's
 * 503 with its body; the trailing-slash redirect with a Location of exactly
 * LOCATION_MAX (one byte more is 414); a JSON listing; OPTIONS. Each must stay
 * within RESPONSE_OWN_HEAD_MAX with room for the "Connection: keep-alive" the
 * connection adds. Then again with site-wide rows adding exactly
 * RESPONSE_CONFIGURED_MAX bytes (the most start-up accepts): no head overflows,
 * every row is there whole. Positive control of the safety net: rows over the
 * budget (which start-up refuses; set here behind its back) turn a file
 * response into a complete 500 without them, never a cut head.
 * Contract: works in a directory of its own beneath unit_scratch_dir (a
 * directory, a file, an error page, a MIME file), removed again with the
 * working directory restored; nothing is sent anywhere. It loads a MIME table,
 * so test_unit runs it after the suite of mime.c.
 * Must not: write outside unit_scratch_dir. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http_parser.h"
#include "unit.h"
#include "unit_suites.h"
#include "static/error_pages.h"
#include "static/file_response.h"
#include "static/mime.h"
#include "static/response.h"
#include "static/static_files.h"

#define KEEP_ALIVE_LINE "Connection: keep-alive\r\n"

static struct http_request request;
static struct response_plan plan;
static char request_text[8192];
static char longest_type[MIME_TYPE_MAX + 1];
static size_t largest_own;

static void write_file(const char *name, const char *content)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t length = strlen(content);
    if (fd < 0 || write(fd, content, length) != (ssize_t)length || close(fd) != 0)
        unit_die(name, "cannot write it in the scratch directory");
}

static const char *const SCRATCH_FILES[] = {"d/a.txt", "f.txt", "e.x", "types", "types-too-long"};

static bool parse(const char *head)
{
    snprintf(request_text, sizeof request_text, "%s", head);
    return CHECK(http_parse_request(request_text, strlen(request_text), NULL, &request) ==
                     HTTP_PARSE_COMPLETE,
                 "the test request parses: %.60s", head);
}

/* A head prong built: whole, not overflowed, within the budget it is given. */
static void check_head(const char *what, size_t budget, int status)
{
    const struct response_head *head = &plan.head;
    CHECK(!head->overflow, "%s: the head did not overflow", what);
    CHECK(plan.status == status, "%s: status %d, expected %d", what, plan.status, status);
    CHECK(head->length >= 4 && memcmp(head->data + head->length - 4, "\r\n\r\n", 4) == 0,
          "%s: the head is complete", what);
    size_t with_connection = head->length + strlen(KEEP_ALIVE_LINE);
    CHECK(with_connection <= budget, "%s: %zu bytes with Connection, budget %zu", what,
          with_connection, budget);
    if (with_connection > largest_own && budget == RESPONSE_OWN_HEAD_MAX)
        largest_own = with_connection;
}

static void plan_file(const char *head, int64_t size, enum content_coding coding)
{
    response_plan_release(&plan);
    response_plan_reset(&plan);
    if (!parse(head))
        return;
    plan.path = request.path;
    plan.path_length = request.path_length;
    struct representation representation = {
        .fd = -1, .coding = coding, .content_type = longest_type};
    representation.status.st_size = size;
    representation.status.st_mtim.tv_sec = 253402300799; /* 9999-12-31T23:59:59Z */
    representation.status.st_mtim.tv_nsec = 999999999;
    file_response_plan(&request, &representation, &plan);
}

static void plan_request(const char *head)
{
    response_plan_release(&plan);
    if (parse(head))
        static_files_plan(&request, &plan);
}

#define REQUEST(line, fields) line " HTTP/1.1\r\nHost: a\r\n" fields "\r\n"

/* Every kind of head, each at its largest, checked against budget. */
static void build_every_head(size_t budget)
{
    const int64_t huge = INT64_MAX;
    plan_file(REQUEST("GET /f.x", "Range: bytes=1000000000000000000-\r\n"), huge, CODING_GZIP);
    check_head("206 of a precompressed file", budget, 206);
    plan_file(REQUEST("GET /f.x", ""), huge, CODING_GZIP);
    check_head("200 of a precompressed file", budget, 200);
    plan_file(REQUEST("GET /f.x", "If-None-Match: *\r\n"), huge, CODING_GZIP);
    check_head("304", budget, 304);
    plan_file(REQUEST("GET /f.x", "Range: bytes=0-0,2-2,4-4\r\n"), huge, CODING_IDENTITY);
    check_head("multipart 206", budget, 206);
    plan_file(REQUEST("GET /f.x", "Range: bytes=99999999999999999999-\r\n"), huge, CODING_GZIP);
    check_head("416 with a configured page", budget, 416);
    static const int STATUSES[] = {400, 403, 404, 405, 408, 412, 413,
                                   414, 416, 431, 500, 501, 503, 505};
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++) {
        char what[64];
        for (int close = 0; close < 2; close++) {
            response_plan_release(&plan);
            if (close)
                static_files_plan_error(STATUSES[i], "test", false, &plan);
            else
                static_files_plan_refusal(STATUSES[i], "test", false, &plan);
            snprintf(what, sizeof what, "error %d%s", STATUSES[i], close ? ", closing" : "");
            check_head(what, budget, STATUSES[i]);
        }
    }
    /* The supervisor's 503: head and built-in body in the one buffer it sends. */
    struct response_head supervisor_busy;
    response_error(&supervisor_busy, 503, true, false);
    CHECK(!supervisor_busy.overflow && supervisor_busy.length <= budget,
          "the supervisor's 503, head and body: %zu bytes, budget %zu", supervisor_busy.length,
          budget);
    if (budget == RESPONSE_OWN_HEAD_MAX && supervisor_busy.length > largest_own)
        largest_own = supervisor_busy.length;
    /* The redirect, its Location exactly LOCATION_MAX ("/d/?" and the query). */
    char line[LOCATION_MAX + 64];
    int used = snprintf(line, sizeof line, "GET /d?");
    memset(line + used, 'q', LOCATION_MAX - 4);
    snprintf(line + used + LOCATION_MAX - 4, sizeof line - (size_t)used - (LOCATION_MAX - 4),
             " HTTP/1.1\r\nHost: a\r\n\r\n");
    plan_request(line);
    check_head("301 with the longest Location", budget, 301);
    CHECK(memmem(plan.head.data, plan.head.length, "\r\nLocation: /d/?qqq", 19) != NULL,
          "the Location is the path and the query");
    memmove(line + used + 1, line + used, strlen(line + used) + 1);
    line[used] = 'q';
    plan_request(line);
    CHECK(plan.status == 414 && !plan.head.overflow, "one byte more: 414, got %d", plan.status);
    plan_request(REQUEST("GET /d/", "Accept: application/json\r\n"));
    check_head("a JSON listing", budget, 200);
    plan_request(REQUEST("OPTIONS *", ""));
    check_head("OPTIONS", budget, 204);
}

/* Site-wide rows adding exactly bytes to every response. */
static struct header_rules rules;
static char row_text[2][RESPONSE_HEAD_MAX];

static void set_rows(size_t bytes, bool check_at_start_up)
{
    memset(&rules, 0, sizeof rules);
    size_t first = bytes / 2, second = bytes - first;
    size_t lines[2] = {first, second};
    const char *names[2] = {"X-Budget-A", "X-Budget-B"};
    char error[256];
    for (int i = 0; i < 2; i++) {
        size_t value = lines[i] - strlen(names[i]) - 4; /* "Name: " value CRLF */
        int head = snprintf(row_text[i], sizeof row_text[i], "%s: ", names[i]);
        memset(row_text[i] + head, 'v', value - 1);
        row_text[i][(size_t)head + value - 1] = 'z'; /* the last byte, to see it arrive */
        row_text[i][(size_t)head + value] = '\0';
        CHECK(header_rules_add(&rules, row_text[i], error, sizeof error) == 0, "row %d: %s", i,
              error);
    }
    if (check_at_start_up)
        CHECK(header_rules_finish(&rules, error, sizeof error) == 0 && rules.worst_case == bytes,
              "rows of %zu bytes accepted at start-up: %s", bytes, error);
    response_configure(&(struct response_settings){.server_header = true, .headers = &rules});
}

/* The files are opened by relative paths, as a connection process opens them
 * beneath its root; so the suite works in a directory of its own, and leaves. */
static int enter_scratch(void)
{
    char directory[4096];
    snprintf(directory, sizeof directory, "%s/site_budget", unit_scratch_dir);
    int previous = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (previous < 0 || mkdir(directory, 0755) != 0 || chdir(directory) != 0 ||
        mkdir("d", 0755) != 0)
        unit_die(directory, "cannot work in the scratch directory");
    return previous;
}

static void leave_scratch(int previous)
{
    for (size_t i = 0; i < sizeof SCRATCH_FILES / sizeof SCRATCH_FILES[0]; i++)
        if (unlink(SCRATCH_FILES[i]) != 0)
            unit_die(SCRATCH_FILES[i], "cannot remove it from the scratch directory");
    if (rmdir("d") != 0 || fchdir(previous) != 0 || close(previous) != 0)
        unit_die(unit_scratch_dir, "cannot leave the scratch directory");
    char directory[4096];
    snprintf(directory, sizeof directory, "%s/site_budget", unit_scratch_dir);
    if (rmdir(directory) != 0)
        unit_die(directory, "cannot remove it");
}

void test_site_budget(void)
{
    int previous = enter_scratch();
    write_file("d/a.txt", "a\n");
    write_file("f.txt", "0123456789");
    write_file("e.x", "<p>error\n");
    memcpy(longest_type, "application/", 12);
    memset(longest_type + 12, 't', MIME_TYPE_MAX - 12);
    longest_type[MIME_TYPE_MAX] = '\0';
    char types[MIME_TYPE_MAX + 16];
    snprintf(types, sizeof types, "%s x\n", longest_type);
    write_file("types", types);
    char error[256];
    CHECK(mime_load_file("types", error, sizeof error) == 0, "a %d-byte media type: %s",
          MIME_TYPE_MAX, error);
    char too_long[MIME_TYPE_MAX + 16];
    snprintf(too_long, sizeof too_long, "%sT y\n", longest_type);
    write_file("types-too-long", too_long);
    CHECK(mime_load_file("types-too-long", error, sizeof error) == -1 &&
              strstr(error, "longer than") != NULL,
          "a %d-byte media type is refused: %s", MIME_TYPE_MAX + 1, error);
    CHECK_STR(mime_type_for("/e.x", 4), longest_type, "the page's type is the longest one");

    static struct error_pages pages;
    static const char *const PAGES[] = {"404=/e.x", "405=/e.x", "416=/e.x", "503=/e.x", "431=/e.x"};
    for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++)
        CHECK(error_pages_add(&pages, PAGES[i], error, sizeof error) == 0, "%s: %s", PAGES[i],
              error);
    static const char *const INDEX[] = {"index.html"};
    static_files_configure(&(struct static_settings){.index_names = INDEX,
                                                     .index_count = 1,
                                                     .autoindex = true,
                                                     .symlinks = SYMLINKS_NONE,
                                                     .error_pages = &pages});
    response_plan_reset(&plan);

    response_configure(&(struct response_settings){.server_header = true, .headers = NULL});
    build_every_head(RESPONSE_OWN_HEAD_MAX);
    printf("unit: site_budget: the largest head prong builds itself: %zu of %d bytes\n",
           largest_own, RESPONSE_OWN_HEAD_MAX);

    set_rows(RESPONSE_CONFIGURED_MAX, true);
    build_every_head(RESPONSE_HEAD_MAX);
    plan_file(REQUEST("GET /f.x", ""), 10, CODING_IDENTITY);
    CHECK(memmem(plan.head.data, plan.head.length, row_text[1], strlen(row_text[1])) != NULL,
          "the configured rows arrive whole");

    /* Behind start-up's back: rows over the budget. A file's head overflows and
     * becomes a whole 500 without them, never a cut head. */
    set_rows(RESPONSE_HEAD_MAX, false);
    plan_request(REQUEST("GET /f.txt", ""));
    CHECK(plan.status == 500 && plan.reason && strcmp(plan.reason, "head-too-large") == 0 &&
              !plan.head.overflow,
          "an overflowing head becomes a 500 (status %d)", plan.status);
    CHECK(memmem(plan.head.data, plan.head.length, "X-Budget", 8) == NULL &&
              memmem(plan.head.data, plan.head.length, "Connection: close\r\n\r\n", 21) != NULL,
          "that 500 carries no configured row and closes");
    response_plan_release(&plan);
    response_configure(&(struct response_settings){.server_header = true, .headers = NULL});
    static_files_configure(&(struct static_settings){.index_names = INDEX, .index_count = 1});
    leave_scratch(previous);
}
