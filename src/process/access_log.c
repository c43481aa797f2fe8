/* access_log.c: format access-log lines (docs/logging.md).
 *
 * The first nine fields are Apache's combined log format, so existing tools read
 * them; prong's own fields follow. Request bytes are escaped byte by byte and
 * each escaped field is capped (LOG_FIELD_MAX, LOG_FORWARDED_MAX), so a line
 * always fits in one log-channel message. Must not: emit a raw control byte, quote or newline taken
 * from a request. */
#include "process/access_log.h"

#include <string.h>

#include "fixed_limits.h"
#include "http/http_date.h"
#include "http/text_number.h"

struct line {
    char *out;
    size_t size, length;
};

static void put(struct line *line, const char *text, size_t length)
{
    if (line->length + length >= line->size)
        length = line->size - line->length - 1;
    memcpy(line->out + line->length, text, length);
    line->length += length;
    line->out[line->length] = '\0';
}

static void put_text(struct line *line, const char *text)
{
    put(line, text, strlen(text));
}

/* Digits by hand, not snprintf (text_number.h says why). */
static void put_number(struct line *line, uint64_t value)
{
    char digits[NUMBER_DECIMAL_MAX];
    put(line, digits, number_decimal(value, digits));
}

/* A request-derived field in quotes: "-" when absent, escaped, capped. */
static void put_quoted(struct line *line, struct http_span span, size_t max_escaped)
{
    static const char HEX[] = "0123456789abcdef";
    if (!span.data) {
        put_text(line, "\"-\"");
        return;
    }
    char escaped[LOG_FIELD_MAX + 8];
    size_t used = 0;
    escaped[used++] = '"';
    for (size_t i = 0; i < span.length; i++) {
        unsigned char byte = (unsigned char)span.data[i];
        int needs_escape = byte < 0x20 || byte > 0x7e || byte == '"' || byte == '\\';
        if (used - 1 + (needs_escape ? 4u : 1u) >
            max_escaped) { /* used - 1: after the opening quote */
            memcpy(escaped + used, "...", 3);
            used += 3;
            break;
        }
        if (needs_escape) {
            escaped[used++] = '\\';
            escaped[used++] = 'x';
            escaped[used++] = HEX[byte >> 4];
            escaped[used++] = HEX[byte & 15];
        } else {
            escaped[used++] = (char)byte;
        }
    }
    escaped[used++] = '"';
    put(line, escaped, used);
}

size_t access_log_format(const struct access_record *record, char *out, size_t out_size)
{
    struct line line = {out, out_size, 0};
    char when[32];
    if (out_size == 0)
        return 0;
    out[0] = '\0';
    http_date_format_log(record->time_seconds, when);
    put_text(&line, record->client ? record->client : "-");
    put_text(&line, " - - [");
    put_text(&line, when);
    put_text(&line, "] ");
    put_quoted(&line, record->request_line, LOG_FIELD_MAX);
    put_text(&line, " ");
    put_number(&line, (uint64_t)record->status);
    put_text(&line, " ");
    put_number(&line, record->body_bytes);
    put_text(&line, " ");
    put_quoted(&line, record->referer, LOG_FIELD_MAX);
    put_text(&line, " ");
    put_quoted(&line, record->user_agent, LOG_FIELD_MAX);
    put_text(&line, " ");
    put_number(&line, record->duration_us);
    put_text(&line, " ");
    put_text(&line, record->reason ? record->reason : "-");
    put_text(&line, " ");
    put_quoted(&line, record->forwarded, LOG_FORWARDED_MAX);
    return line.length;
}
