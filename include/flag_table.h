/* flag_table.h: the one table of prong's flags, their defaults, bounds and meaning.
 *
 * Contract: FLAG_TABLE holds one row per command-line flag (a frozen
 * interface: rows are added, never renamed or removed): its name, the kind of
 * value, the struct config field it sets, its bounds, its default and what it
 * means; FIXED_LIMITS (src/limit_table.c) holds the limits no flag changes. config.c parses and
 * sets defaults from the rows, --help prints them, and build/doc-tables prints
 * README's flag table and SECURITY.md's and docs/conformance.md's limit tables
 * from the same rows (make docs writes them; make test fails when the documents
 * differ), so no default is written twice.
 * Must not: hold code, or a value that is not also what the server uses. */
#ifndef PRONG_FLAG_TABLE_H
#define PRONG_FLAG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flag_kind {
    FLAG_SWITCH,  /* no value: sets a bool */
    FLAG_ON_OFF,  /* "on" or "off": a bool */
    FLAG_COUNT,   /* a decimal integer within [minimum, maximum]: a uint32_t */
    FLAG_SECONDS, /* seconds with up to three decimals, stored in milliseconds: a uint32_t */
    FLAG_TEXT,    /* non-empty text; what it may be is checked by config.c, per flag */
    FLAG_ACTION,  /* --help, --version: print and exit */
};

/* Where a limit lives in the documents: SECURITY.md's table, and also
 * docs/conformance.md's when it is one of the parser's. */
enum flag_doc { DOC_FLAG_ONLY, DOC_LIMIT, DOC_PARSER_LIMIT };

struct flag_spec {
    const char *name; /* without "--" */
    enum flag_kind kind;
    const char *argument;       /* shown in --help and the README; NULL for switches */
    size_t field;               /* offsetof(struct config, ...) of the value, or NO_FIELD */
    uint64_t minimum;           /* FLAG_COUNT, FLAG_SECONDS (ms) */
    uint64_t maximum;           /* idem */
    uint64_t default_value;     /* FLAG_COUNT, FLAG_SECONDS (ms), FLAG_ON_OFF (1 = on) */
    const char *default_string; /* FLAG_TEXT: the field's value when the flag is absent */
    const char *default_text;   /* the default in words where it is not one of those values */
    const char *meaning;        /* one sentence, no default: --help and the README add it */
    bool repeatable;
    bool lab_only; /* present in the lab build only (make lab) */
    enum flag_doc doc;
    const char *limit_name; /* DOC_LIMIT*: the row's name in the limit tables */
    const char *unit;       /* DOC_LIMIT*: "bytes", "s", ...; NULL for a plain number */
    const char *past_limit; /* DOC_LIMIT*: what happens past it */
};

#define NO_FIELD ((size_t)-1)
#define FLAG_TABLE_CAPACITY 64 /* rows the parser has room for (a static assertion checks) */

extern const struct flag_spec FLAG_TABLE[];
extern const size_t FLAG_TABLE_SIZE;

/* A limit no flag changes (fixed_limits.h), as the limit tables show it. */
struct fixed_limit {
    const char *limit_name;
    uint64_t value;
    const char *unit;       /* NULL for a plain number */
    const char *note;       /* shown in parentheses after the value, or NULL */
    const char *value_text; /* instead of value, unit and note, or NULL */
    const char *past_limit;
    enum flag_doc doc;
};

extern const struct fixed_limit FIXED_LIMITS[];
extern const size_t FIXED_LIMITS_SIZE;

/* The row for a flag name (without "--"), or NULL. */
const struct flag_spec *flag_table_find(const char *name, size_t length);

/* The default as --help and the README show it ("8192", "10", "on", "nobody"). */
void flag_table_default_text(const struct flag_spec *flag, char *out, size_t out_size);

#endif
