/* listing.h: render a directory listing as HTML or JSON (the pure half of --autoindex).
 *
 * Contract: listing_sort() orders entries directories first, then by name in
 * Unicode code point order (listing_compare_names: for valid UTF-8 that is byte
 * order; a byte that is not part of a valid UTF-8 sequence sorts after every
 * character, by its value). listing_render() returns the length of the rendered document
 * and writes it to out only when out is not NULL (size first, fill second).
 * Every name and the request path are escaped for their context (HTML text,
 * attribute, JSON string; links percent-encoded as one path segment), so a
 * file named "<script>" is shown, never run; the HTML page has no script and
 * is meant to be sent with LISTING_CSP. Dates are ISO 8601 UTC; a file's size is
 * shown in binary units with the exact count ("1.2 KiB (1,234)", "12 B") in
 * HTML, and as "size" (bytes) and "size_human" ("1.2 KiB") in JSON.
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

/* <0, 0, >0 as a sorts before, with or after b (code point order, above). */
int listing_compare_names(const char *a, size_t a_length, const char *b, size_t b_length);

/* "1.2 KiB", "12 B", "16.0 EiB": the size in binary units; its length. */
#define LISTING_SIZE_TEXT_MAX 32
size_t listing_format_size(uint64_t bytes, char out[LISTING_SIZE_TEXT_MAX]);

/* "1,234": the exact count with thousands separators; its length. */
size_t listing_format_exact(uint64_t bytes, char out[LISTING_SIZE_TEXT_MAX]);

size_t listing_render(const struct listing *listing, enum listing_format format, char *out);

#endif
