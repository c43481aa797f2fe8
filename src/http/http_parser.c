/* http_parser.c: the strict, bounded HTTP/1.1 request-head parser.
 *
 * What it does: checks one request head against the rules of docs/conformance.md
 * (RFC 9112 message syntax, RFC 9110 semantics, RFC 3986 targets) and fills a
 * struct http_request. The head is read from its first byte forward and the
 * first rule that fires decides, so any split of the same bytes gives the same
 * answer; a line is examined only once its LF has arrived.
 *
 * What it must not do: I/O, allocation, global or static mutable state, locale-
 * dependent calls, or any read at or past `length`. Every length it walks is
 * bounded by a limit before the walk.
 *
 * The module is three files (src/http/http_parser_rules.h): this one reads the
 * head line by line (the request line, the field lines, the limits) and holds
 * the byte classes and the names; http_parser_target.c the request target;
 * http_parser_head.c the rules that need the whole head. */
#include "http/http_parser.h"

#include <string.h>

#include "http_parser_rules.h"

/* The byte classes (http_parser_rules.h), one bit each, computed at compile time. */
#define IS_ALPHA_OR_DIGIT(b) \
    (((b) >= 'a' && (b) <= 'z') || ((b) >= 'A' && (b) <= 'Z') || ((b) >= '0' && (b) <= '9'))
#define IS_TCHAR_MARK(b)                                                                  \
    ((b) == '!' || (b) == '#' || (b) == '$' || (b) == '%' || (b) == '&' || (b) == '\'' || \
     (b) == '*' || (b) == '+' || (b) == '-' || (b) == '.' || (b) == '^' || (b) == '_' ||  \
     (b) == '`' || (b) == '|' || (b) == '~')
#define IS_UNRESERVED(b) \
    (IS_ALPHA_OR_DIGIT(b) || (b) == '-' || (b) == '.' || (b) == '_' || (b) == '~')
#define IS_SUB_DELIM(b)                                                                   \
    ((b) == '!' || (b) == '$' || (b) == '&' || (b) == '\'' || (b) == '(' || (b) == ')' || \
     (b) == '*' || (b) == '+' || (b) == ',' || (b) == ';' || (b) == '=')
/* pchar adds ':' and '@'; '/' separates segments; '%' starts an escape. Browsers
 * send '|', '^', '[' and ']' unencoded (the WHATWG path percent-encode set leaves
 * them alone), so they are accepted although RFC 3986 does not list them. */
#define IS_PATH_EXTRA(b)                                                                 \
    ((b) == ':' || (b) == '@' || (b) == '/' || (b) == '%' || (b) == '|' || (b) == '^' || \
     (b) == '[' || (b) == ']')
#define IS_HEX(b) \
    (((b) >= '0' && (b) <= '9') || ((b) >= 'a' && (b) <= 'f') || ((b) >= 'A' && (b) <= 'F'))
#define CLASS_OF(b)                                                                               \
    (((IS_ALPHA_OR_DIGIT(b) || IS_TCHAR_MARK(b)) ? CLASS_TCHAR : 0) |                             \
     ((IS_UNRESERVED(b) || IS_SUB_DELIM(b) || IS_PATH_EXTRA(b)) ? CLASS_PATH | CLASS_QUERY : 0) | \
     ((b) == '?' ? CLASS_QUERY : 0) |                                                             \
     ((((b) >= 0x21 && (b) <= 0x7e) || (b) >= 0x80 || (b) == ' ' || (b) == '\t') ? CLASS_VALUE    \
                                                                                 : 0) |           \
     (IS_HEX(b) ? CLASS_HEX : 0) |                                                                \
     ((IS_UNRESERVED(b) || IS_SUB_DELIM(b) || (b) == '%') ? CLASS_REG_NAME : 0) |                 \
     (((b) >= '0' && (b) <= '9') ? CLASS_DIGIT : 0))
#define ROW4(b) CLASS_OF(b), CLASS_OF((b) + 1), CLASS_OF((b) + 2), CLASS_OF((b) + 3)
#define ROW16(b) ROW4(b), ROW4((b) + 4), ROW4((b) + 8), ROW4((b) + 12)
#define ROW64(b) ROW16(b), ROW16((b) + 16), ROW16((b) + 32), ROW16((b) + 48)
const unsigned char http_parser_byte_classes[256] = {ROW64(0u), ROW64(64u), ROW64(128u),
                                                     ROW64(192u)};

/* ---------------------------------------------------------------- names */

static const char *const REASON_NAMES[HTTP_REASON_COUNT] = {
    [HTTP_REASON_NONE] = "none",
    [HTTP_REASON_BAD_REQUEST_LINE] = "bad-request-line",
    [HTTP_REASON_BAD_METHOD] = "bad-method",
    [HTTP_REASON_BAD_VERSION] = "bad-version",
    [HTTP_REASON_VERSION_NOT_SUPPORTED] = "version-not-supported",
    [HTTP_REASON_REQUEST_LINE_TOO_LONG] = "request-line-too-long",
    [HTTP_REASON_BARE_LF] = "bare-lf",
    [HTTP_REASON_BARE_CR] = "bare-cr",
    [HTTP_REASON_NUL_BYTE] = "nul-byte",
    [HTTP_REASON_BAD_TARGET] = "bad-target",
    [HTTP_REASON_BAD_TARGET_FORM] = "bad-target-form",
    [HTTP_REASON_BAD_PERCENT_ENCODING] = "bad-percent-encoding",
    [HTTP_REASON_ENCODED_NUL] = "encoded-nul",
    [HTTP_REASON_ENCODED_CONTROL] = "encoded-control",
    [HTTP_REASON_ENCODED_SLASH] = "encoded-slash",
    [HTTP_REASON_PATH_ESCAPES_ROOT] = "path-escapes-root",
    [HTTP_REASON_PATH_TOO_LONG] = "path-too-long",
    [HTTP_REASON_SEGMENT_TOO_LONG] = "segment-too-long",
    [HTTP_REASON_SPACE_BEFORE_COLON] = "space-before-colon",
    [HTTP_REASON_OBS_FOLD] = "obs-fold",
    [HTTP_REASON_BAD_FIELD_NAME] = "bad-field-name",
    [HTTP_REASON_BAD_FIELD_VALUE] = "bad-field-value",
    [HTTP_REASON_HEADER_TOO_LARGE] = "header-too-large",
    [HTTP_REASON_TOO_MANY_FIELDS] = "too-many-fields",
    [HTTP_REASON_MISSING_HOST] = "missing-host",
    [HTTP_REASON_DUPLICATE_HOST] = "duplicate-host",
    [HTTP_REASON_BAD_HOST] = "bad-host",
    [HTTP_REASON_TRANSFER_ENCODING_HTTP10] = "transfer-encoding-http10",
    [HTTP_REASON_BAD_TRANSFER_ENCODING] = "bad-transfer-encoding",
    [HTTP_REASON_TRANSFER_ENCODING] = "transfer-encoding",
    [HTTP_REASON_BAD_CONTENT_LENGTH] = "bad-content-length",
    [HTTP_REASON_DUPLICATE_CONTENT_LENGTH] = "duplicate-content-length",
    [HTTP_REASON_CONTENT_LENGTH_BODY] = "content-length-body",
    [HTTP_REASON_METHOD_NOT_ALLOWED] = "method-not-allowed",
    [HTTP_REASON_METHOD_NOT_IMPLEMENTED] = "method-not-implemented",
    [HTTP_REASON_BAD_CONNECTION] = "bad-connection",
};

/* Each reason's status, so a rule cannot pair a reason with the wrong status. */
static const short REASON_STATUS[HTTP_REASON_COUNT] = {
    [HTTP_REASON_VERSION_NOT_SUPPORTED] = 505, [HTTP_REASON_REQUEST_LINE_TOO_LONG] = 414,
    [HTTP_REASON_PATH_TOO_LONG] = 414,         [HTTP_REASON_SEGMENT_TOO_LONG] = 414,
    [HTTP_REASON_HEADER_TOO_LARGE] = 431,      [HTTP_REASON_TOO_MANY_FIELDS] = 431,
    [HTTP_REASON_TRANSFER_ENCODING] = 501,     [HTTP_REASON_CONTENT_LENGTH_BODY] = 413,
    [HTTP_REASON_METHOD_NOT_ALLOWED] = 405,    [HTTP_REASON_METHOD_NOT_IMPLEMENTED] = 501,
};

const char *http_reason_name(enum http_reason reason)
{
    if ((unsigned)reason >= HTTP_REASON_COUNT)
        return "unknown";
    return REASON_NAMES[reason];
}

static const char *const METHOD_NAMES[] = {
    [HTTP_METHOD_UNKNOWN] = "UNKNOWN", [HTTP_METHOD_GET] = "GET",
    [HTTP_METHOD_HEAD] = "HEAD",       [HTTP_METHOD_OPTIONS] = "OPTIONS",
    [HTTP_METHOD_POST] = "POST",       [HTTP_METHOD_PUT] = "PUT",
    [HTTP_METHOD_DELETE] = "DELETE",   [HTTP_METHOD_CONNECT] = "CONNECT",
    [HTTP_METHOD_TRACE] = "TRACE",     [HTTP_METHOD_PATCH] = "PATCH",
};

const char *http_method_name(enum http_method method)
{
    if ((unsigned)method >= sizeof METHOD_NAMES / sizeof METHOD_NAMES[0])
        return "UNKNOWN";
    return METHOD_NAMES[method];
}

static const char *const FIELD_NAMES[HTTP_FIELD_COUNT] = {
    [HTTP_FIELD_OTHER] = NULL,
    [HTTP_FIELD_HOST] = "Host",
    [HTTP_FIELD_CONNECTION] = "Connection",
    [HTTP_FIELD_CONTENT_LENGTH] = "Content-Length",
    [HTTP_FIELD_TRANSFER_ENCODING] = "Transfer-Encoding",
    [HTTP_FIELD_EXPECT] = "Expect",
    [HTTP_FIELD_IF_NONE_MATCH] = "If-None-Match",
    [HTTP_FIELD_IF_MATCH] = "If-Match",
    [HTTP_FIELD_IF_MODIFIED_SINCE] = "If-Modified-Since",
    [HTTP_FIELD_IF_UNMODIFIED_SINCE] = "If-Unmodified-Since",
    [HTTP_FIELD_IF_RANGE] = "If-Range",
    [HTTP_FIELD_RANGE] = "Range",
    [HTTP_FIELD_ACCEPT] = "Accept",
    [HTTP_FIELD_ACCEPT_ENCODING] = "Accept-Encoding",
    [HTTP_FIELD_USER_AGENT] = "User-Agent",
    [HTTP_FIELD_REFERER] = "Referer",
    [HTTP_FIELD_FORWARDED] = "Forwarded",
    [HTTP_FIELD_X_FORWARDED_FOR] = "X-Forwarded-For",
};

const char *http_field_name(enum http_field_id id)
{
    if ((unsigned)id >= HTTP_FIELD_COUNT)
        return NULL;
    return FIELD_NAMES[id];
}

static enum http_field_id identify_field(const char *name, size_t length)
{
    for (unsigned id = HTTP_FIELD_OTHER + 1; id < HTTP_FIELD_COUNT; id++) {
        const char *known = FIELD_NAMES[id];
        if (ascii_lower((unsigned char)name[0]) != ascii_lower((unsigned char)known[0]) ||
            strlen(known) != length)
            continue;
        size_t i = 1;
        while (i < length &&
               ascii_lower((unsigned char)name[i]) == ascii_lower((unsigned char)known[i]))
            i++;
        if (i == length)
            return (enum http_field_id)id;
    }
    return HTTP_FIELD_OTHER;
}

struct http_limits http_default_limits(void)
{
    struct http_limits limits = {
        .max_request_line = HTTP_MAX_REQUEST_LINE,
        .max_header_bytes = HTTP_MAX_HEADER_BYTES,
        .max_fields = HTTP_MAX_FIELDS,
    };
    return limits;
}

const struct http_field *http_request_field(const struct http_request *request,
                                            enum http_field_id id)
{
    if ((unsigned)id >= HTTP_FIELD_COUNT || id == HTTP_FIELD_OTHER || request->first_field[id] < 0)
        return NULL;
    return &request->fields[request->first_field[id]];
}

/* ---------------------------------------------------------------- outcomes */

static enum http_parse_result refuse(struct http_request *request, enum http_reason reason)
{
    request->reason = reason;
    request->status = REASON_STATUS[reason] ? REASON_STATUS[reason] : 400;
    return HTTP_PARSE_ERROR;
}

/* Bytes that are forbidden anywhere in a line: NUL (RFC 9110 §5.5) and a CR that
 * is not the line's terminator (RFC 9112 §2.2). The first one found decides. */
static enum http_reason forbidden_byte_in_line(const char *line, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (line[i] == '\0')
            return HTTP_REASON_NUL_BYTE;
        if (line[i] == '\r')
            return HTTP_REASON_BARE_CR;
    }
    return HTTP_REASON_NONE;
}

/* ---------------------------------------------------------------- request line
 * (the target itself: http_parser_target.c) */

static enum http_method identify_method(const char *name, size_t length)
{
    /* Methods are case-sensitive (RFC 9110 §9.1): compare bytes exactly. */
    for (unsigned method = HTTP_METHOD_GET; method <= HTTP_METHOD_PATCH; method++)
        if (strlen(METHOD_NAMES[method]) == length &&
            memcmp(METHOD_NAMES[method], name, length) == 0)
            return (enum http_method)method;
    return HTTP_METHOD_UNKNOWN;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); returns 0 when malformed. */
static int parse_version(const char *version, size_t length, struct http_request *request)
{
    if (length != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
        !has_class((unsigned char)version[5], CLASS_DIGIT) ||
        !has_class((unsigned char)version[7], CLASS_DIGIT))
        return 0;
    request->version_major = (unsigned)(version[5] - '0');
    request->version_minor = (unsigned)(version[7] - '0');
    return 1;
}

static enum http_reason parse_request_line(const char *line, size_t length,
                                           struct http_request *request)
{
    enum http_reason forbidden = forbidden_byte_in_line(line, length);
    if (forbidden != HTTP_REASON_NONE)
        return forbidden;
    if (memchr(line, '\t', length))
        return HTTP_REASON_BAD_REQUEST_LINE;
    request->request_line.data = line;
    request->request_line.length = length;

    const char *first_space = memchr(line, ' ', length);
    if (!first_space || first_space == line)
        return HTTP_REASON_BAD_REQUEST_LINE;
    size_t method_length = (size_t)(first_space - line);
    const char *target = first_space + 1;
    size_t rest = length - method_length - 1;
    const char *second_space = memchr(target, ' ', rest);
    if (!second_space || second_space == target)
        return HTTP_REASON_BAD_REQUEST_LINE;
    size_t target_length = (size_t)(second_space - target);
    const char *version = second_space + 1;
    size_t version_length = rest - target_length - 1;

    for (size_t i = 0; i < method_length; i++)
        if (!has_class((unsigned char)line[i], CLASS_TCHAR))
            return HTTP_REASON_BAD_METHOD;
    request->method_name.data = line;
    request->method_name.length = method_length;
    request->method = identify_method(line, method_length);

    if (!parse_version(version, version_length, request))
        return HTTP_REASON_BAD_VERSION;
    if (request->version_major != 1)
        return HTTP_REASON_VERSION_NOT_SUPPORTED;

    return http_parser_parse_target(target, target_length, request);
}

/* ---------------------------------------------------------------- field lines */

static enum http_reason parse_field_line(const char *line, size_t length,
                                         struct http_request *request)
{
    if (is_ows((unsigned char)line[0]))
        return HTTP_REASON_OBS_FOLD; /* RFC 9112 §5.2 obs-fold, or OWS before the first field */
    enum http_reason forbidden = forbidden_byte_in_line(line, length);
    if (forbidden != HTTP_REASON_NONE)
        return forbidden;

    size_t name_length = 0;
    while (name_length < length && has_class((unsigned char)line[name_length], CLASS_TCHAR))
        name_length++;
    if (name_length == length)
        return HTTP_REASON_BAD_FIELD_NAME; /* no colon */
    if (line[name_length] != ':') {
        size_t after = name_length;
        while (after < length && is_ows((unsigned char)line[after]))
            after++;
        if (name_length > 0 && after > name_length && after < length && line[after] == ':')
            return HTTP_REASON_SPACE_BEFORE_COLON; /* RFC 9112 §5.1: MUST reject with 400 */
        return HTTP_REASON_BAD_FIELD_NAME;
    }
    if (name_length == 0)
        return HTTP_REASON_BAD_FIELD_NAME;

    size_t value_start = name_length + 1, value_end = length;
    while (value_start < value_end && is_ows((unsigned char)line[value_start]))
        value_start++;
    while (value_end > value_start && is_ows((unsigned char)line[value_end - 1]))
        value_end--;
    for (size_t i = value_start; i < value_end; i++)
        if (!has_class((unsigned char)line[i], CLASS_VALUE))
            return HTTP_REASON_BAD_FIELD_VALUE;

    struct http_field *field = &request->fields[request->field_count];
    field->name.data = line;
    field->name.length = name_length;
    field->value.data = line + value_start;
    field->value.length = value_end - value_start;
    field->id = identify_field(line, name_length);
    if (field->id != HTTP_FIELD_OTHER) {
        if (request->first_field[field->id] < 0)
            request->first_field[field->id] = (int16_t)request->field_count;
        if (request->field_repeats[field->id] < 255)
            request->field_repeats[field->id]++;
    }
    request->field_count++;
    return HTTP_REASON_NONE;
}

/* ---------------------------------------------------------------- entry point
 * (the rules that need the whole head: http_parser_head.c) */

static void reset_request(struct http_request *request)
{
    request->status = 0;
    request->reason = HTTP_REASON_NONE;
    request->consumed = 0;
    request->request_line = (struct http_span){NULL, 0};
    request->method_name = (struct http_span){NULL, 0};
    request->method = HTTP_METHOD_UNKNOWN;
    request->raw_target = (struct http_span){NULL, 0};
    request->target_form = HTTP_TARGET_ORIGIN;
    request->query = (struct http_span){NULL, 0};
    request->authority = (struct http_span){NULL, 0};
    request->version_major = 0;
    request->version_minor = 0;
    request->path[0] = '\0';
    request->path_length = 0;
    request->keep_alive = false;
    request->field_count = 0;
    for (unsigned id = 0; id < HTTP_FIELD_COUNT; id++) {
        request->first_field[id] = -1;
        request->field_repeats[id] = 0;
    }
}

static uint32_t clamp_limit(uint32_t value, uint32_t maximum)
{
    return value > maximum ? maximum : value;
}

enum http_parse_result http_parse_request(const char *buffer, size_t length,
                                          const struct http_limits *limits,
                                          struct http_request *request)
{
    struct http_limits bounds = limits ? *limits : http_default_limits();
    size_t max_line = clamp_limit(bounds.max_request_line, HTTP_MAX_REQUEST_LINE);
    size_t max_header = clamp_limit(bounds.max_header_bytes, HTTP_MAX_HEADER_BYTES);
    uint32_t max_fields = clamp_limit(bounds.max_fields, HTTP_MAX_FIELDS);
    reset_request(request);

    /* Leading empty lines (RFC 9112 §2.2), counted toward the request line. */
    size_t position = 0;
    while (position < length && position < max_line &&
           (buffer[position] == '\r' || buffer[position] == '\n')) {
        if (buffer[position] == '\n')
            return refuse(request, HTTP_REASON_BARE_LF);
        if (position + 1 >= length)
            return HTTP_PARSE_INCOMPLETE;
        if (buffer[position + 1] != '\n')
            return refuse(request, HTTP_REASON_BARE_CR);
        position += 2;
    }

    size_t window = (length < max_line ? length : max_line);
    const char *line_feed =
        position < window ? memchr(buffer + position, '\n', window - position) : NULL;
    if (!line_feed)
        return length >= max_line ? refuse(request, HTTP_REASON_REQUEST_LINE_TOO_LONG)
                                  : HTTP_PARSE_INCOMPLETE;
    size_t line_end = (size_t)(line_feed - buffer);
    if (line_end == position || buffer[line_end - 1] != '\r')
        return refuse(request, HTTP_REASON_BARE_LF);
    enum http_reason reason =
        parse_request_line(buffer + position, line_end - 1 - position, request);
    if (reason != HTTP_REASON_NONE)
        return refuse(request, reason);
    position = line_end + 1;

    const size_t block_start = position;
    for (;;) {
        size_t block_end = block_start + max_header;
        window = length < block_end ? length : block_end;
        line_feed = position < window ? memchr(buffer + position, '\n', window - position) : NULL;
        if (!line_feed)
            return length >= block_end ? refuse(request, HTTP_REASON_HEADER_TOO_LARGE)
                                       : HTTP_PARSE_INCOMPLETE;
        line_end = (size_t)(line_feed - buffer);
        if (line_end == position || buffer[line_end - 1] != '\r')
            return refuse(request, HTTP_REASON_BARE_LF);
        size_t line_length = line_end - 1 - position;
        if (line_length == 0) {
            position = line_end + 1;
            break;
        }
        if (request->field_count >= max_fields)
            return refuse(request, HTTP_REASON_TOO_MANY_FIELDS);
        reason = parse_field_line(buffer + position, line_length, request);
        if (reason != HTTP_REASON_NONE)
            return refuse(request, reason);
        position = line_end + 1;
    }

    reason = http_parser_check_head(request);
    if (reason != HTTP_REASON_NONE)
        return refuse(request, reason);
    request->consumed = position;
    return HTTP_PARSE_COMPLETE;
}
