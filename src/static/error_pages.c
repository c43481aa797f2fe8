/* error_pages.c: check and look up --error-page STATUS=/path (contract in
 * include/static/error_pages.h).
 *
 * The statuses are the error statuses prong itself answers with (the parser's,
 * the connection's and the static layer's; docs/conformance.md and
 * docs/static-files.md list their causes). The path is checked as the parser
 * and the dotfile rule would check a request path, so a page is never a file
 * no request could be served.
 * Must not: touch the file system. */
#include "static/error_pages.h"

#include <stdio.h>
#include <string.h>

#include "http/http_parser.h"

static const int STATUSES[] = {400, 403, 404, 405, 408, 412, 413,
                               414, 416, 431, 500, 501, 503, 505};
_Static_assert(sizeof STATUSES / sizeof STATUSES[0] <= ERROR_PAGES_MAX, "ERROR_PAGES_MAX");

bool error_pages_status_allowed(int status)
{
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        if (STATUSES[i] == status)
            return true;
    return false;
}

const char *error_pages_statuses_text(void)
{
    return "400, 403, 404, 405, 408, 412, 413, 414, 416, 431, 500, 501, 503 or 505";
}

const char *error_pages_find(const struct error_pages *pages, int status)
{
    for (size_t i = 0; pages && i < pages->count; i++)
        if (pages->pages[i].status == status)
            return pages->pages[i].path;
    return NULL;
}

/* NULL when path is one a request could name and the dotfile rule allows. */
static const char *path_problem(const char *path)
{
    static const char WELL_KNOWN[] = "/.well-known/";
    size_t length = strlen(path);
    if (path[0] != '/' || length < 2 || path[length - 1] == '/')
        return "the page is a file path starting with '/'";
    if (length >= HTTP_MAX_PATH)
        return "the path is longer than a path may be";
    size_t start =
        strncmp(path, WELL_KNOWN, sizeof WELL_KNOWN - 1) == 0 ? sizeof WELL_KNOWN - 2 : 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)path[i];
        if (byte < 0x20 || byte == 0x7f)
            return "the path has a control byte";
        if (byte != '/')
            continue;
        size_t end = i + 1;
        while (end < length && path[end] != '/')
            end++;
        if (end == i + 1)
            return "the path has an empty segment ('//')";
        if (end - i - 1 > HTTP_MAX_SEGMENT)
            return "a segment of the path is longer than a file name may be";
        if (i >= start && path[i + 1] == '.')
            return "the path has a segment starting with '.' (dotfiles are never served)";
    }
    return NULL;
}

/* "404" exactly: three digits, nothing else. */
static int parse_status(const char *text, size_t length)
{
    if (length != 3)
        return -1;
    int status = 0;
    for (size_t i = 0; i < 3; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        status = status * 10 + (text[i] - '0');
    }
    return status;
}

int error_pages_add(struct error_pages *pages, const char *argument, char *error, size_t error_size)
{
    const char *equals = strchr(argument, '=');
    int status = equals ? parse_status(argument, (size_t)(equals - argument)) : -1;
    if (!equals || !error_pages_status_allowed(status)) {
        snprintf(error, error_size, "--error-page '%s': expected STATUS=/PATH with STATUS %s",
                 argument, error_pages_statuses_text());
        return -1;
    }
    if (error_pages_find(pages, status)) {
        snprintf(error, error_size, "--error-page '%s': status %d has a page already", argument,
                 status);
        return -1;
    }
    const char *problem = path_problem(equals + 1);
    if (problem) {
        snprintf(error, error_size, "--error-page '%s': %s", argument, problem);
        return -1;
    }
    if (pages->count >= ERROR_PAGES_MAX) {
        snprintf(error, error_size, "--error-page '%s': too many pages", argument);
        return -1;
    }
    pages->pages[pages->count++] = (struct error_page){status, equals + 1};
    return 0;
}
