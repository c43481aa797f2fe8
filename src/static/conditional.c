/* conditional.c: entity tags and the precondition order of RFC 9110 §13.2.2.
 *
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (§8.8.3). Strong comparison: both
 * tags strong and their opaque tags equal; weak comparison: the opaque tags
 * equal, W/ ignored (§8.8.3.2). A list member that is not an entity tag or "*"
 * matches nothing. Only GET and HEAD reach this code (OPTIONS is answered
 * before), so a false If-None-Match is always 304, never 412.
 * Must not: allocate, or treat a malformed date as a condition. */
#include "static/conditional.h"

#include <string.h>

#include "http/field_list.h"
#include "http/http_date.h"
#include "http/text_number.h"

void conditional_format_etag(int64_t mtime_seconds, long mtime_nanoseconds, uint64_t size,
                             enum content_coding coding, char out[ETAG_SIZE])
{
    /* "\"MTIME.NANOSECONDS-SIZE[-CODING]\"" in hexadecimal, written by hand (text_number.h) */
    const char *name = negotiation_coding_name(coding);
    char *at = out;
    *at++ = '"';
    at += number_hex((uint64_t)mtime_seconds, at);
    *at++ = '.';
    at += number_hex((uint64_t)mtime_nanoseconds, at);
    *at++ = '-';
    at += number_hex(size, at);
    if (name) {
        *at++ = '-';
        memcpy(at, name, strlen(name));
        at += strlen(name);
    }
    *at++ = '"';
    *at = '\0';
}

static bool is_etagc(unsigned char byte)
{
    return byte == 0x21 || (byte >= 0x23 && byte <= 0x7e) || byte >= 0x80;
}

static bool is_ows(char byte)
{
    return byte == ' ' || byte == '\t';
}

/* Past the next comma (or to the end). */
static const char *skip_to_next_member(const char *at, const char *end)
{
    while (at < end && *at != ',')
        at++;
    return at < end ? at + 1 : at;
}

/* One list value: does any member match? */
static bool list_value_matches(struct http_span value, const char *etag,
                               enum etag_comparison comparison)
{
    const char *at = value.data, *end = value.data + value.length;
    size_t etag_length = strlen(etag);
    while (at < end) {
        while (at < end && (is_ows(*at) || *at == ','))
            at++;
        if (at == end)
            break;
        if (*at == '*') {
            const char *after = at + 1;
            while (after < end && is_ows(*after))
                after++;
            if (after == end || *after == ',')
                return true;
            at = skip_to_next_member(at, end);
            continue;
        }
        bool weak = end - at >= 2 && at[0] == 'W' && at[1] == '/';
        const char *tag = weak ? at + 2 : at;
        const char *close = tag < end && *tag == '"' ? tag + 1 : end;
        while (close < end && is_etagc((unsigned char)*close))
            close++;
        if (tag >= end || *tag != '"' || close >= end || *close != '"') {
            at = skip_to_next_member(at, end);
            continue;
        }
        size_t tag_length = (size_t)(close + 1 - tag);
        bool same = tag_length == etag_length && memcmp(tag, etag, etag_length) == 0;
        at = close + 1;
        while (at < end && is_ows(*at))
            at++;
        if (at < end && *at != ',') {
            at = skip_to_next_member(at, end); /* junk after the tag: not an entity tag */
            continue;
        }
        if (same && (comparison == ETAG_WEAK || !weak))
            return true;
    }
    return false;
}

bool conditional_etag_list_matches(const struct http_span *values, size_t count, const char *etag,
                                   enum etag_comparison comparison)
{
    for (size_t i = 0; i < count; i++)
        if (list_value_matches(values[i], etag, comparison))
            return true;
    return false;
}

/* A date field's value, or -1 when absent, repeated or not an HTTP-date. */
static int64_t single_date(const struct http_request *request, enum http_field_id id)
{
    const struct http_field *field = http_request_field(request, id);
    if (!field || request->field_repeats[id] != 1)
        return -1;
    return http_date_parse(field->value.data, field->value.length);
}

enum tag_list { TAG_LIST_EMPTY, TAG_LIST_MATCHES, TAG_LIST_MISSES };

/* A field's entity-tag list against etag: empty (absent, or no member), or
 * whether a member matches. Not inlined, and not called for a field the
 * request lacks: its 1.6 KiB of list values is stack a connection process
 * would otherwise reach, and copy, on every file response. */
__attribute__((noinline)) static enum tag_list tag_list_match(const struct http_request *request,
                                                              enum http_field_id id,
                                                              const char *etag,
                                                              enum etag_comparison comparison)
{
    struct http_span values[HTTP_MAX_FIELDS];
    size_t count = field_list_values(request, id, values, HTTP_MAX_FIELDS);
    if (count == 0)
        return TAG_LIST_EMPTY;
    return conditional_etag_list_matches(values, count, etag, comparison) ? TAG_LIST_MATCHES
                                                                          : TAG_LIST_MISSES;
}

static enum tag_list field_tag_list(const struct http_request *request, enum http_field_id id,
                                    const char *etag, enum etag_comparison comparison)
{
    return http_request_field(request, id) ? tag_list_match(request, id, etag, comparison)
                                           : TAG_LIST_EMPTY;
}

enum precondition_result conditional_evaluate(const struct http_request *request,
                                              const struct validators *validators)
{
    /* Step 1: If-Match; step 2: If-Unmodified-Since only without If-Match. */
    enum tag_list list =
        field_tag_list(request, HTTP_FIELD_IF_MATCH, validators->etag, ETAG_STRONG);
    if (list != TAG_LIST_EMPTY) {
        if (list == TAG_LIST_MISSES)
            return PRECONDITION_FAILED;
    } else {
        int64_t date = single_date(request, HTTP_FIELD_IF_UNMODIFIED_SINCE);
        if (date >= 0 && validators->last_modified > date)
            return PRECONDITION_FAILED;
    }
    /* Step 3: If-None-Match; step 4: If-Modified-Since only without it. */
    list = field_tag_list(request, HTTP_FIELD_IF_NONE_MATCH, validators->etag, ETAG_WEAK);
    if (list != TAG_LIST_EMPTY)
        return list == TAG_LIST_MATCHES ? PRECONDITION_NOT_MODIFIED : PRECONDITION_PASS;
    int64_t date = single_date(request, HTTP_FIELD_IF_MODIFIED_SINCE);
    if (date >= 0 && validators->last_modified <= date)
        return PRECONDITION_NOT_MODIFIED;
    return PRECONDITION_PASS;
}

bool conditional_if_range_holds(const struct http_request *request,
                                const struct validators *validators, int64_t now)
{
    const struct http_field *field = http_request_field(request, HTTP_FIELD_IF_RANGE);
    if (!field)
        return true;
    if (request->field_repeats[HTTP_FIELD_IF_RANGE] != 1)
        return false;
    struct http_span value = field->value;
    bool entity_tag =
        (value.length > 0 && value.data[0] == '"') ||
        (value.length > 1 && value.data[0] == 'W' && value.data[1] == '/'); /* not "Wed, …" */
    if (entity_tag) {
        /* An entity tag: strong comparison, so a weak tag never matches. */
        return value.length == strlen(validators->etag) &&
               memcmp(value.data, validators->etag, value.length) == 0;
    }
    int64_t date = http_date_parse(value.data, value.length);
    return date >= 0 && date == validators->last_modified && validators->last_modified < now;
}
