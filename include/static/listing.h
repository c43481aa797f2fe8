/* listing.h: render a directory listing as HTML or JSON (the pure half of --autoindex).
 *
 * Contract: listing_sort() orders entries directories first, then by name
 * byte by byte. listing_render() returns the length of the rendered document
 * and writes it to out only when out is not NULL (size first, fill second).
 * Every name and the request path are escaped for their context (HTML text,
 * attribute, JSON string; links percent-encoded as one path segment), so a
 * file named "<script>" is shown, never run; the HTML page has no script and
 * is meant to be sent with LISTING_CSP. Dates are ISO 8601 UTC; sizes are bytes.
 * Must not: allocate, touch the file system, or copy a name unescaped. */
#ifndef PRONG_LISTING_H
#define PRONG_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTING_CSP                                                                        \
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; " \
    "frame-ancestors 'none'"

enum listing_kind { LISTING_FILE, LISTING_DIRECTORY, LISTING_SYMLINK };
enum listing_format { LISTING_HTML, LISTING_JSON };

struct listing_entry {
    const char *name;
    size_t name_length;
    enum listing_kind kind;
    uint64_t size;    /* files only */
    int64_t modified; /* seconds since the epoch */
};

struct listing {
    const char *path; /* the request's decoded path, ending in '/' */
    size_t path_length;
    const struct listing_entry *entries;
    size_t count;
    bool truncated; /* more entries existed than were read */
    size_t cap;     /* the entry cap, for the truncation notice */
};

void listing_sort(struct listing_entry *entries, size_t count);

size_t listing_render(const struct listing *listing, enum listing_format format, char *out);

#endif
