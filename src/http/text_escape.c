/* text_escape.c: HTML, JSON and URI escaping of untrusted bytes, with UTF-8 checks.
 *
 * UTF-8 validity follows RFC 3629 §4 (the well-formed byte sequences table):
 * overlong forms, UTF-16 surrogates and anything above U+10FFFF are invalid.
 * An invalid byte is replaced, one replacement per byte, and never copied.
 * Must not: allocate, or write past the length it returns. */
#include "http/text_escape.h"

#include <string.h>

static const char HEX[] = "0123456789abcdef";

void text_sink_put(struct text_sink *sink, const char *text, size_t length)
{
    if (sink->out)
        memcpy(sink->out + sink->length, text, length);
    sink->length += length;
}

static int in_range(unsigned char byte, unsigned char low, unsigned char high)
{
    return byte >= low && byte <= high;
}

size_t utf8_valid_length(const unsigned char *text, size_t available)
{
    if (available == 0)
        return 0;
    unsigned char lead = text[0];
    if (lead < 0x80)
        return 1;
    size_t length;
    unsigned char low = 0x80, high = 0xbf; /* the second byte's range */
    if (in_range(lead, 0xc2, 0xdf))
        length = 2;
    else if (lead == 0xe0)
        length = 3, low = 0xa0;
    else if (in_range(lead, 0xe1, 0xec) || in_range(lead, 0xee, 0xef))
        length = 3;
    else if (lead == 0xed)
        length = 3, high = 0x9f; /* no surrogates */
    else if (lead == 0xf0)
        length = 4, low = 0x90;
    else if (in_range(lead, 0xf1, 0xf3))
        length = 4;
    else if (lead == 0xf4)
        length = 4, high = 0x8f; /* nothing above U+10FFFF */
    else
        return 0;
    if (available < length || !in_range(text[1], low, high))
        return 0;
    for (size_t i = 2; i < length; i++)
        if (!in_range(text[i], 0x80, 0xbf))
            return 0;
    return length;
}

size_t escape_html(const char *text, size_t length, char *out)
{
    struct text_sink sink = {out, 0};
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        unsigned char byte = bytes[i];
        size_t valid = utf8_valid_length(bytes + i, length - i);
        if (valid == 0 || byte < 0x20 || byte == 0x7f) {
            text_sink_put(&sink, "&#xfffd;", 8);
            i++;
            continue;
        }
        switch (byte) {
        case '&': text_sink_put(&sink, "&amp;", 5); break;
        case '<': text_sink_put(&sink, "&lt;", 4); break;
        case '>': text_sink_put(&sink, "&gt;", 4); break;
        case '"': text_sink_put(&sink, "&quot;", 6); break;
        case '\'': text_sink_put(&sink, "&#39;", 5); break;
        default: text_sink_put(&sink, text + i, valid); break;
        }
        i += valid;
    }
    return sink.length;
}

size_t escape_json(const char *text, size_t length, char *out)
{
    struct text_sink sink = {out, 0};
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        unsigned char byte = bytes[i];
        size_t valid = utf8_valid_length(bytes + i, length - i);
        if (valid == 0) {
            text_sink_put(&sink, "\\ufffd", 6);
            i++;
            continue;
        }
        if (byte == '"' || byte == '\\') {
            char escaped[2] = {'\\', (char)byte};
            text_sink_put(&sink, escaped, 2);
        } else if (byte < 0x20 || byte == 0x7f || byte == '<' || byte == '>' || byte == '&') {
            char escaped[6] = {'\\', 'u', '0', '0', HEX[byte >> 4], HEX[byte & 15]};
            text_sink_put(&sink, escaped, 6);
        } else {
            text_sink_put(&sink, text + i, valid);
        }
        i += valid;
    }
    return sink.length;
}

size_t escape_uri_component(const char *text, size_t length, char *out)
{
    struct text_sink sink = {out, 0};
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)text[i];
        int unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                         (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
                         byte == '_' || byte == '~';
        if (unreserved) {
            text_sink_put(&sink, text + i, 1);
        } else {
            char escaped[3] = {'%', "0123456789ABCDEF"[byte >> 4], "0123456789ABCDEF"[byte & 15]};
            text_sink_put(&sink, escaped, 3);
        }
    }
    return sink.length;
}
