/* text_escape.h: put untrusted bytes (file names, request paths) into HTML, JSON and URLs.
 *
 * Contract: each function returns the length of the escaped text and writes it
 * to out only when out is not NULL (out must then hold that many bytes; no NUL
 * is added), so a caller can size a buffer first and fill it second.
 *   escape_html: text for an HTML text node or a quoted attribute: & < > " '
 *     become references; control bytes and bytes that are not valid UTF-8
 *     become U+FFFD; valid UTF-8 passes through.
 *   escape_json: the inside of a JSON string (RFC 8259 §7): " and \ escaped,
 *     control bytes as \u00XX, < > & as \u003c \u003e \u0026 (safe inside
 *     HTML too), invalid UTF-8 as \ufffd.
 *   escape_uri_component: every byte but RFC 3986 unreserved ones as %XX, so
 *     the result is one path segment whatever the name holds (no '/', ':', '?').
 *   utf8_valid_length: the length of the valid UTF-8 sequence at text (1-4),
 *     or 0 when the bytes there are not one (overlongs, surrogates and code
 *     points above U+10FFFF are invalid).
 *   text_sink_put: the same size-first, fill-second contract for any writer
 *     that builds text in pieces: appends at out + length when out is not NULL,
 *     and always adds to length.
 * Must not: allocate, or let any byte of the input reach the output unescaped
 * when it could end the context it is placed in. */
#ifndef PRONG_TEXT_ESCAPE_H
#define PRONG_TEXT_ESCAPE_H

#include <stddef.h>

struct text_sink {
    char *out; /* NULL: only measure */
    size_t length;
};
void text_sink_put(struct text_sink *sink, const char *text, size_t length);

size_t escape_html(const char *text, size_t length, char *out);
size_t escape_json(const char *text, size_t length, char *out);
size_t escape_uri_component(const char *text, size_t length, char *out);
size_t utf8_valid_length(const unsigned char *text, size_t available);

#endif
