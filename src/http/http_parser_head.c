/* http_parser_head.c: the rules of the request-head parser that need the whole head
 * (include/http/http_parser.h).
 *
 * What it does: once every field line has been read, one Host and a valid one
 * (RFC 9112 §3.2, RFC 9110 §7.2), no body (Transfer-Encoding and Content-Length,
 * RFC 9112 §6), persistence from Connection (RFC 9112 §9.3), the target's form
 * against the method, and the method itself (RFC 9110 §9), in the order of
 * docs/conformance.md ("Order of checks"): the first rule that fires decides.
 * What it must not do: I/O, allocation, global or static mutable state, or a
 * read outside the field values http_parser.c recorded. */
#include "http_parser_rules.h"

/* ---------------------------------------------------------------- head semantics */

/* Walks the elements of a comma-separated list (RFC 9110 §5.6.1), skipping empty
 * ones. Returns 0 when no element is left; *element gets the trimmed element. */
static int next_list_element(const char **cursor, const char *end, struct http_span *element)
{
    const char *p = *cursor;
    for (;;) {
        while (p < end && (is_ows((unsigned char)*p) || *p == ','))
            p++;
        if (p >= end) {
            *cursor = p;
            return 0;
        }
        const char *start = p;
        int quoted = 0;
        while (p < end && (quoted || *p != ',')) {
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '\\' && quoted && p + 1 < end)
                p++;
            p++;
        }
        const char *stop = p;
        while (stop > start && is_ows((unsigned char)stop[-1]))
            stop--;
        element->data = start;
        element->length = (size_t)(stop - start);
        *cursor = p;
        return 1;
    }
}

/* Past the token bytes at p: where they end (p itself when there are none). */
static const char *skip_token(const char *p, const char *end)
{
    while (p < end && has_class((unsigned char)*p, CLASS_TCHAR))
        p++;
    return p;
}

/* Past OWS separator OWS (BWS is OWS too, RFC 9110 §5.6.3); NULL when the byte
 * after the white space is not the separator. */
static const char *skip_separator(const char *p, const char *end, char separator)
{
    while (p < end && is_ows((unsigned char)*p))
        p++;
    if (p >= end || *p != separator)
        return NULL;
    p++;
    while (p < end && is_ows((unsigned char)*p))
        p++;
    return p;
}

/* Past the quoted-string (RFC 9110 §5.6.4) whose opening quote is at p; NULL
 * when it does not close before end. */
static const char *skip_quoted_string(const char *p, const char *end)
{
    p++;
    while (p < end && *p != '"') {
        if (*p == '\\' && p + 1 < end)
            p++; /* quoted-pair: skip the escaped byte, never past the value */
        p++;
    }
    return p < end ? p + 1 : NULL;
}

static int is_token(const char *data, size_t length)
{
    return length > 0 && skip_token(data, data + length) == data + length;
}

/* transfer-coding = token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) )
 * (RFC 9112 §7, RFC 9110 §10.1.4). Sets *coding to the coding's name. */
static int valid_transfer_coding(struct http_span element, struct http_span *coding)
{
    const char *p = element.data, *end = element.data + element.length;
    coding->data = p;
    p = skip_token(p, end);
    coding->length = (size_t)(p - coding->data);
    if (coding->length == 0)
        return 0;
    while (p < end) {
        const char *parameter = skip_separator(p, end, ';');
        if (!parameter || (p = skip_token(parameter, end)) == parameter ||
            !(p = skip_separator(p, end, '=')))
            return 0;
        const char *value = p;
        p = p < end && *p == '"' ? skip_quoted_string(p, end) : skip_token(p, end);
        if (!p || p == value)
            return 0;
    }
    return 1;
}

/* RFC 9112 §6.1 and §6.3: prong takes no bodies, so any Transfer-Encoding is
 * refused; the status says whether the framing itself was malformed (400). */
static enum http_reason check_transfer_encoding(const struct http_request *request)
{
    if (request->version_minor == 0)
        return HTTP_REASON_TRANSFER_ENCODING_HTTP10;
    unsigned codings = 0, chunked_count = 0;
    int last_is_chunked = 0;
    for (uint32_t i = 0; i < request->field_count; i++) {
        const struct http_field *field = &request->fields[i];
        if (field->id != HTTP_FIELD_TRANSFER_ENCODING)
            continue;
        const char *cursor = field->value.data, *end = field->value.data + field->value.length;
        struct http_span element, coding;
        while (next_list_element(&cursor, end, &element)) {
            if (!valid_transfer_coding(element, &coding))
                return HTTP_REASON_BAD_TRANSFER_ENCODING;
            codings++;
            last_is_chunked = span_equals_lower(coding.data, coding.length, "chunked");
            chunked_count += (unsigned)last_is_chunked;
        }
    }
    if (codings == 0 || !last_is_chunked || chunked_count != 1)
        return HTTP_REASON_BAD_TRANSFER_ENCODING;
    return HTTP_REASON_TRANSFER_ENCODING;
}

/* Content-Length = 1*DIGIT (RFC 9112 §6.2), one line only, at most 18 digits so
 * it fits in 64 bits without overflow; anything but zero means a body. */
static enum http_reason check_content_length(const struct http_request *request)
{
    if (request->field_repeats[HTTP_FIELD_CONTENT_LENGTH] > 1)
        return HTTP_REASON_DUPLICATE_CONTENT_LENGTH;
    const struct http_field *field = http_request_field(request, HTTP_FIELD_CONTENT_LENGTH);
    size_t length = field->value.length;
    if (length == 0 || length > 18)
        return HTTP_REASON_BAD_CONTENT_LENGTH;
    int nonzero = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)field->value.data[i];
        if (!has_class(byte, CLASS_DIGIT))
            return HTTP_REASON_BAD_CONTENT_LENGTH;
        nonzero |= byte != '0';
    }
    return nonzero ? HTTP_REASON_CONTENT_LENGTH_BODY : HTTP_REASON_NONE;
}

/* Connection options (RFC 9112 §9.3, RFC 9110 §7.6.1) decide persistence. */
static enum http_reason check_connection(struct http_request *request)
{
    int has_close = 0, has_keep_alive = 0;
    for (uint32_t i = 0; i < request->field_count; i++) {
        const struct http_field *field = &request->fields[i];
        if (field->id != HTTP_FIELD_CONNECTION)
            continue;
        const char *cursor = field->value.data, *end = field->value.data + field->value.length;
        struct http_span option;
        while (next_list_element(&cursor, end, &option)) {
            if (!is_token(option.data, option.length))
                return HTTP_REASON_BAD_CONNECTION;
            has_close |= span_equals_lower(option.data, option.length, "close");
            has_keep_alive |= span_equals_lower(option.data, option.length, "keep-alive");
        }
    }
    if (request->version_minor == 0)
        request->keep_alive = has_keep_alive && !has_close;
    else
        request->keep_alive = !has_close;
    return HTTP_REASON_NONE;
}

enum http_reason http_parser_check_head(struct http_request *request)
{
    unsigned hosts = request->field_repeats[HTTP_FIELD_HOST];
    if (hosts == 0 && request->version_minor >= 1)
        return HTTP_REASON_MISSING_HOST;
    if (hosts > 1)
        return HTTP_REASON_DUPLICATE_HOST;
    if (hosts == 1) {
        const struct http_field *host = http_request_field(request, HTTP_FIELD_HOST);
        if (!http_parser_valid_authority(host->value.data, host->value.length))
            return HTTP_REASON_BAD_HOST;
        if (request->target_form != HTTP_TARGET_ABSOLUTE)
            request->authority =
                host->value; /* an absolute-form authority wins (RFC 9112 §3.2.2) */
    }
    if (request->field_repeats[HTTP_FIELD_TRANSFER_ENCODING] > 0)
        return check_transfer_encoding(request);
    if (request->field_repeats[HTTP_FIELD_CONTENT_LENGTH] > 0) {
        enum http_reason reason = check_content_length(request);
        if (reason != HTTP_REASON_NONE)
            return reason;
    }
    enum http_reason reason = check_connection(request);
    if (reason != HTTP_REASON_NONE)
        return reason;

    int asterisk = request->target_form == HTTP_TARGET_ASTERISK;
    int authority = request->target_form == HTTP_TARGET_AUTHORITY;
    int connect = request->method == HTTP_METHOD_CONNECT;
    if ((asterisk && request->method != HTTP_METHOD_OPTIONS) || authority != connect)
        return HTTP_REASON_BAD_TARGET_FORM;

    switch (request->method) {
    case HTTP_METHOD_GET:
    case HTTP_METHOD_HEAD:
    case HTTP_METHOD_OPTIONS: return HTTP_REASON_NONE;
    case HTTP_METHOD_UNKNOWN: return HTTP_REASON_METHOD_NOT_IMPLEMENTED;
    default: return HTTP_REASON_METHOD_NOT_ALLOWED;
    }
}
