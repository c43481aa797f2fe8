/* error_pages.h: the administrator's error pages (--error-page STATUS=/path).
 *
 * Contract: error_pages_add() checks one argument and stores it: STATUS is one
 * of the error statuses prong answers with (error_pages.c lists them), given at
 * most once; the path names a file inside the document root as a request path
 * would (it starts with '/', does not end with one, has no empty, "." or ".."
 * segment, no control byte, and no segment starting with '.' except a leading
 * "/.well-known/", the dotfile rule). error_pages_find() gives a status's path.
 * Serving the page (a connection process opens it under the --symlinks policy,
 * like any file) is static_files.c's; reporting a missing one at start-up too.
 * Must not: touch the file system, or accept a path the dotfile rule refuses. */
#ifndef PRONG_ERROR_PAGES_H
#define PRONG_ERROR_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "fixed_limits.h"

/* What a configured page is sent with, besides what every error page has: it
 * may load the site's own styles, images and fonts, never a script, a frame, a
 * form target or a base URL (the built-in pages get default-src 'none'). */
#define ERROR_PAGE_CSP                                                             \
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct error_page {
    int status;
    const char *path; /* as given, starting with '/' */
};

struct error_pages {
    struct error_page pages[ERROR_PAGES_MAX];
    size_t count;
};

/* One --error-page argument: 0, or -1 with a one-line reason naming it. */
int error_pages_add(struct error_pages *pages, const char *argument, char *error,
                    size_t error_size);

/* The path configured for status, or NULL. */
const char *error_pages_find(const struct error_pages *pages, int status);

/* Whether status is one --error-page accepts. */
bool error_pages_status_allowed(int status);

/* The statuses it accepts, as text for messages and documents ("400, 403, ..."). */
const char *error_pages_statuses_text(void);

#endif
