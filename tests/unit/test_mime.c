/* test_mime.c: unit tests of src/static/mime.c (include/static/mime.h).
 *
 * What it does: checks the built-in table first (common types by extension,
 * any case, the last extension winning, names without one, dotfiles, a dot in
 * a directory name, a trailing dot, the length honoured), then mime_load_file()
 * with mime.types files written to the scratch directory: comments, several
 * extensions per type, tabs and CRLF, a loaded type overriding a built-in one;
 * and refusals (a malformed type line, with its line number; a nonexistent
 * file) that leave the table as it was.
 *
 * Contract: names are exact heap copies of the length passed; the loaded table
 * is process-wide, so the built-in checks run before any load.
 * Must not: write outside unit_scratch_dir (files are removed again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "static/mime.h"
#include "unit.h"
#include "unit_suites.h"

#define OCTET_STREAM "application/octet-stream"

static const char *type_of_exact(const char *name, size_t length)
{
    char *copy = unit_exact_copy(name, length);
    const char *type = mime_type_for(copy, length);
    free(copy);
    return type;
}

static void check_type(const char *name, const char *expected)
{
    CHECK_STR(type_of_exact(name, strlen(name)), expected, "mime_type_for(\"%s\")", name);
}

static void test_built_in(void)
{
    check_type("index.html", "text/html; charset=utf-8");
    check_type("page.htm", "text/html; charset=utf-8");
    check_type("style.css", "text/css; charset=utf-8");
    check_type("app.js", "text/javascript; charset=utf-8");
    check_type("notes.txt", "text/plain; charset=utf-8");
    check_type("data.json", "application/json");
    check_type("logo.svg", "image/svg+xml");
    check_type("photo.png", "image/png");
    check_type("photo.jpg", "image/jpeg");
    check_type("photo.jpeg", "image/jpeg");
    check_type("font.woff2", "font/woff2");
    check_type("module.wasm", "application/wasm");
    check_type("paper.pdf", "application/pdf");
    check_type("clip.mp4", "video/mp4");
    /* Case does not matter. */
    check_type("INDEX.HTML", "text/html; charset=utf-8");
    check_type("Photo.JpEg", "image/jpeg");
    check_type("a.Css", "text/css; charset=utf-8");
    /* The last extension wins. */
    check_type("archive.tar.gz", "application/gzip");
    check_type("archive.gz.tar", "application/x-tar");
    check_type("page.html.txt", "text/plain; charset=utf-8");
    check_type("evil.png.html", "text/html; charset=utf-8");
    check_type("evil.html.png", "image/png");
    /* No extension, dotfiles, dots in directory names, a trailing dot. */
    check_type("README", OCTET_STREAM);
    check_type("", OCTET_STREAM);
    check_type(".", OCTET_STREAM);
    check_type("..", OCTET_STREAM);
    check_type(".gitignore", OCTET_STREAM);
    check_type("dir/.hidden", OCTET_STREAM);
    check_type("site.d/README", OCTET_STREAM);
    check_type("a.html/README", OCTET_STREAM);
    check_type("a.html/", OCTET_STREAM);
    check_type("file.", OCTET_STREAM);
    check_type("index.html.", OCTET_STREAM);
    check_type("file.unknownext", OCTET_STREAM);
    check_type("file.htmlx", OCTET_STREAM);
    check_type("file.htm l", OCTET_STREAM);
    check_type("file.ht", OCTET_STREAM);
    /* The length is honoured: only the first `length` bytes are the name. */
    CHECK_STR(type_of_exact("a.html.gz", 6), "text/html; charset=utf-8",
              "mime_type_for(\"a.html.gz\", 6)");
    CHECK_STR(type_of_exact("a.css", 4), OCTET_STREAM, "mime_type_for(\"a.css\", 4) (\"a.cs\")");
}

/* Writes text to a scratch file; the caller unlinks the path. */
static void write_scratch(const char *name, const char *text, char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/%s", unit_scratch_dir, name);
    FILE *file = fopen(path, "w");
    if (!file || fputs(text, file) < 0 || fclose(file) != 0) {
        fprintf(stderr, "test_unit: cannot write %s\n", path);
        exit(2);
    }
}

static void test_loaded(void)
{
    char path[4096], error[512];
    static const char GOOD[] =
        "# mime.types for the tests\n"
        "\n"
        "text/x-custom   foo  bar\tbaz   # a comment with words: trailing comment\n"
        "application/x-override html\n"
        "   \t  \n"
        "image/x-crlf crlf\r\n"
        "\tapplication/x-indented\tindented\n"
        "application/x-no-extensions\n"
        "#text/x-commented-out commented\n"
        "application/x-last last";
    write_scratch("good.types", GOOD, path, sizeof path);
    memset(error, '#', sizeof error);
    CHECK_INT(mime_load_file(path, error, sizeof error), 0, "mime_load_file(good.types)");
    unlink(path);
    check_type("a.foo", "text/x-custom");
    check_type("a.BAR", "text/x-custom");
    check_type("a.baz", "text/x-custom");
    check_type("index.html",
               "application/x-override"); /* a loaded entry wins over the built-in one */
    check_type("INDEX.HTML", "application/x-override");
    check_type("style.css",
               "text/css; charset=utf-8"); /* the rest of the built-in table still answers */
    check_type("x.crlf", "image/x-crlf");
    check_type("x.indented", "application/x-indented");
    check_type("x.last", "application/x-last");
    check_type("x.comment", OCTET_STREAM);
    check_type("x.words", OCTET_STREAM);
    check_type("x.commented", OCTET_STREAM);
    check_type("x.custom", OCTET_STREAM);

    /* Refusals: a type without '/' or with bytes a header cannot carry. */
    static const struct {
        const char *text;
        const char *line;
    } BAD[] = {
        {"text/plain txt\ntext html\n", "line 2"}, {"# one\n\ntext/x\"quoted q\n", "line 3"},
        {"text/x\\backslash b\n", "line 1"},       {"text/x\x01control c\n", "line 1"},
        {"text/caf\xc3\xa9 cafe\n", "line 1"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        write_scratch("bad.types", BAD[i].text, path, sizeof path);
        memset(error, '#', sizeof error);
        error[sizeof error - 1] = '\0';
        CHECK_INT(mime_load_file(path, error, sizeof error), -1, "mime_load_file of bad file %zu",
                  i);
        CHECK(strstr(error, BAD[i].line) != NULL && strstr(error, path) != NULL &&
                  strchr(error, '\n') == NULL,
              "bad file %zu: one line naming the file and %s, got \"%s\"", i, BAD[i].line, error);
        unlink(path);
        /* The table loaded before is still in use. */
        check_type("a.foo", "text/x-custom");
        check_type("notes.txt", "text/plain; charset=utf-8");
    }

    snprintf(path, sizeof path, "%s/does-not-exist.types", unit_scratch_dir);
    memset(error, '#', sizeof error);
    error[sizeof error - 1] = '\0';
    CHECK_INT(mime_load_file(path, error, sizeof error), -1, "mime_load_file of a missing file");
    CHECK(strstr(error, path) != NULL && strstr(error, "No such file or directory") != NULL,
          "the error names the missing file and why, got \"%s\"", error);
    check_type("index.html", "application/x-override");
}

void test_mime(void)
{
    test_built_in();
    test_loaded();
}
