/* redirect.c: the trailing-slash redirect's Location (contract in include/static/redirect.h).
 *
 * Why each rule: the path is the decoded one, so it is encoded again rather
 * than copied (RFC 9110 §10.2.2 wants a URI reference, RFC 3986 §2.1 says how);
 * runs of '/' are merged as the server merges them when it resolves a path, and
 * because "//host/" in a Location is a network-path reference (RFC 3986 §4.2)
 * that sends the browser to another host. The query is not decoded by the
 * parser; it is kept byte for byte where RFC 3986's query syntax allows the
 * byte, so "?x=1&y=%2F" round-trips unchanged, and anything else is encoded.
 * Must not: write past out_size or emit a byte outside URI syntax. */
#include "static/redirect.h"

static const char HEX[] = "0123456789ABCDEF";

static bool is_unreserved(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' || byte == '~';
}

static bool is_hex(unsigned char byte)
{
    return (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f') ||
           (byte >= 'A' && byte <= 'F');
}

/* RFC 3986 §3.4: query = *( pchar / "/" / "?" ), without '%' (handled apart). */
static bool is_query_byte(unsigned char byte)
{
    switch (byte) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?': return true;
    default: return is_unreserved(byte);
    }
}

struct output {
    char *out;
    size_t size, used;
    bool full;
};

static void put(struct output *output, char byte)
{
    if (output->used + 1 >= output->size) { /* room for the NUL too */
        output->full = true;
        return;
    }
    output->out[output->used++] = byte;
}

static void put_encoded(struct output *output, unsigned char byte)
{
    put(output, '%');
    put(output, HEX[byte >> 4]);
    put(output, HEX[byte & 15]);
}

size_t redirect_location(const char *path, size_t path_length, bool has_query, const char *query,
                         size_t query_length, char *out, size_t out_size)
{
    struct output output = {out, out_size, 0, out_size == 0};
    put(&output, '/');
    for (size_t i = 0; i < path_length; i++) {
        unsigned char byte = (unsigned char)path[i];
        if (byte == '/')
            continue; /* a '/' is written before the next segment: runs merge */
        if ((i == 0 || path[i - 1] == '/') && output.used > 1)
            put(&output, '/');
        if (is_unreserved(byte))
            put(&output, (char)byte);
        else
            put_encoded(&output, byte);
    }
    if (output.used > 1)
        put(&output, '/');
    if (has_query) {
        put(&output, '?');
        for (size_t i = 0; i < query_length; i++) {
            unsigned char byte = (unsigned char)query[i];
            bool escape_ok = byte == '%' && i + 2 < query_length &&
                             is_hex((unsigned char)query[i + 1]) &&
                             is_hex((unsigned char)query[i + 2]);
            if (is_query_byte(byte) || escape_ok)
                put(&output, (char)byte);
            else
                put_encoded(&output, byte);
        }
    }
    if (output.full)
        return 0;
    out[output.used] = '\0';
    return output.used;
}
