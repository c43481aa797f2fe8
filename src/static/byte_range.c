/* byte_range.c: parse "bytes=" range sets (RFC 9110 §14.1.2) and decide 200, 206 or 416.
 *
 * Grammar: ranges-specifier = range-unit "=" range-set, the unit compared
 * without regard to case (§14.1); range-set = 1#range-spec, where a list may
 * hold empty members and whitespace around its commas (§5.6.1.2) but no
 * whitespace inside a range-spec; int-range = first-pos "-" [ last-pos ];
 * suffix-range = "-" suffix-length. A range-spec with last-pos < first-pos makes
 * the whole field invalid, and an invalid field is ignored (§14.2). More than
 * BYTE_RANGE_MAX range-specs, or satisfiable ranges that overlap, are answered
 * with the whole representation (§14.2 lets a server ignore such a Range; nginx
 * does the same), which bounds both the work and the response.
 * Must not: read outside [value, value + length) or wrap an integer. */
#include "static/byte_range.h"

#include <stdbool.h>

static bool is_ows(char byte)
{
    return byte == ' ' || byte == '\t';
}

static bool is_digit(char byte)
{
    return byte >= '0' && byte <= '9';
}

/* 1*DIGIT, saturating at UINT64_MAX. */
static bool take_number(const char **at, const char *end, uint64_t *value)
{
    const char *p = *at;
    uint64_t result = 0;
    while (p < end && is_digit(*p)) {
        unsigned digit = (unsigned)(*p - '0');
        result = result > (UINT64_MAX - digit) / 10u ? UINT64_MAX : result * 10u + digit;
        p++;
    }
    if (p == *at)
        return false;
    *at = p;
    *value = result;
    return true;
}

struct spec {
    bool suffix;
    uint64_t first, last; /* last == UINT64_MAX: open-ended */
};

/* One range-spec at *at; false when it is not one. */
static bool take_spec(const char **at, const char *end, struct spec *spec)
{
    spec->suffix = *at < end && **at == '-';
    if (spec->suffix) {
        (*at)++;
        spec->first = 0;
        return take_number(at, end, &spec->last); /* last holds the suffix length */
    }
    if (!take_number(at, end, &spec->first) || *at == end || **at != '-')
        return false;
    (*at)++;
    spec->last = UINT64_MAX;
    if (*at < end && is_digit(**at)) {
        take_number(at, end, &spec->last);
        if (spec->last < spec->first)
            return false; /* invalid range-spec (§14.1.1) */
    }
    return true;
}

/* The satisfiable part of a spec, clamped; false when it does not overlap [0, length). */
static bool satisfiable(const struct spec *spec, uint64_t length, struct byte_range *range)
{
    if (spec->suffix) {
        if (spec->last == 0)
            return false;
        range->first = spec->last >= length ? 0 : length - spec->last;
        range->last = length - 1;
        return true;
    }
    if (spec->first >= length)
        return false;
    range->first = spec->first;
    range->last = spec->last >= length ? length - 1 : spec->last;
    return true;
}

static bool any_overlap(const struct byte_range *ranges, size_t count)
{
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (ranges[i].first <= ranges[j].last && ranges[j].first <= ranges[i].last)
                return true;
    return false;
}

static bool unit_is_bytes(const char *value, size_t length)
{
    static const char UNIT[] = "bytes=";
    if (length < sizeof UNIT - 1)
        return false;
    for (size_t i = 0; i < sizeof UNIT - 1; i++) {
        char byte = value[i] >= 'A' && value[i] <= 'Z' ? (char)(value[i] - 'A' + 'a') : value[i];
        if (byte != UNIT[i])
            return false;
    }
    return true;
}

enum byte_range_outcome byte_range_parse(const char *value, size_t length,
                                         uint64_t representation_length,
                                         struct byte_range ranges[BYTE_RANGE_MAX], size_t *count)
{
    *count = 0;
    if (!value || !unit_is_bytes(value, length))
        return BYTE_RANGE_IGNORE;
    const char *at = value + 6, *end = value + length;
    size_t specs = 0, kept = 0;
    while (at < end) {
        while (at < end && (is_ows(*at) || *at == ','))
            at++; /* whitespace and empty list members */
        if (at == end)
            break;
        struct spec spec;
        if (!take_spec(&at, end, &spec))
            return BYTE_RANGE_IGNORE;
        while (at < end && is_ows(*at))
            at++;
        if (at < end && *at != ',')
            return BYTE_RANGE_IGNORE;
        if (++specs > BYTE_RANGE_MAX)
            return BYTE_RANGE_WHOLE; /* too many: stop reading, send everything once */
        if (representation_length > 0 && satisfiable(&spec, representation_length, &ranges[kept]))
            kept++;
    }
    if (specs == 0 || representation_length == 0)
        return BYTE_RANGE_IGNORE;
    if (kept == 0)
        return BYTE_RANGE_UNSATISFIABLE;
    if (any_overlap(ranges, kept))
        return BYTE_RANGE_WHOLE;
    *count = kept;
    return BYTE_RANGE_PARTIAL;
}
