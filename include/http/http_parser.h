/* http_parser.h: the strict, bounded HTTP/1.1 request-head parser (frozen interface).
 *
 * Contract: http_parse_request() reads a request head from a caller's buffer and
 * answers "incomplete", "complete" (with the exact number of bytes the head used),
 * or "error" (with the HTTP status to answer and a stable reason code). The rules
 * it enforces, row by row, are in docs/conformance.md.
 *
 * It must not: read or write a descriptor, allocate, touch a global or static
 * mutable object, depend on the locale, or read a byte at or past `length`.
 * It is stateless: call it again on the whole buffer when more bytes arrive;
 * the same bytes always give the same answer however they were split.
 *
 * Spans point into the caller's buffer: they are valid only while that buffer
 * is unchanged. The decoded path is copied into the request itself.
 *
 * Changes to this header are interface changes: extend it, never break it, and
 * note what changed and why in docs/conformance.md. */
#ifndef PRONG_HTTP_PARSER_H
#define PRONG_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default limits (docs/conformance.md, "Limits"). Flags may only lower them:
 * the field array below is sized by HTTP_MAX_FIELDS. */
#define HTTP_MAX_REQUEST_LINE 8192u  /* bytes, CRLF and leading empty lines included */
#define HTTP_MAX_HEADER_BYTES 16384u /* bytes, first field line through final CRLF */
#define HTTP_MAX_FIELDS 100u         /* field lines */
#define HTTP_MAX_PATH 4096u          /* PATH_MAX: decoded path plus its NUL */
#define HTTP_MAX_SEGMENT 255u        /* NAME_MAX: one decoded path segment */

struct http_limits {
    uint32_t max_request_line; /* 1 .. HTTP_MAX_REQUEST_LINE */
    uint32_t max_header_bytes; /* 1 .. HTTP_MAX_HEADER_BYTES */
    uint32_t max_fields;       /* 0 .. HTTP_MAX_FIELDS */
};

/* The defaults above, as a value. */
struct http_limits http_default_limits(void);

enum http_parse_result {
    HTTP_PARSE_INCOMPLETE = 0, /* no decision yet: read more, call again */
    HTTP_PARSE_COMPLETE = 1,   /* a valid head of `consumed` bytes */
    HTTP_PARSE_ERROR = 2,      /* refuse with `status`, log `reason`, close */
};

enum http_method {
    HTTP_METHOD_UNKNOWN = 0, /* a token that is none of the below: 501 */
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_CONNECT,
    HTTP_METHOD_TRACE,
    HTTP_METHOD_PATCH,
};

enum http_target_form {
    HTTP_TARGET_ORIGIN = 0, /* /path?query */
    HTTP_TARGET_ABSOLUTE,   /* http://authority/path?query */
    HTTP_TARGET_AUTHORITY,  /* host:port, CONNECT only */
    HTTP_TARGET_ASTERISK,   /* *, OPTIONS only */
};

/* Stable reason codes: their names (http_reason_name) appear in the access log
 * and in build/parse-request's JSON. Append new codes; never renumber or rename. */
enum http_reason {
    HTTP_REASON_NONE = 0,
    HTTP_REASON_BAD_REQUEST_LINE,
    HTTP_REASON_BAD_METHOD,
    HTTP_REASON_BAD_VERSION,
    HTTP_REASON_VERSION_NOT_SUPPORTED,
    HTTP_REASON_REQUEST_LINE_TOO_LONG,
    HTTP_REASON_BARE_LF,
    HTTP_REASON_BARE_CR,
    HTTP_REASON_NUL_BYTE,
    HTTP_REASON_BAD_TARGET,
    HTTP_REASON_BAD_TARGET_FORM,
    HTTP_REASON_BAD_PERCENT_ENCODING,
    HTTP_REASON_ENCODED_NUL,
    HTTP_REASON_ENCODED_CONTROL,
    HTTP_REASON_ENCODED_SLASH,
    HTTP_REASON_PATH_ESCAPES_ROOT,
    HTTP_REASON_PATH_TOO_LONG,
    HTTP_REASON_SEGMENT_TOO_LONG,
    HTTP_REASON_SPACE_BEFORE_COLON,
    HTTP_REASON_OBS_FOLD,
    HTTP_REASON_BAD_FIELD_NAME,
    HTTP_REASON_BAD_FIELD_VALUE,
    HTTP_REASON_HEADER_TOO_LARGE,
    HTTP_REASON_TOO_MANY_FIELDS,
    HTTP_REASON_MISSING_HOST,
    HTTP_REASON_DUPLICATE_HOST,
    HTTP_REASON_BAD_HOST,
    HTTP_REASON_TRANSFER_ENCODING_HTTP10,
    HTTP_REASON_BAD_TRANSFER_ENCODING,
    HTTP_REASON_TRANSFER_ENCODING,
    HTTP_REASON_BAD_CONTENT_LENGTH,
    HTTP_REASON_DUPLICATE_CONTENT_LENGTH,
    HTTP_REASON_CONTENT_LENGTH_BODY,
    HTTP_REASON_METHOD_NOT_ALLOWED,
    HTTP_REASON_METHOD_NOT_IMPLEMENTED,
    HTTP_REASON_BAD_CONNECTION,
    HTTP_REASON_COUNT
};

/* Fields the server acts on or logs; every other field is HTTP_FIELD_OTHER. */
enum http_field_id {
    HTTP_FIELD_OTHER = 0,
    HTTP_FIELD_HOST,
    HTTP_FIELD_CONNECTION,
    HTTP_FIELD_CONTENT_LENGTH,
    HTTP_FIELD_TRANSFER_ENCODING,
    HTTP_FIELD_EXPECT,
    HTTP_FIELD_IF_NONE_MATCH,
    HTTP_FIELD_IF_MATCH,
    HTTP_FIELD_IF_MODIFIED_SINCE,
    HTTP_FIELD_IF_UNMODIFIED_SINCE,
    HTTP_FIELD_IF_RANGE,
    HTTP_FIELD_RANGE,
    HTTP_FIELD_ACCEPT,
    HTTP_FIELD_ACCEPT_ENCODING,
    HTTP_FIELD_USER_AGENT,
    HTTP_FIELD_REFERER,
    HTTP_FIELD_FORWARDED,
    HTTP_FIELD_X_FORWARDED_FOR,
    HTTP_FIELD_COUNT
};

struct http_span {
    const char *data; /* into the caller's buffer; NULL when absent */
    size_t length;
};

struct http_field {
    struct http_span name;  /* as received */
    struct http_span value; /* surrounding OWS trimmed */
    enum http_field_id id;
};

struct http_request {
    /* Outcome. status and reason are set for HTTP_PARSE_ERROR; consumed for
     * HTTP_PARSE_COMPLETE (head length, leading empty lines included). */
    int status;
    enum http_reason reason;
    size_t consumed;

    /* Request line; valid once the request line was accepted. */
    struct http_span request_line; /* without CRLF, for the access log */
    struct http_span method_name;
    enum http_method method;
    struct http_span raw_target; /* as received */
    enum http_target_form target_form;
    struct http_span query;     /* after '?', not decoded; data NULL if no '?' */
    struct http_span authority; /* absolute-form authority, else the Host value */
    unsigned version_major;
    unsigned version_minor; /* 2..9 are served as HTTP/1.1 */

    /* The decoded, dot-segment-free path, NUL-terminated, always starting
     * with '/'. Empty for asterisk-form and authority-form targets. */
    char path[HTTP_MAX_PATH];
    size_t path_length;

    /* Fields; valid for HTTP_PARSE_COMPLETE. */
    bool keep_alive;
    uint32_t field_count;
    struct http_field fields[HTTP_MAX_FIELDS];
    int16_t first_field[HTTP_FIELD_COUNT];   /* index into fields, or -1 */
    uint8_t field_repeats[HTTP_FIELD_COUNT]; /* occurrences, saturating at 255 */
};

/* Parse the head at the start of buffer[0, length). limits NULL means the defaults.
 * Never reads past length; request is written, never read. */
enum http_parse_result http_parse_request(const char *buffer, size_t length,
                                          const struct http_limits *limits,
                                          struct http_request *request);

/* The first field with this id, or NULL. Repeated list fields: iterate fields[]. */
const struct http_field *http_request_field(const struct http_request *request,
                                            enum http_field_id id);

/* Stable names: "bad-request-line", "GET", … ; never NULL. */
const char *http_reason_name(enum http_reason reason);
const char *http_method_name(enum http_method method);

/* The canonical name of a known field ("If-None-Match"), or NULL for OTHER. */
const char *http_field_name(enum http_field_id id);

#endif
