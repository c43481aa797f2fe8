/* access_log_json.c: format an access record as one JSON line
 * (include/process/access_log_json.h, docs/logging.md "JSON lines").
 *
 * The monitor calls it on a record it decoded from a connection process's
 * message, so every string here is hostile: each is escaped byte by byte to
 * printable ASCII (RFC 8259 §7) and capped, and the line is built whole or not
 * at all. Pure: no system call.
 * Must not: emit a raw control byte, a byte above 0x7e, an unterminated string
 * or object, or a byte past out_size. */
#include "process/access_log_json.h"

#include <stdbool.h>
#include <string.h>

#include "http/http_date.h"
#include "http/text_number.h"

struct json_line {
    char *out;
    size_t size, length;
    bool overflow; /* past size: the line is thrown away (unreachable by the caps) */
};

static void put(struct json_line *line, const char *text, size_t length)
{
    if (line->overflow || length >= line->size - line->length) {
        line->overflow = true;
        return;
    }
    memcpy(line->out + line->length, text, length);
    line->length += length;
}

static void put_text(struct json_line *line, const char *text)
{
    put(line, text, strlen(text));
}

/* Digits by hand, not snprintf (text_number.h says why). */
static void put_number(struct json_line *line, uint64_t value)
{
    char digits[NUMBER_DECIMAL_MAX];
    put(line, digits, number_decimal(value, digits));
}

/* The bytes one input byte becomes inside a string (RFC 8259 §7): printable
 * ASCII itself, '"' and '\' after a backslash, anything else \u00XX. */
static size_t escape_byte(unsigned char byte, char out[6])
{
    static const char HEX[] = "0123456789abcdef";
    if (byte == '"' || byte == '\\') {
        out[0] = '\\';
        out[1] = (char)byte;
        return 2;
    }
    if (byte >= 0x20 && byte <= 0x7e) {
        out[0] = (char)byte;
        return 1;
    }
    memcpy(out, "\\u00", 4);
    out[4] = HEX[byte >> 4];
    out[5] = HEX[byte & 15];
    return 6;
}

static size_t escaped_length(const char *data, size_t length)
{
    size_t total = 0;
    char scratch[6];
    for (size_t i = 0; i < length; i++)
        total += escape_byte((unsigned char)data[i], scratch);
    return total;
}

/* A quoted string of at most cap escaped bytes (whole escapes), then "..."
 * inside the quotes when the rest did not fit. */
static void put_string(struct json_line *line, const char *data, size_t length, size_t cap)
{
    char escaped[6];
    size_t used = 0;
    put(line, "\"", 1);
    for (size_t i = 0; i < length; i++) {
        size_t size = escape_byte((unsigned char)data[i], escaped);
        if (used + size > cap) {
            put(line, "...", 3);
            break;
        }
        put(line, escaped, size);
        used += size;
    }
    put(line, "\"", 1);
}

/* ,"name": and the value: a string, or null when absent (data NULL). */
static void put_member(struct json_line *line, const char *name, const char *data, size_t length,
                       size_t cap)
{
    put_text(line, ",\"");
    put_text(line, name);
    put_text(line, "\":");
    if (data)
        put_string(line, data, length, cap);
    else
        put_text(line, "null");
}

static void put_span(struct json_line *line, const char *name, struct http_span span, size_t cap)
{
    put_member(line, name, span.data, span.length, cap);
}

static void put_number_member(struct json_line *line, const char *name, uint64_t value)
{
    put_text(line, ",\"");
    put_text(line, name);
    put_text(line, "\":");
    put_number(line, value);
}

/* METHOD SP TARGET SP PROTOCOL, each part non-empty and no other space
 * (RFC 9112 §3), of a line that was not cut: the connection process cuts a
 * field at LOG_FIELD_MAX bytes (log_record.h), and a line that long may have
 * lost its protocol. The parts' escaped sum is then below the request's own
 * cap, which bounds the line (ACCESS_LOG_JSON_MAX). */
static bool split_request(struct http_span request, struct http_span parts[3])
{
    if (!request.data || request.length >= LOG_FIELD_MAX ||
        escaped_length(request.data, request.length) > LOG_FIELD_MAX)
        return false;
    size_t start = 0, count = 0;
    for (size_t i = 0; i <= request.length; i++) {
        if (i < request.length && request.data[i] != ' ')
            continue;
        if (i == start || count == 3)
            return false; /* an empty part, or a fourth */
        parts[count++] = (struct http_span){request.data + start, i - start};
        start = i + 1;
    }
    return count == 3;
}

static void put_request(struct json_line *line, struct http_span request)
{
    static const char *const NAMES[3] = {"method", "target", "protocol"};
    struct http_span parts[3];
    bool split = split_request(request, parts);
    put_span(line, "request", request, LOG_FIELD_MAX);
    for (int i = 0; i < 3; i++)
        put_span(line, NAMES[i], split ? parts[i] : (struct http_span){NULL, 0}, LOG_FIELD_MAX);
}

size_t access_log_format_json(const struct access_record *record, char *out, size_t out_size)
{
    if (out_size == 0)
        return 0;
    out[0] = '\0';
    if (out_size < ACCESS_LOG_JSON_SIZE)
        return 0;
    struct json_line line = {out, out_size, 0, false};
    char when[32];
    http_date_format_iso(record->time_seconds, when);
    put_text(&line, "{\"time\":");
    put_string(&line, when, strlen(when), sizeof when);
    put_member(&line, "client", record->client, record->client ? strlen(record->client) : 0,
               ACCESS_LOG_JSON_CLIENT_MAX);
    put_request(&line, record->request_line);
    if (record->status >= 0 && record->status <= 999)
        put_number_member(&line, "status", (uint64_t)record->status);
    else
        put_member(&line, "status", NULL, 0, 0);
    put_number_member(&line, "bytes", record->body_bytes);
    put_span(&line, "referer", record->referer, LOG_FIELD_MAX);
    put_span(&line, "user_agent", record->user_agent, LOG_FIELD_MAX);
    put_number_member(&line, "duration_us", record->duration_us);
    put_member(&line, "reason", record->reason, record->reason ? strlen(record->reason) : 0,
               ACCESS_LOG_JSON_REASON_MAX);
    put_span(&line, "forwarded", record->forwarded, LOG_FORWARDED_MAX);
    put_text(&line, "}");
    if (line.overflow) {
        out[0] = '\0';
        return 0;
    }
    out[line.length] = '\0';
    return line.length;
}
