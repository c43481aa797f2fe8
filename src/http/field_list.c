/* field_list.c: comma-separated field values (RFC 9110 §5.6.1) and qvalues (§12.4.2).
 *
 * A member is "word *( OWS ';' OWS name '=' ( token / quoted-string ) )"; the
 * word ends at ';', ',' or whitespace. A parameter that does not fit that shape
 * makes the member malformed: it is skipped to the next comma outside quotes and
 * reported with quality -1, so one bad member never poisons its neighbours.
 * Must not: read outside [at, end), allocate, or depend on the locale. */
#include "http/field_list.h"

#include <string.h>

static bool is_ows(char byte)
{
    return byte == ' ' || byte == '\t';
}

static char lower(char byte)
{
    return byte >= 'A' && byte <= 'Z' ? (char)(byte - 'A' + 'a') : byte;
}

bool field_list_span_is(struct http_span span, const char *lower_literal)
{
    size_t length = strlen(lower_literal);
    if (span.length != length)
        return false;
    for (size_t i = 0; i < length; i++)
        if (lower(span.data[i]) != lower_literal[i])
            return false;
    return true;
}

size_t field_list_values(const struct http_request *request, enum http_field_id id,
                         struct http_span *values, size_t max)
{
    size_t count = 0;
    for (uint32_t i = 0; i < request->field_count && count < max; i++)
        if (request->fields[i].id == id)
            values[count++] = request->fields[i].value;
    return count;
}

struct list_cursor field_list_begin(struct http_span value)
{
    return (struct list_cursor){value.data, value.data ? value.data + value.length : NULL};
}

int field_list_parse_quality(const char *text, size_t length)
{
    /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
    if (length == 0 || length > 5 || (text[0] != '0' && text[0] != '1'))
        return -1;
    if (length > 1 && text[1] != '.')
        return -1;
    int value = (text[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value += (text[i] - '0') * scale;
        scale /= 10;
    }
    return value <= QUALITY_MAX ? value : -1;
}

static void skip_ows(struct list_cursor *cursor)
{
    while (cursor->at < cursor->end && is_ows(*cursor->at))
        cursor->at++;
}

/* Past the next comma that is not inside a quoted string (or to the end). */
static void skip_member(struct list_cursor *cursor)
{
    bool quoted = false;
    while (cursor->at < cursor->end) {
        char byte = *cursor->at++;
        if (quoted && byte == '\\' && cursor->at < cursor->end)
            cursor->at++;
        else if (byte == '"')
            quoted = !quoted;
        else if (byte == ',' && !quoted)
            return;
    }
}

static bool is_word_byte(char byte)
{
    return byte != ',' && byte != ';' && byte != '"' && !is_ows(byte);
}

/* One parameter value: a token or a quoted-string (RFC 9110 §5.6.4, §5.6.6). */
static bool take_parameter_value(struct list_cursor *cursor, struct http_span *value)
{
    const char *start = cursor->at;
    if (cursor->at < cursor->end && *cursor->at == '"') {
        for (cursor->at++; cursor->at < cursor->end && *cursor->at != '"'; cursor->at++)
            if (*cursor->at == '\\' && cursor->at + 1 < cursor->end)
                cursor->at++;
        if (cursor->at == cursor->end)
            return false;
        cursor->at++;
        *value = (struct http_span){start + 1, (size_t)(cursor->at - start - 2)};
        return true;
    }
    while (cursor->at < cursor->end && is_word_byte(*cursor->at) && *cursor->at != '=')
        cursor->at++;
    *value = (struct http_span){start, (size_t)(cursor->at - start)};
    return value->length > 0;
}

/* The parameters after the word; false when they are malformed. */
static bool take_parameters(struct list_cursor *cursor, int *quality)
{
    for (;;) {
        skip_ows(cursor);
        if (cursor->at == cursor->end || *cursor->at == ',')
            return true;
        if (*cursor->at != ';')
            return false;
        cursor->at++;
        skip_ows(cursor);
        const char *name = cursor->at;
        while (cursor->at < cursor->end && is_word_byte(*cursor->at) && *cursor->at != '=')
            cursor->at++;
        struct http_span name_span = {name, (size_t)(cursor->at - name)};
        if (name_span.length == 0 || cursor->at == cursor->end || *cursor->at != '=')
            return false;
        cursor->at++;
        struct http_span value;
        if (!take_parameter_value(cursor, &value))
            return false;
        if (field_list_span_is(name_span, "q")) {
            *quality = field_list_parse_quality(value.data, value.length);
            if (*quality < 0)
                return false;
        }
    }
}

bool field_list_next(struct list_cursor *cursor, struct list_member *member)
{
    if (!cursor->at)
        return false;
    for (;;) {
        skip_ows(cursor);
        if (cursor->at == cursor->end)
            return false;
        if (*cursor->at != ',')
            break;
        cursor->at++; /* an empty member */
    }
    const char *start = cursor->at;
    while (cursor->at < cursor->end && is_word_byte(*cursor->at))
        cursor->at++;
    member->value = (struct http_span){start, (size_t)(cursor->at - start)};
    member->quality = QUALITY_MAX;
    if (member->value.length == 0 || !take_parameters(cursor, &member->quality)) {
        member->quality = -1;
        skip_member(cursor);
        return true;
    }
    if (cursor->at < cursor->end)
        cursor->at++; /* the comma */
    return true;
}
