/* listing.c: directory listings as HTML or JSON, every untrusted byte escaped.
 *
 * Links are relative ("./NAME", "./NAME/" for directories) with the name
 * percent-encoded as one segment, so a name such as "javascript:x" or "a?b"
 * stays a file name. The HTML is static: no script, inline style only (hence
 * "style-src 'unsafe-inline'" in LISTING_CSP). Sorting is a heapsort over the
 * caller's array: no allocation (glibc's qsort may allocate and ask sysconf,
 * whose syscalls the jail does not allow).
 * Must not: allocate, or write past the length it returned when sizing. */
#include "static/listing.h"

#include <stdio.h>
#include <string.h>

#include "http/http_date.h"
#include "http/text_escape.h"

/* ---------------------------------------------------------------- sorting */

static int compare_entries(const struct listing_entry *a, const struct listing_entry *b)
{
    bool a_directory = a->kind == LISTING_DIRECTORY, b_directory = b->kind == LISTING_DIRECTORY;
    if (a_directory != b_directory)
        return a_directory ? -1 : 1;
    size_t shorter = a->name_length < b->name_length ? a->name_length : b->name_length;
    int order = memcmp(a->name, b->name, shorter);
    if (order != 0)
        return order;
    return a->name_length < b->name_length ? -1 : (a->name_length > b->name_length ? 1 : 0);
}

static void swap_entries(struct listing_entry *a, struct listing_entry *b)
{
    struct listing_entry kept = *a;
    *a = *b;
    *b = kept;
}

static void sift_down(struct listing_entry *entries, size_t start, size_t end)
{
    size_t root = start;
    while (2 * root + 1 < end) {
        size_t child = 2 * root + 1;
        if (child + 1 < end && compare_entries(&entries[child], &entries[child + 1]) < 0)
            child++;
        if (compare_entries(&entries[root], &entries[child]) >= 0)
            return;
        swap_entries(&entries[root], &entries[child]);
        root = child;
    }
}

void listing_sort(struct listing_entry *entries, size_t count)
{
    if (count < 2)
        return;
    for (size_t start = count / 2; start-- > 0;)
        sift_down(entries, start, count);
    for (size_t end = count - 1; end > 0; end--) {
        swap_entries(&entries[0], &entries[end]);
        sift_down(entries, 0, end);
    }
}

/* ---------------------------------------------------------------- rendering */

static void put_text(struct text_sink *sink, const char *text)
{
    text_sink_put(sink, text, strlen(text));
}

typedef size_t (*escape_function)(const char *, size_t, char *);

static void put_escaped(struct text_sink *sink, escape_function escape, const char *text,
                        size_t length)
{
    sink->length += escape(text, length, sink->out ? sink->out + sink->length : NULL);
}

static void put_number(struct text_sink *sink, uint64_t value)
{
    char digits[24];
    int length = snprintf(digits, sizeof digits, "%llu", (unsigned long long)value);
    text_sink_put(sink, digits, (size_t)length);
}

static void put_date(struct text_sink *sink, int64_t seconds)
{
    char date[32];
    http_date_format_iso(seconds, date);
    put_text(sink, date);
}

static void render_html_entry(struct text_sink *sink, const struct listing_entry *entry)
{
    bool directory = entry->kind == LISTING_DIRECTORY;
    put_text(sink, "<tr><td><a href=\"./");
    put_escaped(sink, escape_uri_component, entry->name, entry->name_length);
    put_text(sink, directory ? "/\">" : "\">");
    put_escaped(sink, escape_html, entry->name, entry->name_length);
    put_text(sink, directory ? "/</a></td><td class=\"size\">" : "</a></td><td class=\"size\">");
    if (entry->kind == LISTING_FILE)
        put_number(sink, entry->size);
    else
        put_text(sink, entry->kind == LISTING_SYMLINK ? "link" : "-");
    put_text(sink, "</td><td>");
    put_date(sink, entry->modified);
    put_text(sink, "</td></tr>\n");
}

static void render_html(struct text_sink *sink, const struct listing *listing)
{
    put_text(sink, "<!doctype html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">\n<title>Index of ");
    put_escaped(sink, escape_html, listing->path, listing->path_length);
    put_text(sink, "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}"
                   "table{border-collapse:collapse}th,td{padding:.2em 1em;text-align:left}"
                   "td.size{text-align:right}</style>\n</head>\n<body>\n<h1>Index of ");
    put_escaped(sink, escape_html, listing->path, listing->path_length);
    put_text(sink, "</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th><th>Modified "
                   "(UTC)</th></tr></thead>\n"
                   "<tbody>\n");
    if (listing->path_length > 1)
        put_text(sink, "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    for (size_t i = 0; i < listing->count; i++)
        render_html_entry(sink, &listing->entries[i]);
    put_text(sink, "</tbody>\n</table>\n");
    if (listing->truncated) {
        put_text(sink, "<p>Only the first ");
        put_number(sink, listing->cap);
        put_text(sink, " entries are listed.</p>\n");
    }
    put_text(sink, "</body>\n</html>\n");
}

static void render_json_entry(struct text_sink *sink, const struct listing_entry *entry)
{
    static const char *const KINDS[] = {"file", "directory", "symlink"};
    put_text(sink, "{\"name\":\"");
    put_escaped(sink, escape_json, entry->name, entry->name_length);
    put_text(sink, "\",\"href\":\"./");
    put_escaped(sink, escape_uri_component, entry->name, entry->name_length);
    put_text(sink, entry->kind == LISTING_DIRECTORY ? "/\",\"type\":\"" : "\",\"type\":\"");
    put_text(sink, KINDS[entry->kind]);
    put_text(sink, "\",");
    if (entry->kind == LISTING_FILE) {
        put_text(sink, "\"size\":");
        put_number(sink, entry->size);
        put_text(sink, ",");
    }
    put_text(sink, "\"modified\":\"");
    put_date(sink, entry->modified);
    put_text(sink, "\"}");
}

static void render_json(struct text_sink *sink, const struct listing *listing)
{
    put_text(sink, "{\"path\":\"");
    put_escaped(sink, escape_json, listing->path, listing->path_length);
    put_text(sink, "\",\"entries\":[");
    for (size_t i = 0; i < listing->count; i++) {
        if (i > 0)
            put_text(sink, ",");
        render_json_entry(sink, &listing->entries[i]);
    }
    put_text(sink, listing->truncated ? "],\"truncated\":true}\n" : "],\"truncated\":false}\n");
}

size_t listing_render(const struct listing *listing, enum listing_format format, char *out)
{
    struct text_sink sink = {out, 0};
    if (format == LISTING_JSON)
        render_json(&sink, listing);
    else
        render_html(&sink, listing);
    return sink.length;
}
