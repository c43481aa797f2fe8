/* http_parser_target.c: the request target of the request-head parser (include/http/http_parser.h).
 *
 * What it does: the four target forms (RFC 9112 §3.2), the authority's syntax
 * (RFC 3986 §3.2.2, RFC 9110 §4.2.1), the query's escapes (RFC 3986 §2.1, §3.4)
 * and the path, percent-decoded with its dot segments removed as they arrive
 * (RFC 3986 §5.2.4), into struct http_request (docs/conformance.md, "Request
 * target"). Called by http_parser.c for the request line and, for Host, by
 * http_parser_head.c.
 * What it must not do: I/O, allocation, global or static mutable state, or any
 * read at or past the length it is given; a decoded path longer than
 * HTTP_MAX_PATH or a segment longer than HTTP_MAX_SEGMENT is refused, not cut. */
#include <string.h>

#include "http_parser_rules.h"

static int hex_value(unsigned char byte)
{
    if (byte >= '0' && byte <= '9')
        return byte - '0';
    return ascii_lower(byte) - 'a' + 10;
}

/* ---------------------------------------------------------------- authority */

/* host [":" port], RFC 3986 §3.2.2 and RFC 9110 §4.2.1: no userinfo, a non-empty
 * host (reg-name, IPv4 or an IP-literal in brackets), and a port of 1-5 digits. */
int http_parser_valid_authority(const char *data, size_t length)
{
    size_t i = 0;
    if (length == 0)
        return 0;
    if (data[0] == '[') {
        i = 1;
        while (i < length && data[i] != ']') {
            unsigned char byte = (unsigned char)data[i];
            if (!has_class(byte, CLASS_HEX) && byte != ':' && byte != '.')
                return 0;
            i++;
        }
        if (i >= length || i == 1)
            return 0;
        i++; /* past ']' */
    } else {
        while (i < length && data[i] != ':') {
            unsigned char byte = (unsigned char)data[i];
            if (!has_class(byte, CLASS_REG_NAME))
                return 0;
            /* RFC 3986 §3.2.2 lets a reg-name hold ',', but docs/conformance.md
             * refuses a Host list: two Host lines that an intermediary combined
             * read "a,b" (RFC 9110 §5.3), which would hide a duplicate Host. */
            if (byte == ',')
                return 0;
            if (byte == '%' &&
                (i + 2 >= length || !has_class((unsigned char)data[i + 1], CLASS_HEX) ||
                 !has_class((unsigned char)data[i + 2], CLASS_HEX)))
                return 0;
            i++;
        }
        if (i == 0)
            return 0;
    }
    if (i == length)
        return 1;
    if (data[i] != ':')
        return 0;
    size_t digits = length - i - 1;
    if (digits < 1 || digits > 5)
        return 0;
    for (size_t j = i + 1; j < length; j++)
        if (!has_class((unsigned char)data[j], CLASS_DIGIT))
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- path */

/* Decode the raw path (starting with '/') into request->path, removing dot
 * segments as they arrive (RFC 3986 §5.2.4). A '..' with nothing to remove is
 * refused rather than clamped at '/', so a climbing attempt is visible. */
static enum http_reason decode_path(const char *raw, size_t raw_length,
                                    struct http_request *request)
{
    char *out = request->path;
    size_t out_length = 0; /* bytes of out in use, not counting the NUL */
    size_t i = 0;
    const size_t max_out = HTTP_MAX_PATH - 1;

    while (i < raw_length) {
        /* raw[i] is '/': start a segment at out[out_length] */
        i++;
        if (out_length + 1 > max_out)
            return HTTP_REASON_PATH_TOO_LONG;
        size_t segment_start = out_length;
        out[out_length++] = '/';
        size_t segment_length = 0;
        while (i < raw_length && raw[i] != '/') {
            unsigned char byte = (unsigned char)raw[i];
            if (byte == '%') {
                if (i + 2 >= raw_length)
                    return HTTP_REASON_BAD_PERCENT_ENCODING;
                unsigned char high = (unsigned char)raw[i + 1], low = (unsigned char)raw[i + 2];
                if (!has_class(high, CLASS_HEX) || !has_class(low, CLASS_HEX))
                    return HTTP_REASON_BAD_PERCENT_ENCODING;
                byte = (unsigned char)(hex_value(high) * 16 + hex_value(low));
                if (byte == 0)
                    return HTTP_REASON_ENCODED_NUL;
                if (byte < 0x20 || byte == 0x7f)
                    return HTTP_REASON_ENCODED_CONTROL;
                if (byte == '/')
                    return HTTP_REASON_ENCODED_SLASH;
                i += 3;
            } else {
                i++;
            }
            if (++segment_length > HTTP_MAX_SEGMENT)
                return HTTP_REASON_SEGMENT_TOO_LONG;
            if (out_length + 1 > max_out)
                return HTTP_REASON_PATH_TOO_LONG;
            out[out_length++] = (char)byte;
        }
        const char *segment = out + segment_start + 1;
        if (segment_length == 1 && segment[0] == '.') {
            out_length = segment_start + 1; /* "/." -> "/" : keep the slash as a trailing one */
            if (i < raw_length)
                out_length = segment_start; /* more follows: drop the segment entirely */
        } else if (segment_length == 2 && segment[0] == '.' && segment[1] == '.') {
            if (segment_start == 0)
                return HTTP_REASON_PATH_ESCAPES_ROOT;
            size_t previous = segment_start;
            while (previous > 0 && out[previous - 1] != '/')
                previous--;
            /* previous points after the '/' that starts the removed segment */
            out_length = previous;
            if (i < raw_length)
                out_length = previous - 1; /* more follows: the next segment brings its own '/' */
        }
    }
    if (out_length == 0)
        out[out_length++] = '/';
    out[out_length] = '\0';
    request->path_length = out_length;
    return HTTP_REASON_NONE;
}

/* ---------------------------------------------------------------- target */

/* The target: its form, raw byte classes, the query, and the decoded path. */
enum http_reason http_parser_parse_target(const char *target, size_t length,
                                          struct http_request *request)
{
    request->raw_target.data = target;
    request->raw_target.length = length;
    if (length == 1 && target[0] == '*') {
        request->target_form = HTTP_TARGET_ASTERISK;
        return HTTP_REASON_NONE;
    }
    size_t path_start = 0;
    if (target[0] != '/') {
        /* absolute-form "http(s)://authority[/path][?query]" or authority-form */
        size_t scheme_length = 0;
        if (length > 7 && span_equals_lower(target, 7, "http://"))
            scheme_length = 7;
        else if (length > 8 && span_equals_lower(target, 8, "https://"))
            scheme_length = 8;
        if (scheme_length == 0) {
            if (!http_parser_valid_authority(target, length) || !memchr(target, ':', length))
                return HTTP_REASON_BAD_TARGET;
            request->target_form = HTTP_TARGET_AUTHORITY;
            request->authority = request->raw_target;
            return HTTP_REASON_NONE;
        }
        size_t authority_end = scheme_length;
        while (authority_end < length && target[authority_end] != '/' &&
               target[authority_end] != '?')
            authority_end++;
        if (!http_parser_valid_authority(target + scheme_length, authority_end - scheme_length))
            return HTTP_REASON_BAD_TARGET;
        request->target_form = HTTP_TARGET_ABSOLUTE;
        request->authority.data = target + scheme_length;
        request->authority.length = authority_end - scheme_length;
        path_start = authority_end;
    } else {
        request->target_form = HTTP_TARGET_ORIGIN;
    }

    size_t path_end = path_start;
    while (path_end < length && target[path_end] != '?') {
        if (!has_class((unsigned char)target[path_end], CLASS_PATH))
            return HTTP_REASON_BAD_TARGET;
        path_end++;
    }
    if (path_end < length) {
        for (size_t i = path_end + 1; i < length; i++)
            if (!has_class((unsigned char)target[i], CLASS_QUERY))
                return HTTP_REASON_BAD_TARGET;
        /* The query is not decoded, but its escapes must still be pct-encoded
         * = "%" HEXDIG HEXDIG (RFC 3986 §2.1, §3.4), as the path's are. */
        for (size_t i = path_end + 1; i < length; i++)
            if (target[i] == '%' &&
                (i + 2 >= length || !has_class((unsigned char)target[i + 1], CLASS_HEX) ||
                 !has_class((unsigned char)target[i + 2], CLASS_HEX)))
                return HTTP_REASON_BAD_PERCENT_ENCODING;
        request->query.data = target + path_end + 1;
        request->query.length = length - path_end - 1;
    }
    if (path_end == path_start) { /* absolute-form with an empty path means "/" */
        request->path[0] = '/';
        request->path[1] = '\0';
        request->path_length = 1;
        return HTTP_REASON_NONE;
    }
    return decode_path(target + path_start, path_end - path_start, request);
}
