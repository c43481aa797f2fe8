/* test_site_headers.c: unit tests of src/static/header_rules.c (--header, --cache-control).
 *
 * What it does: the three validators on written cases and, for values, on
 * every byte in every place; whole --header arguments accepted (their parts)
 * and refused (a one-line reason naming the flag and the argument); the caps
 * on rows and text; selection per response kind and path (the longest prefix
 * wins per name, case-insensitively; site-wide rows where no prefix row sets
 * the name; a prefix never leaks to a sibling like /assetsX/; errors get the
 * site-wide rows only; --cache-control only on files); the conflict between
 * --cache-control and a site-wide Cache-Control row; and the start-up budget
 * (exactly RESPONSE_CONFIGURED_MAX accepted, one byte more refused; disjoint
 * prefixes counted apart, nested ones together); and the flags through
 * config_parse (rows stored in order, --cache-control's last, refusals as one
 * line naming the flag).
 * Contract: expected selections are written out by hand.
 * Must not: touch the file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit.h"
#include "unit_suites.h"
#include "static/header_rules.h"

static const char *name_problem(const char *name)
{
    char *copy = unit_string_copy(name, strlen(name));
    const char *problem = header_name_problem(copy, strlen(name));
    free(copy);
    return problem;
}

static const char *value_problem(const char *value, size_t length)
{
    char *copy = unit_string_copy(value, length);
    const char *problem = header_value_problem(copy, length);
    free(copy);
    return problem;
}

static const char *prefix_problem(const char *prefix)
{
    char *copy = unit_string_copy(prefix, strlen(prefix));
    const char *problem = header_prefix_problem(copy, strlen(prefix));
    free(copy);
    return problem;
}

static void test_names(void)
{
    static const char *const GOOD[] = {"X-Frame-Options",
                                       "a",
                                       "!#$%&'*+-.^_`|~09azAZ",
                                       "Strict-Transport-Security",
                                       "Cache-Control",
                                       "Vary",
                                       "Content-Security-Policy",
                                       "Set-Cookie",
                                       "Link"};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++)
        CHECK(name_problem(GOOD[i]) == NULL, "name '%s' accepted, got '%s'", GOOD[i],
              name_problem(GOOD[i]));
    static const char *const BAD[] = {"",    "X Frame", "X\tY",     "a/b",   "(x)",
                                      "@",   "a,b",     "a;b",      "a=b",   "\"a\"",
                                      "{a}", "a\\b",    "\xc3\xa9", "a\x7f", "\x01"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        CHECK(name_problem(BAD[i]) != NULL, "name '%s' refused", BAD[i]);
    /* Every byte: a token byte or not (RFC 9110 §5.6.2). */
    for (int byte = 1; byte < 256; byte++) {
        char name[4] = {'a', (char)byte, 'b', '\0'};
        bool token = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                     (byte >= '0' && byte <= '9') || strchr("!#$%&'*+-.^_`|~", byte) != NULL;
        CHECK((name_problem(name) == NULL) == token, "name with byte 0x%02x: %s", byte,
              token ? "a token" : "not a token");
    }
    static const char *const OWNED[] = {
        "Content-Length",
        "Transfer-Encoding",
        "Content-Range",
        "Content-Encoding",
        "Content-Type",
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Upgrade",
        "Date",
        "Server",
        "ETag",
        "Last-Modified",
        "Accept-Ranges",
        "Location",
        "Allow",
        "Retry-After",
        "X-Content-Type-Options",
        "content-length",
        "TRANSFER-ENCODING",
        "sErVeR",
        "te",
    };
    for (size_t i = 0; i < sizeof OWNED / sizeof OWNED[0]; i++)
        CHECK(name_problem(OWNED[i]) != NULL, "prong's own field '%s' refused", OWNED[i]);
    CHECK(name_problem("Content-Lengths") == NULL && name_problem("X-Date") == NULL &&
              name_problem("Dat") == NULL,
          "only the whole owned names are refused");
}

static void test_values(void)
{
    static const char *const GOOD[] = {"a",
                                       "max-age=31536000, immutable",
                                       "a\tb",
                                       "a  b",
                                       "default-src 'self'; img-src data:",
                                       "<a>; rel=preload",
                                       "\"quoted\"",
                                       "!~"};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++)
        CHECK(value_problem(GOOD[i], strlen(GOOD[i])) == NULL, "value '%s' accepted", GOOD[i]);
    static const struct {
        const char *value;
        size_t length;
    } BAD[] = {
        {"", 0},     {" a", 2},     {"a ", 2},    {"\ta", 2},
        {"a\t", 2},  {"a\r\nb", 4}, {"a\nb", 3},  {"a\rb", 3},
        {"a\0b", 3}, {"\x7f", 1},   {"a\x80", 2}, {"max-age=\xc3\xa9", 10},
        {"\x01", 1}, {" ", 1},      {"\t", 1},    {"a\r\nSet-Cookie: x=1", 19},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        CHECK(value_problem(BAD[i].value, BAD[i].length) != NULL, "value %zu refused", i);
    /* Every byte inside, first and last: visible ASCII anywhere; SP and HTAB
     * only inside; nothing else (no obs-text, no control byte). */
    for (int byte = 0; byte < 256; byte++) {
        char inside[3] = {'a', (char)byte, 'b'}, edge[2] = {(char)byte, 'b'};
        bool visible = byte >= 0x21 && byte <= 0x7e;
        bool inside_ok = visible || byte == ' ' || byte == '\t';
        CHECK((value_problem(inside, 3) == NULL) == inside_ok, "byte 0x%02x inside a value", byte);
        CHECK((value_problem(edge, 2) == NULL) == visible, "byte 0x%02x first in a value", byte);
        edge[0] = 'b';
        edge[1] = (char)byte;
        CHECK((value_problem(edge, 2) == NULL) == visible, "byte 0x%02x last in a value", byte);
    }
}

static void test_prefixes(void)
{
    static const char *const GOOD[] = {"/",          "/assets/", "/a/b/", "/.well-known/",
                                       "/\xc3\xa9/", "/a%20b/",  "/a.b/", "/..a/",
                                       "/a./"};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++)
        CHECK(prefix_problem(GOOD[i]) == NULL, "prefix '%s' accepted, got '%s'", GOOD[i],
              prefix_problem(GOOD[i]));
    static const char *const BAD[] = {"",       "assets/", "/assets", "//",
                                      "/a//b/", "/./",     "/a/./",   "/../",
                                      "/a/../", "/a\x01/", "/a\x7f/", "/a\tb/"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        CHECK(prefix_problem(BAD[i]) != NULL, "prefix '%s' refused", BAD[i]);
}

/* A fresh set of rules holding one argument, or -1 with the message. */
static int add_one(struct header_rules *rules, const char *argument, char *error, size_t size)
{
    memset(rules, 0, sizeof *rules);
    memset(error, '#', size);
    error[size - 1] = '\0';
    return header_rules_add(rules, argument, error, size);
}

static bool span_is(const char *data, size_t length, const char *expected)
{
    return data && length == strlen(expected) && memcmp(data, expected, length) == 0;
}

static void test_arguments(void)
{
    static const struct {
        const char *argument, *prefix, *name, *value;
    } GOOD[] = {
        {"X-A: 1", NULL, "X-A", "1"},
        {"X-A:1", NULL, "X-A", "1"},
        {"X-A:\t  v  x", NULL, "X-A", "v  x"},
        {"/p/ X-A: v", "/p/", "X-A", "v"},
        {"/p/    X-A: v", "/p/", "X-A", "v"},
        {"/ Cache-Control: no-store", "/", "Cache-Control", "no-store"},
        {"Content-Security-Policy: default-src 'self'; frame-ancestors 'none'", NULL,
         "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
        {"X: a:b: c", NULL, "X", "a:b: c"},
    };
    struct header_rules rules;
    char error[256];
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        char *argument = unit_string_copy(GOOD[i].argument, strlen(GOOD[i].argument));
        if (CHECK(add_one(&rules, argument, error, sizeof error) == 0, "'%s' accepted: %s",
                  GOOD[i].argument, error)) {
            const struct header_rule *row = &rules.rows[0];
            CHECK(rules.count == 1, "'%s': one row", GOOD[i].argument);
            CHECK(GOOD[i].prefix ? span_is(row->prefix, row->prefix_length, GOOD[i].prefix)
                                 : row->prefix == NULL,
                  "'%s': its prefix", GOOD[i].argument);
            CHECK(span_is(row->name, row->name_length, GOOD[i].name), "'%s': its name",
                  GOOD[i].argument);
            CHECK(span_is(row->value, row->value_length, GOOD[i].value), "'%s': its value",
                  GOOD[i].argument);
            CHECK(row->scope == (GOOD[i].prefix ? HEADER_SCOPE_PATH : HEADER_SCOPE_EVERY),
                  "'%s': its scope", GOOD[i].argument);
        }
        free(argument);
    }
    static const char *const BAD[] = {
        "X-A",
        "X-A:",
        "X-A: ",
        ": v",
        "X A: v",
        "X-A : v",
        "/p/",
        "/p/ ",
        "/p X-A: v",
        "p/ X-A: v",
        "//p/ X-A: v",
        "/p/./ X-A: v",
        "/p/ : v",
        "/p/ X-A v",
        "Content-Length: 5",
        "content-length: 5",
        "SERVER: x",
        "/p/ Date: x",
        "Transfer-Encoding: chunked",
        "Connection: close",
        "X: a\r\nY: b",
        "X: a\n",
        "X: caf\xc3\xa9",
        "X: a\x01",
        "\tX: a",
        " X: a",
        "X: a ",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char *argument = unit_string_copy(BAD[i], strlen(BAD[i]));
        if (CHECK(add_one(&rules, argument, error, sizeof error) == -1, "'%s' refused", BAD[i])) {
            CHECK(strncmp(error, "--header '", 10) == 0, "'%s': the reason names the flag: %s",
                  BAD[i], error);
            CHECK(strstr(error, argument) != NULL || strlen(argument) > 100,
                  "'%s': the reason quotes the argument", BAD[i]);
            CHECK(rules.count == 0, "'%s': no row stored", BAD[i]);
        }
        free(argument);
    }
}

static void test_caps(void)
{
    struct header_rules rules;
    char error[256];
    memset(&rules, 0, sizeof rules);
    static char texts[HEADER_RULES_MAX + 1][32];
    bool all = true;
    for (int i = 0; i < HEADER_RULES_MAX; i++) {
        snprintf(texts[i], sizeof texts[i], "X-%d: v", i);
        all = all && header_rules_add(&rules, texts[i], error, sizeof error) == 0;
    }
    CHECK(all && rules.count == HEADER_RULES_MAX, "%d rows accepted", HEADER_RULES_MAX);
    snprintf(texts[HEADER_RULES_MAX], sizeof texts[0], "X-last: v");
    CHECK(header_rules_add(&rules, texts[HEADER_RULES_MAX], error, sizeof error) == -1 &&
              strstr(error, "too many") != NULL,
          "row %d refused: %s", HEADER_RULES_MAX + 1, error);

    /* The text cap: rows of 4,000 bytes, the fifth past HEADER_RULES_TEXT_MAX. */
    memset(&rules, 0, sizeof rules);
    static char big[5][4001];
    int accepted = 0;
    for (int i = 0; i < 5; i++) {
        memset(big[i], 'v', 4000);
        memcpy(big[i], "X-Big: ", 7);
        big[i][4000] = '\0';
        if (header_rules_add(&rules, big[i], error, sizeof error) == 0)
            accepted++;
    }
    CHECK(accepted == HEADER_RULES_TEXT_MAX / 4000, "rows up to %d bytes of text: %d accepted",
          HEADER_RULES_TEXT_MAX, accepted);
    CHECK(strstr(error, "add up to more than") != NULL, "the text cap's reason: %s", error);
}

/* ---------------------------------------------------------------- selection */

static struct header_rules example;

static void build_example(void)
{
    char error[256];
    memset(&example, 0, sizeof example);
    static const char *const ROWS[] = {
        "X-Site: 1",                              /* 0 */
        "/assets/ Cache-Control: immutable",      /* 1 */
        "/assets/img/ Cache-Control: max-age=60", /* 2 */
        "/assets/ x-site: 2",                     /* 3: the same name, another case */
        "Link: <a>",                              /* 4 */
        "Link: <b>",                              /* 5: the same name and prefix: both */
    };
    bool all = true;
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        all = all && header_rules_add(&example, ROWS[i], error, sizeof error) == 0;
    all = all && header_rules_add_file_row(&example, "--cache-control", "Cache-Control", "no-cache",
                                           error, sizeof error) == 0; /* 6 */
    all = all && header_rules_finish(&example, error, sizeof error) == 0;
    CHECK(all, "the example rules: %s", error);
}

/* selected as "0 3 4" for messages and comparison */
static void expect_selection(const char *path, enum response_kind kind, const char *expected)
{
    static const char *const KINDS[] = {"error", "other", "file"};
    uint8_t selected[HEADER_RULES_MAX];
    char *copy = path ? unit_string_copy(path, strlen(path)) : NULL;
    size_t count = header_rules_select(&example, copy, path ? strlen(path) : 0, kind, selected);
    char got[128] = "";
    for (size_t i = 0; i < count; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%u", i ? " " : "", selected[i]);
    CHECK_STR(got, expected, "rows for %s %s", KINDS[kind], path ? path : "(no path)");
    free(copy);
}

static void test_selection(void)
{
    build_example();
    expect_selection("/index.html", RESPONSE_KIND_FILE, "0 4 5 6");
    expect_selection("/assets/x.css", RESPONSE_KIND_FILE, "1 3 4 5");
    expect_selection("/assets/", RESPONSE_KIND_FILE, "1 3 4 5");
    expect_selection("/assets/img/a.png", RESPONSE_KIND_FILE, "2 3 4 5");
    expect_selection("/assetsX/a.css", RESPONSE_KIND_FILE, "0 4 5 6"); /* no leak */
    expect_selection("/assets", RESPONSE_KIND_FILE, "0 4 5 6");
    expect_selection("/Assets/x.css", RESPONSE_KIND_FILE, "0 4 5 6"); /* paths are exact */
    expect_selection("/x/assets/a", RESPONSE_KIND_FILE, "0 4 5 6");
    expect_selection(NULL, RESPONSE_KIND_FILE, "0 4 5 6");
    expect_selection("/assets/", RESPONSE_KIND_OTHER, "1 3 4 5");
    expect_selection("/docs/", RESPONSE_KIND_OTHER, "0 4 5"); /* --cache-control: files only */
    expect_selection("/assets/x.css", RESPONSE_KIND_ERROR, "0 4 5");
    expect_selection("/assets/img/a", RESPONSE_KIND_ERROR, "0 4 5");
    expect_selection(NULL, RESPONSE_KIND_ERROR, "0 4 5");
    uint8_t selected[HEADER_RULES_MAX];
    CHECK(header_rules_select(NULL, "/", 1, RESPONSE_KIND_FILE, selected) == 0, "no rules");
    struct header_rules empty = {.count = 0};
    CHECK(header_rules_select(&empty, "/", 1, RESPONSE_KIND_FILE, selected) == 0, "empty rules");
    CHECK(header_rule_line_length(&example.rows[0]) == strlen("X-Site: 1\r\n"),
          "a row's line length");
}

/* ---------------------------------------------------------------- finish */

static int finish_with(const char *const *rows, size_t count, const char *cache_control,
                       char *error, size_t size)
{
    static struct header_rules rules;
    memset(&rules, 0, sizeof rules);
    for (size_t i = 0; i < count; i++)
        if (header_rules_add(&rules, rows[i], error, size) != 0)
            return -2;
    if (cache_control && header_rules_add_file_row(&rules, "--cache-control", "Cache-Control",
                                                   cache_control, error, size) != 0)
        return -2;
    return header_rules_finish(&rules, error, size);
}

/* "X-Pad: vvv…" whose line ("X-Pad: " value CRLF) is exactly `line` bytes. */
static char *padded_row(const char *prefix, const char *name, size_t line)
{
    size_t head = (prefix ? strlen(prefix) + 1 : 0) + strlen(name) + 2;
    size_t value = line - strlen(name) - 4;
    char *row = unit_reallocate(NULL, head + value + 1);
    snprintf(row, head + 1, "%s%s%s: ", prefix ? prefix : "", prefix ? " " : "", name);
    memset(row + head, 'v', value);
    row[head + value] = '\0';
    return row;
}

static void test_finish(void)
{
    char error[256];
    const char *site_wide[] = {"Cache-Control: max-age=60"};
    CHECK(finish_with(site_wide, 1, "no-cache", error, sizeof error) == -1 &&
              strstr(error, "--header 'Cache-Control: max-age=60'") != NULL,
          "--cache-control and a site-wide Cache-Control row conflict: %s", error);
    const char *prefixed[] = {"/assets/ Cache-Control: immutable"};
    CHECK(finish_with(prefixed, 1, "no-cache", error, sizeof error) == 0,
          "--cache-control with a prefix row overriding it: %s", error);
    CHECK(finish_with(site_wide, 1, NULL, error, sizeof error) == 0,
          "a site-wide Cache-Control row alone: %s", error);

    /* The budget: exactly RESPONSE_CONFIGURED_MAX bytes for one response, then one more. */
    char *rows[3];
    rows[0] = padded_row(NULL, "X-Pad", 1000);
    rows[1] = padded_row(NULL, "X-Rest", RESPONSE_CONFIGURED_MAX - 1000);
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == 0,
          "rows adding exactly %d bytes: %s", RESPONSE_CONFIGURED_MAX, error);
    free(rows[1]);
    rows[1] = padded_row(NULL, "X-Rest", RESPONSE_CONFIGURED_MAX - 1000 + 1);
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == -1 &&
              strstr(error, "--header: the rows could add") != NULL,
          "one byte more is refused: %s", error);
    free(rows[0]);
    free(rows[1]);

    /* Per response, not in total: /a/ and /b/ never meet, /a/ and /a/b/ do. */
    size_t most = RESPONSE_CONFIGURED_MAX - 200;
    rows[0] = padded_row("/a/", "X-A", most);
    rows[1] = padded_row("/b/", "X-B", most);
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == 0,
          "disjoint prefixes count apart: %s", error);
    free(rows[1]);
    rows[1] = padded_row("/a/b/", "X-B", most);
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == -1,
          "nested prefixes count together");
    free(rows[1]);
    rows[1] = padded_row("/a/b/", "X-A", most); /* the same name: the longer prefix replaces */
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == 0,
          "a nested row of the same name replaces, it does not add: %s", error);
    free(rows[1]);
    /* Site-wide rows count on every kind, errors included. */
    rows[1] = padded_row(NULL, "X-S", 300);
    CHECK(finish_with((const char *const *)rows, 2, NULL, error, sizeof error) == -1,
          "a site-wide row adds to a prefix's");
    free(rows[0]);
    free(rows[1]);
}

/* ---------------------------------------------------------------- config_parse */

static enum config_outcome parse_flags(const char *const *arguments, struct config *config,
                                       char *error, size_t size)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = unit_string_copy("prong", 5);
    for (size_t i = 0; arguments[i]; i++)
        argv[argc++] = unit_string_copy(arguments[i], strlen(arguments[i]));
    argv[argc] = NULL;
    enum config_outcome outcome = config_parse(argc, argv, config, error, size);
    /* The rows point into argv: checked by the caller before the copies go. */
    return outcome;
}

static void test_through_config(void)
{
    static struct config config;
    char error[512];
    const char *const ROWS[] = {
        "--root",          "/srv",          "--header", "X-Frame-Options: DENY",
        "--cache-control", "no-cache",      "--header", "/assets/ Cache-Control: immutable",
        "--error-page",    "404=/404.html", NULL};
    if (CHECK(parse_flags(ROWS, &config, error, sizeof error) == CONFIG_OK, "flags: %s", error)) {
        CHECK(config.headers.count == 3, "two --header rows and --cache-control's");
        CHECK(config.headers.rows[2].scope == HEADER_SCOPE_FILE &&
                  config.headers.rows[0].scope == HEADER_SCOPE_EVERY &&
                  config.headers.rows[1].scope == HEADER_SCOPE_PATH,
              "in command-line order, --cache-control's last");
        CHECK_STR(config.cache_control, "no-cache", "--cache-control is still a field");
        CHECK(config.error_pages.count == 1 && config.error_pages.pages[0].status == 404,
              "--error-page stored");
    }
    static const struct {
        const char *flag, *value, *mentions;
    } BAD[] = {
        {"--header", "Content-Length: 1", "--header 'Content-Length: 1': "},
        {"--header", "X: a\r\nprong: forged", "--header 'X: a??prong: forged': "},
        {"--cache-control", " no-cache", "--cache-control ' no-cache': "},
        {"--cache-control", "a\tb", "--cache-control: expected printable ASCII"},
        {"--error-page", "404=/.env", "--error-page '404=/.env': "},
        {"--error-page", "302=/x", "--error-page '302=/x': "},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const char *arguments[] = {"--root", "/srv", BAD[i].flag, BAD[i].value, NULL};
        if (CHECK(parse_flags(arguments, &config, error, sizeof error) == CONFIG_ERROR,
                  "%s '%s' refused", BAD[i].flag, BAD[i].value))
            CHECK(strstr(error, BAD[i].mentions) != NULL && strchr(error, '\n') == NULL &&
                      strchr(error, '\r') == NULL,
                  "%s: one line naming it: %s", BAD[i].flag, error);
    }
    const char *conflict[] = {"--root",   "/srv",     "--cache-control",
                              "no-cache", "--header", "cache-control: max-age=9",
                              NULL};
    CHECK(parse_flags(conflict, &config, error, sizeof error) == CONFIG_ERROR &&
              strstr(error, "--cache-control already sets") != NULL,
          "the conflict, case-insensitively: %s", error);
}

void test_site_headers(void)
{
    test_through_config();
    test_names();
    test_values();
    test_prefixes();
    test_arguments();
    test_caps();
    test_selection();
    test_finish();
}
