/* response.c: status lines, common headers, dates and fixed error pages.
 *
 * Every response says "X-Content-Type-Options: nosniff" (browsers must not guess
 * a type we did not send), and error pages forbid every load and script with
 * "Content-Security-Policy: default-src 'none'". Error bodies are constant text:
 * nothing from the request is ever reflected (no injection through a 404 page).
 * Must not: write to a descriptor or include request bytes. */
#include "static/response.h"

#include <string.h>
#include <time.h>

#include "http/http_date.h"
#include "process/prefault.h"
#include "http/text_number.h"

_Static_assert(RESPONSE_HEAD_MAX == HEADER_RULES_HEAD_MAX, "header_rules.h's budget");
_Static_assert(RESPONSE_OWN_HEAD_MAX + RESPONSE_CONFIGURED_MAX <= RESPONSE_HEAD_MAX,
               "configured headers fit beside prong's own");

static struct response_settings settings = {.server_header = true};

void response_configure(const struct response_settings *new_settings)
{
    settings = *new_settings;
}

const char *response_reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

const char *response_date_now(void)
{
    /* Written by every connection process's first response: kept with the
     * other statics the prefault populates (prefault.h). */
    static PREFAULT_CHILD_WRITES char cached[HTTP_DATE_SIZE];
    static PREFAULT_CHILD_WRITES time_t cached_second = -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != cached_second) {
        http_date_format((int64_t)now.tv_sec, cached);
        cached_second = now.tv_sec;
    }
    return cached;
}

static void append(struct response_head *head, const char *text, size_t length)
{
    if (head->overflow || length > sizeof head->data - head->length) {
        head->overflow = true;
        return;
    }
    memcpy(head->data + head->length, text, length);
    head->length += length;
}

static void append_text(struct response_head *head, const char *text)
{
    append(head, text, strlen(text));
}

static void append_number(struct response_head *head, uint64_t value)
{
    char digits[NUMBER_DECIMAL_MAX];
    append(head, digits, number_decimal(value, digits));
}

void response_begin(struct response_head *head, int status)
{
    head->length = 0;
    head->overflow = false;
    append_text(head, "HTTP/1.1 ");
    append_number(head, (uint64_t)status);
    append(head, " ", 1);
    append_text(head, response_reason_phrase(status));
    append(head, "\r\n", 2);
    response_add(head, "Date", response_date_now());
    if (settings.server_header)
        response_add(head, "Server", "prong");
    response_add(head, "X-Content-Type-Options", "nosniff");
}

void response_add(struct response_head *head, const char *name, const char *value)
{
    append_text(head, name);
    append(head, ": ", 2);
    append_text(head, value);
    append(head, "\r\n", 2);
}

void response_add_number(struct response_head *head, const char *name, uint64_t value)
{
    append_text(head, name);
    append(head, ": ", 2);
    append_number(head, value);
    append(head, "\r\n", 2);
}

void response_add_configured(struct response_head *head, const char *path, size_t path_length,
                             enum response_kind kind)
{
    uint8_t selected[HEADER_RULES_MAX];
    size_t count = header_rules_select(settings.headers, path, path_length, kind, selected);
    for (size_t i = 0; i < count; i++) {
        const struct header_rule *rule = &settings.headers->rows[selected[i]];
        append(head, rule->name, rule->name_length);
        append(head, ": ", 2);
        append(head, rule->value, rule->value_length);
        append(head, "\r\n", 2);
    }
}

void response_end(struct response_head *head)
{
    append(head, "\r\n", 2);
}

void response_set_connection(struct response_head *head, const char *value)
{
    static const char FIELD[] = "\r\nConnection: ";
    char *end = memmem(head->data, head->length, "\r\n\r\n", 4);
    if (head->overflow || !end ||
        memmem(head->data, (size_t)(end - head->data) + 2, FIELD, sizeof FIELD - 1))
        return;
    size_t insert_at = (size_t)(end - head->data) + 2;   /* after the last field's CRLF */
    size_t added = sizeof FIELD - 3 + strlen(value) + 2; /* "Connection: " VALUE CRLF */
    if (added > sizeof head->data - head->length) {
        head->overflow = true;
        return;
    }
    memmove(head->data + insert_at + added, head->data + insert_at, head->length - insert_at);
    memcpy(head->data + insert_at, FIELD + 2, sizeof FIELD - 3);
    memcpy(head->data + insert_at + sizeof FIELD - 3, value, strlen(value));
    memcpy(head->data + insert_at + added - 2, "\r\n", 2);
    head->length += added;
}

/* "<!doctype html>\n<title>404 Not Found</title>\n<h1>404 Not Found</h1>\n", built in a
 * response head's buffer type so the same bounded append applies. */
const char *response_error_body(int status, size_t *length)
{
    static struct response_head body;
    body.length = 0;
    body.overflow = false;
    for (int copy = 0; copy < 2; copy++) {
        append_text(&body, copy == 0 ? "<!doctype html>\n<title>" : "</title>\n<h1>");
        append_number(&body, (uint64_t)status);
        append(&body, " ", 1);
        append_text(&body, response_reason_phrase(status));
    }
    append_text(&body, "</h1>\n");
    *length = body.length;
    return body.data;
}

void response_add_error_fields(struct response_head *head, int status)
{
    if (status == 405 || status == 501)
        response_add(head, "Allow", "GET, HEAD, OPTIONS");
    if (status == 503)
        response_add(head, "Retry-After", "5");
}

void response_error_head(struct response_head *head, int status, bool close, const char *field_name,
                         const char *field_value)
{
    size_t body_length = 0;
    response_error_body(status, &body_length);
    response_begin(head, status);
    response_add(head, "Content-Type", "text/html; charset=utf-8");
    response_add_number(head, "Content-Length", body_length);
    if (field_name)
        response_add(head, field_name, field_value);
    response_add(head, "Content-Security-Policy", "default-src 'none'");
    response_add_error_fields(head, status);
    if (close)
        response_add(head, "Connection", "close");
    response_add_configured(head, NULL, 0, RESPONSE_KIND_ERROR);
    response_end(head);
}

void response_error_minimal(struct response_head *head, int status)
{
    size_t body_length = 0;
    response_error_body(status, &body_length);
    response_begin(head, status);
    response_add(head, "Content-Type", "text/html; charset=utf-8");
    response_add_number(head, "Content-Length", body_length);
    response_add(head, "Content-Security-Policy", "default-src 'none'");
    response_add(head, "Connection", "close");
    response_end(head);
}

void response_error(struct response_head *head, int status, bool close, bool head_only)
{
    size_t body_length = 0;
    const char *body = response_error_body(status, &body_length);
    response_error_head(head, status, close, NULL, NULL);
    if (!head_only)
        append(head, body, body_length);
}
