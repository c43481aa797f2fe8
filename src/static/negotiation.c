/* negotiation.c: Accept-Encoding and Accept, weighed as RFC 9110 §12.4.2 and §12.5 say.
 *
 * Weights are thousandths (q=0.5 is 500). A member with a malformed weight is
 * ignored; the first member naming a coding or media range decides its weight
 * (a later repetition does not override it). "x-gzip" is gzip (RFC 9110 §8.4.1.3).
 * Must not: allocate or read outside the spans given. */
#include "static/negotiation.h"

#include "http/field_list.h"

#define UNSET (-1)

const char *negotiation_coding_name(enum content_coding coding)
{
    switch (coding) {
    case CODING_BR: return "br";
    case CODING_GZIP: return "gzip";
    default: return NULL;
    }
}

struct coding_weights {
    int br, gzip, identity, any;
};

static void set_once(int *slot, int quality)
{
    if (*slot == UNSET)
        *slot = quality;
}

static struct coding_weights read_coding_weights(const struct http_span *values, size_t count)
{
    struct coding_weights weights = {UNSET, UNSET, UNSET, UNSET};
    for (size_t i = 0; i < count; i++) {
        struct list_cursor cursor = field_list_begin(values[i]);
        struct list_member member;
        while (field_list_next(&cursor, &member)) {
            if (member.quality < 0)
                continue;
            if (field_list_span_is(member.value, "br"))
                set_once(&weights.br, member.quality);
            else if (field_list_span_is(member.value, "gzip") ||
                     field_list_span_is(member.value, "x-gzip"))
                set_once(&weights.gzip, member.quality);
            else if (field_list_span_is(member.value, "identity"))
                set_once(&weights.identity, member.quality);
            else if (field_list_span_is(member.value, "*"))
                set_once(&weights.any, member.quality);
        }
    }
    return weights;
}

enum content_coding negotiation_choose_coding(const struct http_span *values, size_t count,
                                              bool have_br, bool have_gzip)
{
    if (count == 0 || (!have_br && !have_gzip))
        return CODING_IDENTITY;
    struct coding_weights weights = read_coding_weights(values, count);
    int fallback = weights.any != UNSET ? weights.any : 0;
    int br = have_br ? (weights.br != UNSET ? weights.br : fallback) : 0;
    int gzip = have_gzip ? (weights.gzip != UNSET ? weights.gzip : fallback) : 0;
    /* identity is acceptable unless excluded (§12.5.3); unnamed, it ranks last. */
    int identity = weights.identity != UNSET ? weights.identity : (weights.any == 0 ? 0 : 1);
    if (br > 0 && br >= gzip && br >= identity)
        return CODING_BR;
    if (gzip > 0 && gzip >= identity)
        return CODING_GZIP;
    return CODING_IDENTITY;
}

/* Offering fewer siblings never helps a coding win. gzip alone must pass the
 * very test it passes when both are offered. br alone need not reach gzip's
 * weight any more, but if br lost to gzip only, gzip (above br, so above 0 and
 * identity) would have won with both offered. So identity with both offered
 * means identity with any offer. */
bool negotiation_may_encode(const struct http_span *values, size_t count)
{
    return negotiation_choose_coding(values, count, true, true) != CODING_IDENTITY;
}

/* How specifically a media range matches type/subtype: 3 exact, 2 type/x, 1 x/x, 0 not. */
static int media_range_match(struct http_span range, const char *type, const char *full)
{
    if (field_list_span_is(range, full))
        return 3;
    size_t type_length = 0;
    while (type[type_length])
        type_length++;
    if (range.length == type_length + 2 && range.data[type_length] == '/' &&
        range.data[type_length + 1] == '*' &&
        field_list_span_is((struct http_span){range.data, type_length}, type))
        return 2;
    if (field_list_span_is(range, "*/*"))
        return 1;
    return 0;
}

struct media_weight {
    int specificity, quality;
};

static void weigh(struct media_weight *weight, struct http_span range, int quality,
                  const char *type, const char *full)
{
    int specificity = media_range_match(range, type, full);
    if (specificity > weight->specificity) {
        weight->specificity = specificity;
        weight->quality = quality;
    }
}

bool negotiation_prefers_json(const struct http_span *values, size_t count)
{
    struct media_weight json = {0, 0}, html = {0, 0};
    for (size_t i = 0; i < count; i++) {
        struct list_cursor cursor = field_list_begin(values[i]);
        struct list_member member;
        while (field_list_next(&cursor, &member)) {
            if (member.quality < 0)
                continue;
            weigh(&json, member.value, member.quality, "application", "application/json");
            weigh(&html, member.value, member.quality, "text", "text/html");
        }
    }
    return json.quality > html.quality;
}
