/* header_rules.h: the administrator's response headers (--header, --cache-control).
 *
 * Contract: header_rules_add() checks one --header argument, "Name: value" (every
 * response, error responses included) or "/prefix/ Name: value" (responses that
 * are not errors, for request paths that start with the prefix), and stores it
 * as a row pointing into the argument (which must outlive the rules: argv does).
 * header_rules_add_file_row() stores --cache-control's row (file responses
 * only: 200, 206, 304). header_rules_finish() runs once all rows are in: it
 * refuses a row without a prefix for the field --cache-control sets (both
 * would be sent on every file) and any set of rows that could add more than
 * RESPONSE_CONFIGURED_MAX bytes to one response. header_rules_select()
 * names the rows one response carries: for each field name (compared
 * case-insensitively), the rows in scope whose prefix is the longest that
 * matches, in command-line order; rows without a prefix count as length 0.
 * What is refused, and why (RFC 9110 §5.1, §5.5, §5.6.2, §7.6.1), is in
 * header_rules.c and docs/static-files.md, "Response headers".
 * Must not: allocate, copy the texts, or accept a byte that could end a field
 * line (CR, LF, NUL) or any other control byte. */
#ifndef PRONG_HEADER_RULES_H
#define PRONG_HEADER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixed_limits.h"

/* RESPONSE_HEAD_MAX lives in static/response.h; repeated here as a number so
 * this header stays free of it (a static assertion in response.c keeps them equal). */
#define HEADER_RULES_HEAD_MAX 4096
#define RESPONSE_CONFIGURED_MAX (HEADER_RULES_HEAD_MAX - RESPONSE_OWN_HEAD_MAX)

enum header_scope {
    HEADER_SCOPE_EVERY, /* --header 'Name: value': every response, errors included */
    HEADER_SCOPE_PATH,  /* --header '/prefix/ Name: value': non-errors under the prefix */
    HEADER_SCOPE_FILE,  /* --cache-control: file responses (200, 206, 304) */
};

/* What a response is, for choosing its rows. */
enum response_kind {
    RESPONSE_KIND_ERROR, /* 4xx and 5xx: site-wide rows only */
    RESPONSE_KIND_OTHER, /* listings, redirects, 204: site-wide and prefix rows */
    RESPONSE_KIND_FILE,  /* 200, 206, 304 of a file: every row */
};

struct header_rule {
    const char *argument; /* as given, for messages */
    const char *prefix;   /* NULL without one */
    const char *name;
    const char *value;
    uint16_t prefix_length, name_length, value_length;
    uint8_t scope; /* enum header_scope */
    uint8_t group; /* rows whose names are equal (case-insensitively) share it */
};

struct header_rules {
    struct header_rule rows[HEADER_RULES_MAX];
    size_t count;
    size_t text_bytes; /* of every argument, against HEADER_RULES_TEXT_MAX */
    size_t worst_case; /* set by header_rules_finish: the most bytes one response gets */
};

/* One --header argument: 0, or -1 with a one-line reason naming it in error. */
int header_rules_add(struct header_rules *rules, const char *argument, char *error,
                     size_t error_size);

/* A row of scope FILE for every path (--cache-control VALUE). flag names the
 * flag in messages ("--cache-control"). 0, or -1 with the reason. */
int header_rules_add_file_row(struct header_rules *rules, const char *flag, const char *name,
                              const char *value, char *error, size_t error_size);

/* After the last row: conflicts and the size budget. 0, or -1 with the reason. */
int header_rules_finish(struct header_rules *rules, char *error, size_t error_size);

/* The rows a response of this kind for this path carries, as indexes into
 * rules->rows in command-line order; returns how many. path may be NULL (no
 * path: an error answered before or without a request), and is compared as
 * the server merged it (runs of '/' collapsed). */
size_t header_rules_select(const struct header_rules *rules, const char *path, size_t path_length,
                           enum response_kind kind, uint8_t selected[HEADER_RULES_MAX]);

/* The bytes a row adds to a head: "Name: value\r\n". */
size_t header_rule_line_length(const struct header_rule *rule);

/* Pure validators, exported for their unit tests. Each returns NULL when the
 * text is acceptable, else the reason (a constant sentence). */
const char *header_name_problem(const char *name, size_t length);
const char *header_value_problem(const char *value, size_t length);
const char *header_prefix_problem(const char *prefix, size_t length);

#endif
