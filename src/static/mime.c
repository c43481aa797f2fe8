/* mime.c: the built-in MIME table and an optional mime.types file.
 *
 * The built-in table covers the web's common types (IANA registrations, the
 * WHATWG MIME Sniffing list and what nginx ships in mime.types); text types carry
 * "charset=utf-8" so browsers do not guess. A loaded file's entries are kept in
 * one heap block allocated before the jail and never freed.
 * Must not: allocate or read files after start-up. */
#include "static/mime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixed_limits.h"

struct mime_entry {
    const char *extension;
    const char *type;
};

static const struct mime_entry BUILT_IN[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"xml", "application/xml"},
    {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"ics", "text/calendar; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"svg", "image/svg+xml"},
    {"svgz", "image/svg+xml"},
    {"png", "image/png"},
    {"apng", "image/apng"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"jxl", "image/jxl"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"eot", "application/vnd.ms-fontobject"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"m4a", "audio/mp4"},
    {"aac", "audio/aac"},
    {"weba", "audio/webm"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mov", "video/quicktime"},
    {"mkv", "video/x-matroska"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"ts", "video/mp2t"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"br", "application/octet-stream"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"zst", "application/zstd"},
    {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"},
    {"epub", "application/epub+zip"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"rtf", "application/rtf"},
    {"bin", "application/octet-stream"},
    {"iso", "application/octet-stream"},
    {"dmg", "application/octet-stream"},
    {"deb", "application/vnd.debian.binary-package"},
    {"rpm", "application/x-rpm"},
    {"jar", "application/java-archive"},
    {"swf", "application/x-shockwave-flash"},
    {"asc", "application/pgp-signature"},
    {"sig", "application/pgp-signature"},
    {"pem", "application/x-pem-file"},
    {"crt", "application/x-x509-ca-cert"},
};

#define MIME_FILE_MAX_BYTES (1u << 20)

static char *loaded_text; /* the file, which the entries point into */
static struct mime_entry *loaded;
static size_t loaded_count;

static int is_type_byte(char byte)
{
    /* type/subtype and parameters: printable ASCII without quotes or backslashes */
    return byte > 0x20 && byte < 0x7f && byte != '"' && byte != '\\';
}

int mime_load_file(const char *path, char *error, size_t error_size)
{
    FILE *file = fopen(path, "re");
    if (!file) {
        snprintf(error, error_size, "--mime-types %s: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MIME_FILE_MAX_BYTES + 1);
    struct mime_entry *entries = malloc(MIME_FILE_MAX_ENTRIES * sizeof *entries);
    size_t length = text ? fread(text, 1, MIME_FILE_MAX_BYTES + 1, file) : 0;
    int read_error = ferror(file);
    fclose(file);
    if (!text || !entries || read_error || length > MIME_FILE_MAX_BYTES) {
        snprintf(error, error_size, "--mime-types %s: %s", path,
                 read_error
                     ? "read error"
                     : (length > MIME_FILE_MAX_BYTES ? "larger than 1 MiB" : "out of memory"));
        free(text);
        free(entries);
        return -1;
    }
    text[length] = '\0';
    size_t count = 0, line_number = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_number++;
        char *comment = strchr(line, '#');
        if (comment)
            *comment = '\0';
        char *save = NULL;
        char *type = strtok_r(line, " \t\r", &save);
        if (!type)
            continue;
        /* A type goes into a Content-Type line: bounded so the response head
         * keeps room for the --header rows (fixed_limits.h, MIME_TYPE_MAX). */
        if (strlen(type) > MIME_TYPE_MAX) {
            snprintf(error, error_size,
                     "--mime-types %s: line %zu: a media type longer than %d bytes", path,
                     line_number, MIME_TYPE_MAX);
            free(text);
            free(entries);
            return -1;
        }
        for (char *p = type; *p; p++)
            if (!is_type_byte(*p) || !strchr(type, '/')) {
                snprintf(error, error_size, "--mime-types %s: line %zu: '%s' is not a media type",
                         path, line_number, type);
                free(text);
                free(entries);
                return -1;
            }
        for (char *extension; (extension = strtok_r(NULL, " \t\r;", &save));) {
            if (count == MIME_FILE_MAX_ENTRIES) {
                snprintf(error, error_size, "--mime-types %s: more than %d extensions", path,
                         MIME_FILE_MAX_ENTRIES);
                free(text);
                free(entries);
                return -1;
            }
            entries[count++] = (struct mime_entry){extension, type};
        }
    }
    loaded_text = text; /* both kept for the life of the process */
    loaded = entries;
    loaded_count = count;
    return 0;
}

static const char *lookup(const struct mime_entry *table, size_t count, const char *extension,
                          size_t length)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(table[i].extension) == length &&
            strncasecmp(table[i].extension, extension, length) == 0)
            return table[i].type;
    return NULL;
}

const char *mime_type_for(const char *name, size_t length)
{
    size_t dot = length;
    while (dot > 0 && name[dot - 1] != '.' && name[dot - 1] != '/')
        dot--;
    if (dot == 0 || name[dot - 1] != '.')
        return "application/octet-stream";
    const char *extension = name + dot;
    size_t extension_length = length - dot;
    const char *type = lookup(loaded, loaded_count, extension, extension_length);
    if (!type)
        type = lookup(BUILT_IN, sizeof BUILT_IN / sizeof BUILT_IN[0], extension, extension_length);
    return type ? type : "application/octet-stream";
}
