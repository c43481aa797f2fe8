/* doc_tables.c: the documents' flag and limit tables, printed from the flag table.
 *
 * Usage: build/doc-tables flags|limits|parser-limits
 *   flags          README.md's table: flag, default, meaning
 *   limits         SECURITY.md's table: limit, default, flag, past it
 *   parser-limits  docs/conformance.md's table: the parser's limits only
 * Each prints the markdown rows (header included) of one table from FLAG_TABLE
 * and FIXED_LIMITS (include/flag_table.h); tests/docs/sync_tables.py puts them
 * between the documents' markers (make docs) or fails when they differ (make test).
 * Must not: print a default or a bound the server does not use. */
#include <stdio.h>
#include <string.h>

#include "flag_table.h"

/* 8192 → "8,192". */
static void thousands(unsigned long long value, char *out, size_t out_size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%llu", value);
    size_t used = 0;
    for (int i = 0; i < length && used + 2 < out_size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            out[used++] = ',';
        out[used++] = digits[i];
    }
    out[used] = '\0';
}

/* A limit's default as SECURITY.md shows it: "8,192 bytes", "10 s", "256 MiB". */
static void limit_default(const struct flag_spec *flag, char *out, size_t out_size)
{
    char number[32];
    if (flag->default_text) {
        snprintf(out, out_size, "%s", flag->default_text);
        return;
    }
    if (flag->kind == FLAG_SECONDS) {
        flag_table_default_text(flag, number, sizeof number);
    } else {
        thousands((unsigned long long)flag->default_value, number, sizeof number);
    }
    snprintf(out, out_size, "%s%s%s", number, flag->unit ? " " : "", flag->unit ? flag->unit : "");
}

static void fixed_default(const struct fixed_limit *limit, char *out, size_t out_size)
{
    char number[32];
    if (limit->value_text) {
        snprintf(out, out_size, "%s", limit->value_text);
        return;
    }
    thousands((unsigned long long)limit->value, number, sizeof number);
    snprintf(out, out_size, "%s%s%s%s%s%s", number, limit->unit ? " " : "",
             limit->unit ? limit->unit : "", limit->note ? " (" : "",
             limit->note ? limit->note : "", limit->note ? ")" : "");
}

/* A table cell: '|' inside it would end the cell, so it is written "\\|". */
static void cell(const char *before, const char *text, const char *after)
{
    fputs(before, stdout);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            putchar('\\');
        putchar(*p);
    }
    fputs(after, stdout);
}

static void print_flags(void)
{
    printf("| flag | default | meaning |\n|---|---|---|\n");
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++) {
        const struct flag_spec *flag = &FLAG_TABLE[i];
        if (flag->lab_only)
            continue;
        char shown[128] = "";
        bool has_default = flag->default_text || flag->default_string || flag->kind == FLAG_COUNT ||
                           flag->kind == FLAG_SECONDS || flag->kind == FLAG_ON_OFF;
        if (has_default)
            flag_table_default_text(flag, shown, sizeof shown);
        bool code = has_default && !flag->default_text; /* a value, not words */
        char name[96];
        snprintf(name, sizeof name, "--%s%s%s", flag->name, flag->argument ? " " : "",
                 flag->argument ? flag->argument : "");
        cell("| `", name, "` | ");
        cell(code ? "`" : "", shown, code ? "` | " : " | ");
        cell("", flag->meaning, " |\n");
    }
}

static void print_limits(bool parser_only)
{
    printf("| limit | default | flag | past it |\n|---|---|---|---|\n");
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++) {
        const struct flag_spec *flag = &FLAG_TABLE[i];
        if (flag->doc == DOC_FLAG_ONLY || (parser_only && flag->doc != DOC_PARSER_LIMIT))
            continue;
        char shown[128];
        limit_default(flag, shown, sizeof shown);
        printf("| %s | %s | `--%s` | %s |\n", flag->limit_name, shown, flag->name,
               flag->past_limit);
    }
    for (size_t i = 0; i < FIXED_LIMITS_SIZE; i++) {
        const struct fixed_limit *limit = &FIXED_LIMITS[i];
        if (limit->doc == DOC_FLAG_ONLY || (parser_only && limit->doc != DOC_PARSER_LIMIT))
            continue;
        char shown[160];
        fixed_default(limit, shown, sizeof shown);
        printf("| %s | %s | - | %s |\n", limit->limit_name, shown, limit->past_limit);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "flags") == 0)
        print_flags();
    else if (argc == 2 && strcmp(argv[1], "limits") == 0)
        print_limits(false);
    else if (argc == 2 && strcmp(argv[1], "parser-limits") == 0)
        print_limits(true);
    else {
        fprintf(stderr, "usage: doc-tables flags|limits|parser-limits\n");
        return 2;
    }
    return 0;
}
