/* test_site_pages.c: unit tests of src/static/error_pages.c (--error-page) and
 * src/static/redirect.c (the trailing-slash redirect's Location).
 *
 * What it does: error pages: every status --error-page accepts, and others
 * refused; paths a request could name and the dotfile rule allows, accepted,
 * and those it would refuse, refused with a one-line reason naming the flag and
 * the argument; a status given twice; lookups. Redirects: written cases (the
 * query kept as received where safe, re-encoded where not; runs of '/' merged,
 * so "//host" never becomes a network-path Location); every byte in the path
 * and in the query, checked against the URI sets by a model written here; 2,000
 * random paths of '/', 'a' and '%' never giving "//"; and the output size
 * exactly at the limit and one byte short.
 * Must not: touch the file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "unit_suites.h"
#include "static/error_pages.h"
#include "static/redirect.h"

/* ---------------------------------------------------------------- error pages */

static int add_page(struct error_pages *pages, const char *argument, char *error, size_t size)
{
    char *copy = unit_string_copy(argument, strlen(argument));
    memset(error, '#', size);
    error[size - 1] = '\0';
    int result = error_pages_add(pages, copy, error, size);
    /* The stored path points into the argument: keep the copy while the table lives. */
    if (result != 0)
        free(copy);
    return result;
}

void test_site_error_pages(void)
{
    static const int ACCEPTED[] = {400, 403, 404, 405, 408, 412, 413,
                                   414, 416, 431, 500, 501, 503, 505};
    for (int status = 0; status < 1000; status++) {
        bool expected = false;
        for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++)
            expected = expected || ACCEPTED[i] == status;
        CHECK(error_pages_status_allowed(status) == expected, "status %d %s", status,
              expected ? "accepted" : "refused");
    }
    struct error_pages pages = {.count = 0};
    char error[256];
    for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++) {
        char argument[64];
        snprintf(argument, sizeof argument, "%d=/errors/%d.html", ACCEPTED[i], ACCEPTED[i]);
        CHECK(add_page(&pages, argument, error, sizeof error) == 0, "'%s' accepted: %s", argument,
              error);
    }
    CHECK(pages.count == sizeof ACCEPTED / sizeof ACCEPTED[0], "a page for every status");
    CHECK_STR(error_pages_find(&pages, 404), "/errors/404.html", "the 404 page");
    CHECK(error_pages_find(&pages, 402) == NULL && error_pages_find(NULL, 404) == NULL,
          "no page for 402, none without a table");
    CHECK(add_page(&pages, "404=/other.html", error, sizeof error) == -1 &&
              strstr(error, "has a page already") != NULL,
          "404 twice: %s", error);

    static const char *const GOOD[] = {
        "404=/404.html", "404=/a/b/c.html", "404=/.well-known/x.html", "404=/a.b",
        "404=/a/b..x",   "404=/x y.html",   "404=/\xc3\xa9.html"};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        struct error_pages one = {.count = 0};
        CHECK(add_page(&one, GOOD[i], error, sizeof error) == 0, "'%s' accepted: %s", GOOD[i],
              error);
        CHECK(one.count == 1 && one.pages[0].status == 404 &&
                  strcmp(one.pages[0].path, strchr(GOOD[i], '=') + 1) == 0,
              "'%s' stored", GOOD[i]);
    }
    static const char *const BAD[] = {
        "404",
        "404=",
        "404=404.html",
        "404=/",
        "404=/errors/",
        "404=//x.html",
        "404=/a//b.html",
        "404=/.hidden.html",
        "404=/a/.git/x",
        "404=/./x.html",
        "404=/../x.html",
        "404=/a/..",
        "404=/..x",
        "404=/.well-known/.x",
        "404=/.well-known",
        "200=/ok.html",
        "302=/x.html",
        "999=/x",
        "4040=/x",
        "40=/x",
        "+404=/x",
        " 404=/x",
        "404 =/x",
        "404=/a\x01.html",
        "404=/a\x7f",
        "=/x.html",
        "abc=/x.html",
        "404=\\x.html",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        struct error_pages one = {.count = 0};
        if (CHECK(add_page(&one, BAD[i], error, sizeof error) == -1, "'%s' refused", BAD[i])) {
            CHECK(strncmp(error, "--error-page '", 14) == 0 && strchr(error, '\n') == NULL,
                  "'%s': one line naming the flag: %s", BAD[i], error);
            CHECK(strstr(error, BAD[i]) != NULL, "'%s': the reason quotes the argument", BAD[i]);
            CHECK(one.count == 0, "'%s': nothing stored", BAD[i]);
        }
    }
    /* A segment longer than NAME_MAX. */
    char long_name[300] = "404=/";
    memset(long_name + 5, 'n', 256);
    long_name[261] = '\0';
    struct error_pages one = {.count = 0};
    CHECK(add_page(&one, long_name, error, sizeof error) == -1, "a 256-byte segment refused");
    long_name[260] = '\0';
    CHECK(add_page(&one, long_name, error, sizeof error) == 0, "a 255-byte segment accepted");
}

/* ---------------------------------------------------------------- redirect */

static void expect_location(const char *path, size_t path_length, const char *query,
                            size_t query_length, const char *expected)
{
    char *path_copy = unit_string_copy(path, path_length);
    char *query_copy = query ? unit_string_copy(query, query_length) : NULL;
    size_t size = strlen(expected) + 1;
    char *out = unit_reallocate(NULL, size); /* exactly what it needs: ASan sees one byte more */
    size_t length = redirect_location(path_copy, path_length, query != NULL, query_copy,
                                      query_length, out, size);
    if (CHECK(length == strlen(expected), "Location of '%s': length %zu, expected %zu", path,
              length, strlen(expected)))
        CHECK_STR(out, expected, "Location of '%s'", path);
    /* One byte short: refused, never cut. */
    CHECK(redirect_location(path_copy, path_length, query != NULL, query_copy, query_length, out,
                            size - 1) == 0,
          "Location of '%s' in one byte less: refused", path);
    free(out);
    free(path_copy);
    free(query_copy);
}

#define Q(text) (text), (sizeof(text) - 1)

static bool is_uri_path_byte(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           (byte >= '0' && byte <= '9') || (byte != 0 && strchr("-._~/%", byte) != NULL);
}

static bool is_uri_query_byte(unsigned char byte)
{
    return is_uri_path_byte(byte) || (byte != 0 && strchr("!$&'()*+,;=:@?", byte) != NULL);
}

void test_site_redirect(void)
{
    expect_location(Q("/docs"), NULL, 0, "/docs/");
    expect_location(Q("/docs"), Q("x=1"), "/docs/?x=1");
    expect_location(Q("/docs"), Q(""), "/docs/?");
    expect_location(Q("/docs"), Q("x=1&y=%2F&z=a+b"), "/docs/?x=1&y=%2F&z=a+b");
    expect_location(Q("/docs"), Q("a:b@c/d?e!$&'()*,;="), "/docs/?a:b@c/d?e!$&'()*,;=");
    expect_location(Q("/docs"), Q("a%zz%4"), "/docs/?a%25zz%254");
    expect_location(Q("/docs"), Q("%41%4a%4A"), "/docs/?%41%4a%4A");
    expect_location(Q("/docs"), Q("a b\"<>#{}|\\^`"), "/docs/?a%20b%22%3C%3E%23%7B%7D%7C%5C%5E%60");
    expect_location(Q("/docs"), Q("x\r\nSet-Cookie: a=1"), "/docs/?x%0D%0ASet-Cookie:%20a=1");
    expect_location(Q("/docs"), Q("\xc3\xa4\x7f\x01"), "/docs/?%C3%A4%7F%01");
    expect_location(Q("//example.com"), NULL, 0, "/example.com/");
    expect_location(Q("///example.com"), Q("x"), "/example.com/?x");
    expect_location(Q("/a//b///c"), NULL, 0, "/a/b/c/");
    expect_location(Q("/a b"), NULL, 0, "/a%20b/");
    expect_location(Q("/\xc3\xa4"), NULL, 0, "/%C3%A4/");
    expect_location(Q("/a\r\nb"), NULL, 0, "/a%0D%0Ab/");
    expect_location(Q("/a?b#c%d"), NULL, 0, "/a%3Fb%23c%25d/");
    expect_location(Q("/j:x"), NULL, 0, "/j%3Ax/");
    expect_location(Q("docs"), NULL, 0, "/docs/");
    expect_location(Q("/"), NULL, 0, "/");
    expect_location(Q(""), Q("x"), "/?x");

    /* Every byte, alone in the path and in the query: only URI bytes come out. */
    char out[64];
    for (int byte = 0; byte < 256; byte++) {
        char path[3] = {'/', 'd', (char)byte};
        size_t length = redirect_location(path, 3, true, path + 2, 1, out, sizeof out);
        bool only_uri = length > 0;
        size_t question = strcspn(out, "?");
        for (size_t i = 0; i < length; i++)
            only_uri = only_uri && (i < question ? is_uri_path_byte((unsigned char)out[i])
                                                 : is_uri_query_byte((unsigned char)out[i]));
        CHECK(only_uri, "byte 0x%02x: Location '%s' has only URI bytes", byte, out);
        CHECK(strncmp(out, "/d", 2) == 0 && out[1] != '/', "byte 0x%02x: one leading '/'", byte);
    }
    /* Random paths of '/', 'a' and '%': never a leading "//", never "//" at all. */
    uint64_t state = unit_random_state(0x9e3779b97f4a7c15ull);
    for (int round = 0; round < 2000; round++) {
        char path[40];
        size_t length = 1 + unit_random(&state) % 30;
        for (size_t i = 0; i < length; i++)
            path[i] = "/a%"[unit_random(&state) % 3];
        char *copy = unit_string_copy(path, length);
        char location[160];
        size_t written = redirect_location(copy, length, false, NULL, 0, location, sizeof location);
        CHECK(written > 0 && location[0] == '/' && strstr(location, "//") == NULL,
              "random path %zu bytes: Location '%s'", length, location);
        free(copy);
    }
    CHECK(redirect_location("/a", 2, false, NULL, 0, out, 0) == 0, "no room at all");
}
