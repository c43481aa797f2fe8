/* header_rules.c: check, store and select the administrator's response headers.
 *
 * What a row may be (contract in include/static/header_rules.h):
 *   - the name is an RFC 9110 token (§5.1, §5.6.2) and not one prong owns: the
 *     framing fields (Content-Length, Transfer-Encoding, Content-Range,
 *     Content-Encoding, and Content-Type, which the MIME table and --mime-types
 *     decide), the hop-by-hop ones (§7.6.1: Connection, Keep-Alive,
 *     Proxy-Connection, TE, Trailer, Upgrade), and those prong computes or
 *     always sends (Date, Server: see --server-header, ETag, Last-Modified,
 *     Accept-Ranges, Location, Allow, Retry-After, X-Content-Type-Options). A
 *     duplicate of one of those would contradict the response; everything else
 *     (Cache-Control, Strict-Transport-Security, Content-Security-Policy, Vary,
 *     Link, CORS, Set-Cookie...) is the administrator's to send.
 *   - the value is field-value syntax (§5.5): visible ASCII, with SP and HTAB
 *     only between visible characters (no leading or trailing whitespace), and
 *     not empty. obs-text (bytes 0x80-0xFF) is refused: §5.5 keeps it only for
 *     old fields, and recipients read it as ISO-8859-1 or not at all.
 *   - a prefix starts and ends with '/', and can match a request path as the
 *     server sees it: no "//" (runs of '/' are merged), no "." or ".." segment
 *     (the parser removes them), no control byte or space.
 * Must not: allocate, copy a text, or accept a byte that could end a field line. */
#include "static/header_rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_parser.h"

#define TEXT(value) #value
#define NUMBER_TEXT(value) TEXT(value)

/* ---------------------------------------------------------------- validators */

static bool is_token_byte(unsigned char byte)
{
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= '0' && byte <= '9'))
        return true;
    return byte != '\0' && strchr("!#$%&'*+-.^_`|~", byte) != NULL;
}

static bool is_visible_ascii(unsigned char byte)
{
    return byte >= 0x21 && byte <= 0x7e;
}

struct owned_field {
    const char *name;
    const char *reason;
};

static const struct owned_field OWNED_FIELDS[] = {
    {"Content-Length", "is message framing, which prong computes"},
    {"Transfer-Encoding", "is message framing, which prong computes"},
    {"Content-Range", "is message framing, which prong computes"},
    {"Content-Encoding", "is prong's (precompressed files)"},
    {"Content-Type", "comes from the MIME table (use --mime-types)"},
    {"Connection", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"Keep-Alive", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"Proxy-Connection", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"TE", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"Trailer", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"Upgrade", "is hop-by-hop (RFC 9110 §7.6.1)"},
    {"Date", "is prong's (every response has one)"},
    {"Server", "is prong's (use --server-header off to drop it)"},
    {"ETag", "is prong's (validators are computed per file)"},
    {"Last-Modified", "is prong's (validators are computed per file)"},
    {"Accept-Ranges", "is prong's (range support is computed)"},
    {"Location", "is prong's (redirects)"},
    {"Allow", "is prong's (405, 501 and OPTIONS)"},
    {"Retry-After", "is prong's (503)"},
    {"X-Content-Type-Options", "is prong's (always nosniff)"},
};

const char *header_name_problem(const char *name, size_t length)
{
    if (length == 0)
        return "expected 'Name: value' (a field name, a colon, a value)";
    for (size_t i = 0; i < length; i++)
        if (!is_token_byte((unsigned char)name[i]))
            return "the field name is not a token (RFC 9110 §5.6.2)";
    for (size_t i = 0; i < sizeof OWNED_FIELDS / sizeof OWNED_FIELDS[0]; i++)
        if (strlen(OWNED_FIELDS[i].name) == length &&
            strncasecmp(OWNED_FIELDS[i].name, name, length) == 0)
            return OWNED_FIELDS[i].reason;
    return NULL;
}

const char *header_value_problem(const char *value, size_t length)
{
    if (length == 0)
        return "the value is empty";
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)value[i];
        if (byte >= 0x80)
            return "the value has a byte past ASCII (obs-text is refused)";
        if (byte != ' ' && byte != '\t' && !is_visible_ascii(byte))
            return "the value has a control byte";
    }
    if (!is_visible_ascii((unsigned char)value[0]) ||
        !is_visible_ascii((unsigned char)value[length - 1]))
        return "the value starts or ends with whitespace";
    return NULL;
}

const char *header_prefix_problem(const char *prefix, size_t length)
{
    if (length == 0 || prefix[0] != '/' || prefix[length - 1] != '/')
        return "a path prefix starts and ends with '/'";
    if (length >= HTTP_MAX_PATH)
        return "the path prefix is longer than a path";
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)prefix[i];
        if (byte <= 0x20 || byte == 0x7f)
            return "the path prefix has a space or a control byte";
        if (byte == '/' && i + 1 < length && prefix[i + 1] == '/')
            return "the path prefix has '//' (the server merges runs of '/')";
        if (byte != '/')
            continue;
        size_t segment = i + 1, end = segment;
        while (end < length && prefix[end] != '/')
            end++;
        size_t segment_length = end - segment;
        if (end < length &&
            ((segment_length == 1 && prefix[segment] == '.') ||
             (segment_length == 2 && prefix[segment] == '.' && prefix[segment + 1] == '.')))
            return "the path prefix has a '.' or '..' segment (requests never do)";
    }
    return NULL;
}

/* ---------------------------------------------------------------- rows */

/* The argument is quoted whole up to 100 bytes, then cut with "...", so the
 * reason always fits in the message. */
static int refuse(char *error, size_t error_size, const char *flag, const char *argument,
                  const char *reason)
{
    bool long_argument = strlen(argument) > 100;
    snprintf(error, error_size, "%s '%.100s%s': %s", flag, argument, long_argument ? "..." : "",
             reason);
    return -1;
}

static int store(struct header_rules *rules, struct header_rule *row, const char *flag, char *error,
                 size_t error_size)
{
    if (rules->count >= HEADER_RULES_MAX)
        return refuse(error, error_size, flag, row->argument,
                      "too many header rows (at most " NUMBER_TEXT(HEADER_RULES_MAX) ")");
    size_t length = strlen(row->argument);
    if (length > HEADER_RULES_TEXT_MAX - rules->text_bytes)
        return refuse(
            error, error_size, flag, row->argument,
            "the header rows add up to more than " NUMBER_TEXT(HEADER_RULES_TEXT_MAX) " bytes");
    rules->text_bytes += length;
    row->group = (uint8_t)rules->count;
    for (size_t i = 0; i < rules->count; i++)
        if (rules->rows[i].name_length == row->name_length &&
            strncasecmp(rules->rows[i].name, row->name, row->name_length) == 0) {
            row->group = rules->rows[i].group;
            break;
        }
    rules->rows[rules->count++] = *row;
    return 0;
}

/* "Name: value" at text: the name up to the colon (no whitespace before it,
 * RFC 9112 §5.1), optional whitespace, then the value to the end. */
static int split_field(const char *text, struct header_rule *row, const char *flag, char *error,
                       size_t error_size)
{
    const char *colon = strchr(text, ':');
    if (!colon)
        return refuse(error, error_size, flag, row->argument,
                      "expected 'Name: value' (a field name, a colon, a value)");
    size_t name_length = (size_t)(colon - text);
    const char *problem = header_name_problem(text, name_length);
    if (problem)
        return refuse(error, error_size, flag, row->argument, problem);
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t value_length = strlen(value);
    problem = header_value_problem(value, value_length);
    if (problem)
        return refuse(error, error_size, flag, row->argument, problem);
    row->name = text;
    row->name_length = (uint16_t)name_length;
    row->value = value;
    row->value_length = (uint16_t)value_length;
    return 0;
}

int header_rules_add(struct header_rules *rules, const char *argument, char *error,
                     size_t error_size)
{
    struct header_rule row = {.argument = argument, .scope = HEADER_SCOPE_EVERY};
    const char *field = argument;
    if (strlen(argument) > HEADER_RULES_TEXT_MAX)
        return refuse(error, error_size, "--header", argument, "longer than all rows may be");
    if (argument[0] == '/') {
        const char *space = strchr(argument, ' ');
        size_t prefix_length = space ? (size_t)(space - argument) : strlen(argument);
        const char *problem = header_prefix_problem(argument, prefix_length);
        if (problem)
            return refuse(error, error_size, "--header", argument, problem);
        if (!space)
            return refuse(error, error_size, "--header", argument,
                          "expected '/prefix/ Name: value'");
        row.prefix = argument;
        row.prefix_length = (uint16_t)prefix_length;
        row.scope = HEADER_SCOPE_PATH;
        for (field = space; *field == ' ';)
            field++;
    }
    if (split_field(field, &row, "--header", error, error_size) != 0)
        return -1;
    return store(rules, &row, "--header", error, error_size);
}

int header_rules_add_file_row(struct header_rules *rules, const char *flag, const char *name,
                              const char *value, char *error, size_t error_size)
{
    struct header_rule row = {.argument = value, .scope = HEADER_SCOPE_FILE};
    size_t value_length = strlen(value);
    const char *problem = header_name_problem(name, strlen(name));
    if (!problem)
        problem = value_length > HEADER_RULES_TEXT_MAX ? "longer than all rows may be"
                                                       : header_value_problem(value, value_length);
    if (problem)
        return refuse(error, error_size, flag, value, problem);
    row.name = name;
    row.name_length = (uint16_t)strlen(name);
    row.value = value;
    row.value_length = (uint16_t)value_length;
    return store(rules, &row, flag, error, error_size);
}

/* ---------------------------------------------------------------- selection */

size_t header_rule_line_length(const struct header_rule *rule)
{
    return (size_t)rule->name_length + 2u + rule->value_length + 2u;
}

static bool in_scope(const struct header_rule *rule, enum response_kind kind)
{
    switch ((enum header_scope)rule->scope) {
    case HEADER_SCOPE_EVERY: return true;
    case HEADER_SCOPE_PATH: return kind != RESPONSE_KIND_ERROR;
    case HEADER_SCOPE_FILE: return kind == RESPONSE_KIND_FILE;
    }
    return false;
}

/* How well a row matches: its prefix length (0 without one), or -1. */
static int match_length(const struct header_rule *rule, const char *path, size_t path_length)
{
    if (!rule->prefix)
        return 0;
    if (!path || path_length < rule->prefix_length ||
        memcmp(path, rule->prefix, rule->prefix_length) != 0)
        return -1;
    return rule->prefix_length;
}

size_t header_rules_select(const struct header_rules *rules, const char *path, size_t path_length,
                           enum response_kind kind, uint8_t selected[HEADER_RULES_MAX])
{
    if (!rules || rules->count == 0)
        return 0;
    int best[HEADER_RULES_MAX], matched[HEADER_RULES_MAX];
    for (size_t i = 0; i < rules->count; i++)
        best[i] = -1;
    for (size_t i = 0; i < rules->count; i++) {
        const struct header_rule *rule = &rules->rows[i];
        matched[i] = in_scope(rule, kind) ? match_length(rule, path, path_length) : -1;
        if (matched[i] > best[rule->group])
            best[rule->group] = matched[i];
    }
    size_t count = 0;
    for (size_t i = 0; i < rules->count; i++)
        if (matched[i] >= 0 && matched[i] == best[rules->rows[i].group])
            selected[count++] = (uint8_t)i;
    return count;
}

/* ---------------------------------------------------------------- the whole set */

/* The bytes the rows add to a response of this kind whose path matches every
 * prefix that is a prefix of `deepest` (the prefixes one path matches always
 * form such a chain: each is a prefix of the path, hence of the longest). */
static size_t bytes_for(const struct header_rules *rules, const struct header_rule *deepest,
                        enum response_kind kind)
{
    uint8_t selected[HEADER_RULES_MAX];
    size_t count = header_rules_select(rules, deepest ? deepest->prefix : NULL,
                                       deepest ? deepest->prefix_length : 0, kind, selected);
    size_t bytes = 0;
    for (size_t i = 0; i < count; i++)
        bytes += header_rule_line_length(&rules->rows[selected[i]]);
    return bytes;
}

static const struct header_rule *conflicting_row(const struct header_rules *rules)
{
    for (size_t i = 0; i < rules->count; i++)
        for (size_t j = 0; j < rules->count; j++)
            if (rules->rows[i].scope == HEADER_SCOPE_FILE &&
                rules->rows[j].scope == HEADER_SCOPE_EVERY &&
                rules->rows[i].group == rules->rows[j].group)
                return &rules->rows[j];
    return NULL;
}

int header_rules_finish(struct header_rules *rules, char *error, size_t error_size)
{
    const struct header_rule *conflict = conflicting_row(rules);
    if (conflict)
        return refuse(error, error_size, "--header", conflict->argument,
                      "--cache-control already sets this field on every file (keep one, or "
                      "give this row a prefix)");
    size_t worst = 0;
    static const enum response_kind KINDS[] = {RESPONSE_KIND_ERROR, RESPONSE_KIND_OTHER,
                                               RESPONSE_KIND_FILE};
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++)
        for (size_t i = 0; i <= rules->count; i++) {
            const struct header_rule *deepest = i < rules->count ? &rules->rows[i] : NULL;
            if (deepest && !deepest->prefix)
                continue;
            size_t bytes = bytes_for(rules, deepest, KINDS[k]);
            if (bytes > worst)
                worst = bytes;
        }
    rules->worst_case = worst;
    if (worst > RESPONSE_CONFIGURED_MAX) {
        snprintf(error, error_size,
                 "--header: the rows could add %zu bytes to one response, more than the %d a "
                 "response head has room for",
                 worst, RESPONSE_CONFIGURED_MAX);
        return -1;
    }
    return 0;
}
