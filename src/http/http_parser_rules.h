/* http_parser_rules.h: what the request-head parser's files share (private to src/http/).
 *
 * The parser is one module in three files, split by concern: http_parser.c
 * reads the head line by line (the request line, the field lines, the limits)
 * and owns the byte-class table; http_parser_target.c checks and decodes the
 * request target (RFC 9112 §3.2, RFC 3986); http_parser_head.c applies the
 * rules that need the whole head (Host, framing, Connection, the method and the
 * target's form, RFC 9110 and RFC 9112 §6, §9.3).
 * Contract: the module's interface is include/http/http_parser.h alone; only
 * src/http/http_parser*.c include this file. Each function here returns the
 * first rule that fires (HTTP_REASON_NONE when none does).
 * Must not: I/O, allocation, global or static mutable state (the rules of
 * http_parser.c's header hold for all three files). */
#ifndef PRONG_HTTP_PARSER_RULES_H
#define PRONG_HTTP_PARSER_RULES_H

#include <stddef.h>
#include <string.h>

#include "http/http_parser.h"

/* Byte classes, one bit each, in a constant table built at compile time. */
enum {
    CLASS_TCHAR = 1 << 0,    /* token characters, RFC 9110 §5.6.2 */
    CLASS_PATH = 1 << 1,     /* raw bytes allowed in a path */
    CLASS_QUERY = 1 << 2,    /* raw bytes allowed in a query: path bytes and '?' */
    CLASS_VALUE = 1 << 3,    /* field-value bytes: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5) */
    CLASS_HEX = 1 << 4,      /* HEXDIG */
    CLASS_REG_NAME = 1 << 5, /* reg-name: unreserved, sub-delims, '%' (RFC 3986 §3.2.2) */
    CLASS_DIGIT = 1 << 6,    /* DIGIT */
};

/* Each byte value's CLASS_ bits, a table built at compile time in http_parser.c. */
extern const unsigned char http_parser_byte_classes[256];

static inline int has_class(unsigned char byte, unsigned char class_bits)
{
    return (http_parser_byte_classes[byte] & class_bits) != 0;
}

static inline unsigned char ascii_lower(unsigned char byte)
{
    return (byte >= 'A' && byte <= 'Z') ? (unsigned char)(byte + ('a' - 'A')) : byte;
}

/* Case-insensitive comparison of a span with a lower-case literal. */
static inline int span_equals_lower(const char *data, size_t length, const char *lower_literal)
{
    size_t literal_length = strlen(lower_literal);
    if (length != literal_length)
        return 0;
    for (size_t i = 0; i < length; i++)
        if (ascii_lower((unsigned char)data[i]) != (unsigned char)lower_literal[i])
            return 0;
    return 1;
}

static inline int is_ows(unsigned char byte)
{
    return byte == ' ' || byte == '\t';
}

/* host [":" port] (http_parser_target.c): 1 when valid, 0 otherwise. */
int http_parser_valid_authority(const char *data, size_t length);

/* The request target: its form, byte classes, query and decoded path
 * (http_parser_target.c). */
enum http_reason http_parser_parse_target(const char *target, size_t length,
                                          struct http_request *request);

/* The rules that need every field line (http_parser_head.c). */
enum http_reason http_parser_check_head(struct http_request *request);

#endif
