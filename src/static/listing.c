/* listing.c: directory listings as HTML or JSON, every untrusted byte escaped.
 *
 * Links are relative ("./NAME", "./NAME/" for directories) with the name
 * percent-encoded as one segment, so a name such as "javascript:x" or "a?b"
 * stays a file name. The HTML is static: no script, inline style only (hence
 * "style-src 'unsafe-inline'" in LISTING_CSP). Sorting is a heapsort over the
 * caller's array: no allocation (glibc's qsort may allocate and ask sysconf,
 * whose syscalls the jail does not allow), directories first, then names by
 * Unicode code point (strcoll would need a locale the jail cannot load, and
 * would make the order depend on the host). Sizes are shown twice in HTML,
 * binary units beside the exact count ("1.2 KiB (1,234)"), and JSON keeps
 * "size" (bytes) and adds "size_human".
 * Must not: allocate, or write past the length it returned when sizing. */
#include "static/listing.h"

#include <stdio.h>
#include <string.h>

#include "http/http_date.h"
#include "http/text_escape.h"

/* ---------------------------------------------------------------- sorting */

/* The next character of a name as a number to sort by: its code point when the
 * bytes at *at are a valid UTF-8 sequence (RFC 3629: shortest form, no
 * surrogate, at most U+10FFFF), else 0x110000 + the byte (one byte consumed),
 * so a name with an invalid byte sorts after every valid character at that
 * place. For valid UTF-8 this is byte order, which UTF-8 was made to keep. */
static uint32_t next_sort_value(const unsigned char *name, size_t length, size_t *at)
{
    unsigned char lead = name[*at];
    size_t continuation;
    uint32_t value, minimum;
    if (lead < 0x80) {
        *at += 1;
        return lead;
    }
    if (lead >= 0xc2 && lead <= 0xdf)
        continuation = 1, value = lead & 0x1fu, minimum = 0x80;
    else if (lead >= 0xe0 && lead <= 0xef)
        continuation = 2, value = lead & 0x0fu, minimum = 0x800;
    else if (lead >= 0xf0 && lead <= 0xf4)
        continuation = 3, value = lead & 0x07u, minimum = 0x10000;
    else
        continuation = 0, value = 0, minimum = 1; /* 0x80-0xc1, 0xf5-0xff: never a lead */
    bool valid = continuation > 0 && *at + continuation < length;
    for (size_t i = 1; valid && i <= continuation; i++) {
        if ((name[*at + i] & 0xc0u) != 0x80u)
            valid = false;
        else
            value = value << 6 | (name[*at + i] & 0x3fu);
    }
    if (!valid || value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
        *at += 1;
        return 0x110000u + lead;
    }
    *at += continuation + 1;
    return value;
}

int listing_compare_names(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t i = 0, j = 0;
    while (i < a_length && j < b_length) {
        uint32_t x = next_sort_value((const unsigned char *)a, a_length, &i);
        uint32_t y = next_sort_value((const unsigned char *)b, b_length, &j);
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (i < a_length)
        return 1;
    return j < b_length ? -1 : 0;
}

static int compare_names(const struct listing_entry *a, const struct listing_entry *b)
{
    return listing_compare_names(a->name, a->name_length, b->name, b->name_length);
}

static int compare_entries(const struct listing_entry *a, const struct listing_entry *b)
{
    bool a_directory = a->kind == LISTING_DIRECTORY, b_directory = b->kind == LISTING_DIRECTORY;
    if (a_directory != b_directory)
        return a_directory ? -1 : 1;
    return compare_names(a, b);
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

/* ---------------------------------------------------------------- sizes */

size_t listing_format_exact(uint64_t bytes, char out[LISTING_SIZE_TEXT_MAX])
{
    char digits[24];
    size_t count = 0, used = 0;
    do {
        digits[count++] = (char)('0' + bytes % 10);
        bytes /= 10;
    } while (bytes > 0);
    while (count > 0) {
        out[used++] = digits[--count];
        if (count > 0 && count % 3 == 0)
            out[used++] = ',';
    }
    out[used] = '\0';
    return used;
}

/* Binary units as ls -h and most listings use them: one decimal below 10 of a
 * unit ("1.2 KiB"), whole units from 10 ("12 KiB", "1023 KiB"), rounded half up;
 * a value that rounds to 1024 of a unit is shown as 1.0 of the next. */
size_t listing_format_size(uint64_t bytes, char out[LISTING_SIZE_TEXT_MAX])
{
    static const char *const UNITS[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t unit = 0;
    while (unit + 1 < sizeof UNITS / sizeof UNITS[0] && bytes >> (10 * (unit + 1)) > 0)
        unit++;
    if (unit == 0)
        return (size_t)snprintf(out, LISTING_SIZE_TEXT_MAX, "%llu B", (unsigned long long)bytes);
    uint64_t divisor = 1ull << (10 * unit), whole = bytes / divisor, rest = bytes % divisor;
    /* rest < 2^60, so rest * 10 fits in 64 bits */
    uint64_t tenths = whole * 10 + (rest * 10 + divisor / 2) / divisor;
    uint64_t rounded = whole + (rest >= divisor - rest ? 1 : 0);
    if (tenths < 100)
        return (size_t)snprintf(out, LISTING_SIZE_TEXT_MAX, "%llu.%llu %s",
                                (unsigned long long)(tenths / 10),
                                (unsigned long long)(tenths % 10), UNITS[unit]);
    if (rounded < 1024 || unit + 1 == sizeof UNITS / sizeof UNITS[0])
        return (size_t)snprintf(out, LISTING_SIZE_TEXT_MAX, "%llu %s", (unsigned long long)rounded,
                                UNITS[unit]);
    return (size_t)snprintf(out, LISTING_SIZE_TEXT_MAX, "1.0 %s", UNITS[unit + 1]);
}

static void put_size(struct text_sink *sink, uint64_t bytes, bool with_exact)
{
    char text[LISTING_SIZE_TEXT_MAX];
    text_sink_put(sink, text, listing_format_size(bytes, text));
    if (!with_exact || bytes < 1024)
        return;
    put_text(sink, " (");
    text_sink_put(sink, text, listing_format_exact(bytes, text));
    put_text(sink, ")");
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
        put_size(sink, entry->size, true);
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
        put_text(sink, ",\"size_human\":\"");
        put_size(sink, entry->size, false);
        put_text(sink, "\",");
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
