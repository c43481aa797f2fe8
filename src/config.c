/* config.c: parse and validate prong's flags into a struct config.
 *
 * Contract: see include/config.h. Every flag is one row of FLAG_TABLE
 * (flag_table.c): its kind says how its value is read, its field where it goes,
 * its bounds what is accepted and its default what is set when it is absent, so
 * `--help`, the documents and the parser cannot drift apart. What a text value
 * may be is checked here, per flag. A bad value gives one readable line naming
 * the flag and what was expected.
 * Must not: open files, resolve users or touch the network; only argv is read. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flag_table.h"

#define OPTION_BASE 256 /* getopt_long's id of FLAG_TABLE[i] is OPTION_BASE + i */

static bool in_this_build(const struct flag_spec *flag)
{
#ifdef PRONG_LAB
    (void)flag;
    return true;
#else
    return !flag->lab_only;
#endif
}

/* One flag's line of --help: its meaning without the README's `code` marks.
 * One line per flag, however long, so a script can grep for a flag's help. */
static void print_flag_line(const char *left, const char *meaning, const char *suffix)
{
    printf("  %-32s ", left);
    for (const char *p = meaning; *p; p++)
        if (*p != '`')
            putchar(*p);
    printf("%s\n", suffix);
}

static void print_help(void)
{
    printf("usage: prong --root DIR [--listen ADDR:PORT]... [--user NAME] [flags]\n\n"
           "A hardened HTTP/1.1 static-file server: each connection is served by a process\n"
           "jailed in DIR (chroot, no capabilities, seccomp, Landlock, rlimits).\n\nflags:\n");
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++) {
        const struct flag_spec *flag = &FLAG_TABLE[i];
        if (!in_this_build(flag))
            continue;
        char left[64], shown[96], suffix[128] = "";
        snprintf(left, sizeof left, "--%s%s%s", flag->name, flag->argument ? " " : "",
                 flag->argument ? flag->argument : "");
        flag_table_default_text(flag, shown, sizeof shown);
        bool has_default = flag->default_text || flag->default_string || flag->kind == FLAG_COUNT ||
                           flag->kind == FLAG_SECONDS || flag->kind == FLAG_ON_OFF;
        if (strcmp(shown, "(required)") == 0)
            snprintf(suffix, sizeof suffix, " (required)");
        else if (has_default)
            snprintf(suffix, sizeof suffix, " (default %s)", shown);
        print_flag_line(left, flag->meaning, suffix);
    }
    printf("\nexit status: 0 stopped normally, 1 failed while serving, 2 bad usage or set-up\n");
}

static int parse_count(const char *text, uint64_t minimum, uint64_t maximum, uint64_t *value)
{
    if (text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno || *end != '\0' || parsed < minimum || parsed > maximum)
        return 0;
    *value = parsed;
    return 1;
}

/* "10", "2.5", "0.250": seconds with at most three decimals, as milliseconds. */
static int parse_duration(const char *text, uint64_t minimum_ms, uint64_t maximum_ms,
                          uint64_t *value_ms)
{
    uint64_t whole = 0, fraction = 0;
    size_t i = 0, fraction_digits = 0;
    if (text[0] < '0' || text[0] > '9')
        return 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        whole = whole * 10 + (uint64_t)(text[i] - '0');
        if (whole > maximum_ms)
            return 0;
    }
    if (text[i] == '.') {
        for (i++; text[i] >= '0' && text[i] <= '9' && fraction_digits < 3; i++, fraction_digits++)
            fraction = fraction * 10 + (uint64_t)(text[i] - '0');
        if (fraction_digits == 0)
            return 0;
    }
    if (text[i] != '\0')
        return 0;
    while (fraction_digits++ < 3)
        fraction *= 10;
    uint64_t total = whole * 1000 + fraction;
    if (total < minimum_ms || total > maximum_ms)
        return 0;
    *value_ms = total;
    return 1;
}

static void store_number(struct config *config, const struct flag_spec *flag, uint64_t value)
{
    uint32_t number = (uint32_t)value;
    memcpy((char *)config + flag->field, &number, sizeof number);
}

static void store_bool(struct config *config, const struct flag_spec *flag, bool value)
{
    memcpy((char *)config + flag->field, &value, sizeof value);
}

static void store_text(struct config *config, const struct flag_spec *flag, const char *text)
{
    memcpy((char *)config + flag->field, &text, sizeof text);
}

/* Every field a row names gets the row's default; the rest start zeroed. */
static void set_defaults(struct config *config)
{
    memset(config, 0, sizeof *config);
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++) {
        const struct flag_spec *flag = &FLAG_TABLE[i];
        if (flag->field == NO_FIELD)
            continue;
        if (flag->kind == FLAG_COUNT || flag->kind == FLAG_SECONDS)
            store_number(config, flag, flag->default_value);
        else if (flag->kind == FLAG_ON_OFF)
            store_bool(config, flag, flag->default_value != 0);
        else if (flag->kind == FLAG_TEXT && flag->default_string)
            store_text(config, flag, flag->default_string);
    }
    config->symlinks = SYMLINKS_NONE;
    config->access_log_format = ACCESS_LOG_COMBINED;
}

/* A name that is one plain path component: no '/', not "." or "..", no control bytes. */
static int is_plain_file_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (size_t i = 0; i < length; i++)
        if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

/* --cache-control's own check, as it always was: visible ASCII and spaces (no
 * tab). Its row then gets the field-value syntax every --header gets
 * (header_rules.c: no leading or trailing whitespace either). */
static int is_safe_header_value(const char *value)
{
    if (!*value)
        return 0;
    for (const char *p = value; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return 0;
    return 1;
}

static enum config_outcome refuse_value(char *error, size_t error_size, const char *flag,
                                        const char *expected, const char *text)
{
    snprintf(error, error_size, "--%s: expected %s, got '%s'", flag, expected, text);
    return CONFIG_ERROR;
}

static enum config_outcome apply_lab_layer(struct config *config, const struct flag_spec *flag,
                                           const char *text, char *error, size_t error_size)
{
    static const char *const LAYER_NAMES[LAYER_COUNT] = {
        "chroot",     "seccomp", "landlock", "capabilities", "child-limits",
        "log-checks", "kill",    "secrets",  "fair-share"};
    for (unsigned layer = 0; layer < LAYER_COUNT; layer++)
        if (strcmp(text, LAYER_NAMES[layer]) == 0) {
            if (strcmp(flag->name, "lab-without") == 0)
                config->lab_without |= 1u << layer;
            else
                config->lab_sabotage |= 1u << layer;
            return CONFIG_OK;
        }
    snprintf(error, error_size,
             "--%s: expected chroot, seccomp, landlock, capabilities, child-limits, log-checks, "
             "kill, secrets or fair-share, got '%s'",
             flag->name, text);
    return CONFIG_ERROR;
}

/* Text flags: the checks each one needs, then where its value goes. */
static enum config_outcome apply_text(struct config *config, const struct flag_spec *flag,
                                      const char *text, char *error, size_t error_size)
{
    const char *name = flag->name;
    if (strcmp(name, "listen") == 0) {
        if (config->listen_count >= CONFIG_MAX_LISTENERS) {
            snprintf(error, error_size, "--listen: at most %d listeners", CONFIG_MAX_LISTENERS);
            return CONFIG_ERROR;
        }
        config->listens[config->listen_count++].text = text;
    } else if (strcmp(name, "error-log") == 0 && strcmp(text, "off") == 0) {
        snprintf(error, error_size, "--error-log: errors cannot be turned off; give a file or -");
        return CONFIG_ERROR;
    } else if (strcmp(name, "index") == 0) {
        if (!is_plain_file_name(text) || config->index_count >= CONFIG_MAX_INDEX_NAMES) {
            snprintf(error, error_size,
                     "--index: expected a plain file name (at most %d), got '%s'",
                     CONFIG_MAX_INDEX_NAMES, text);
            return CONFIG_ERROR;
        }
        config->index_names[config->index_count++] = text;
    } else if (strcmp(name, "access-log-format") == 0) {
        if (strcmp(text, "combined") == 0)
            config->access_log_format = ACCESS_LOG_COMBINED;
        else if (strcmp(text, "json") == 0)
            config->access_log_format = ACCESS_LOG_JSON;
        else
            return refuse_value(error, error_size, name, "combined or json", text);
    } else if (strcmp(name, "symlinks") == 0) {
        if (strcmp(text, "none") == 0)
            config->symlinks = SYMLINKS_NONE;
        else if (strcmp(text, "follow") == 0)
            config->symlinks = SYMLINKS_FOLLOW;
        else if (strcmp(text, "owner") == 0)
            config->symlinks = SYMLINKS_OWNER;
        else
            return refuse_value(error, error_size, name, "follow, owner or none", text);
    } else if (strcmp(name, "pid-file") == 0 && text[0] != '/') {
        snprintf(error, error_size, "--pid-file %s: give an absolute path", text);
        return CONFIG_ERROR;
    } else if (strcmp(name, "trusted-proxy") == 0) {
        if (config->trusted_proxy_count >= CONFIG_MAX_TRUSTED_PROXIES ||
            cidr_parse(text, &config->trusted_proxies[config->trusted_proxy_count]) != 0) {
            snprintf(
                error, error_size,
                "--trusted-proxy: expected an address or ADDRESS/PREFIX (at most %d), got '%s'",
                CONFIG_MAX_TRUSTED_PROXIES, text);
            return CONFIG_ERROR;
        }
        config->trusted_proxy_count++;
    } else if (strcmp(name, "lab-without") == 0 || strcmp(name, "lab-sabotage") == 0) {
        return apply_lab_layer(config, flag, text, error, error_size);
    } else if (strcmp(name, "prefault") == 0 && strcmp(text, "auto") != 0 &&
               strcmp(text, "on") != 0 && strcmp(text, "off") != 0) {
        return refuse_value(error, error_size, name, "auto, on or off", text);
    } else if (strcmp(name, "cache-control") == 0 && !is_safe_header_value(text)) {
        return refuse_value(error, error_size, name, "printable ASCII", text);
    } else if (strcmp(name, "header") == 0) {
        return header_rules_add(&config->headers, text, error, error_size) == 0 ? CONFIG_OK
                                                                                : CONFIG_ERROR;
    } else if (strcmp(name, "error-page") == 0) {
        return error_pages_add(&config->error_pages, text, error, error_size) == 0 ? CONFIG_OK
                                                                                   : CONFIG_ERROR;
    }
    if (flag->field != NO_FIELD)
        store_text(config, flag, text);
    return CONFIG_OK;
}

static enum config_outcome apply_flag(struct config *config, const struct flag_spec *flag,
                                      const char *text, char *error, size_t error_size)
{
    uint64_t value = 0;
    switch (flag->kind) {
    case FLAG_ACTION:
        if (strcmp(flag->name, "help") == 0)
            print_help();
        else
            printf("prong %s\n", PRONG_VERSION);
        return CONFIG_EXIT_SUCCESS;
    case FLAG_SWITCH: store_bool(config, flag, true); return CONFIG_OK;
    case FLAG_TEXT:
        if (!text[0]) {
            snprintf(error, error_size, "--%s: expected %s, got an empty value", flag->name,
                     flag->argument);
            return CONFIG_ERROR;
        }
        return apply_text(config, flag, text, error, error_size);
    case FLAG_ON_OFF:
        if (strcmp(text, "on") != 0 && strcmp(text, "off") != 0) {
            snprintf(error, error_size, "--%s: expected on or off, got '%s'", flag->name, text);
            return CONFIG_ERROR;
        }
        store_bool(config, flag, strcmp(text, "on") == 0);
        return CONFIG_OK;
    case FLAG_COUNT:
        if (!parse_count(text, flag->minimum, flag->maximum, &value)) {
            snprintf(error, error_size, "--%s: expected an integer from %llu to %llu, got '%s'",
                     flag->name, (unsigned long long)flag->minimum,
                     (unsigned long long)flag->maximum, text);
            return CONFIG_ERROR;
        }
        store_number(config, flag, value);
        return CONFIG_OK;
    case FLAG_SECONDS:
        if (!parse_duration(text, flag->minimum, flag->maximum, &value)) {
            snprintf(error, error_size,
                     "--%s: expected seconds from %.3g to %.0f (up to 3 decimals), got '%s'",
                     flag->name, (double)flag->minimum / 1000.0, (double)flag->maximum / 1000.0,
                     text);
            return CONFIG_ERROR;
        }
        store_number(config, flag, value);
        return CONFIG_OK;
    }
    return CONFIG_OK;
}

uint32_t config_default_max_children(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t sized = (uint64_t)(cpus > 0 ? cpus : 1) * MAX_CHILDREN_PER_CPU;
    if (sized < MIN_MAX_CHILDREN)
        sized = MIN_MAX_CHILDREN;
    return sized > MAX_CHILDREN_CEILING ? MAX_CHILDREN_CEILING : (uint32_t)sized;
}

/* The message stays one line even when it quotes a value with control bytes. */
static enum config_outcome refuse(char *error)
{
    for (char *p = error; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return CONFIG_ERROR;
}

/* The command line is a frozen interface: only whole flag names count, so
 * getopt_long's unambiguous abbreviations ("--roo") are refused up front. */
static enum config_outcome refuse_abbreviations(int argc, char **argv, char *error,
                                                size_t error_size)
{
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        if (strcmp(argument, "--") == 0)
            break;
        if (strncmp(argument, "--", 2) != 0)
            continue;
        size_t name_length = strcspn(argument + 2, "=");
        const struct flag_spec *flag = flag_table_find(argument + 2, name_length);
        if (!flag || !in_this_build(flag)) {
            snprintf(error, error_size, "unknown flag '%.*s' (see --help)", (int)(name_length + 2),
                     argument);
            return refuse(error);
        }
        if (flag->kind == FLAG_ACTION)
            break; /* they end the parse: what follows is never read, as before */
        bool takes_value = flag->kind != FLAG_SWITCH;
        if (takes_value && argument[2 + name_length] != '=')
            i++; /* its value, whatever it looks like */
    }
    return CONFIG_OK;
}

static void fill_in_sized_defaults(struct config *config)
{
    if (config->listen_count == 0) {
        config->listens[config->listen_count++].text = DEFAULT_LISTEN;
        config->listen_defaulted = true;
    }
    if (config->index_count == 0)
        config->index_names[config->index_count++] = DEFAULT_INDEX;
    if (config->max_children == 0)
        config->max_children = config_default_max_children();
}

enum config_outcome config_parse(int argc, char **argv, struct config *config, char *error,
                                 size_t error_size)
{
    struct option long_options[FLAG_TABLE_CAPACITY + 1];
    size_t option_count = 0;
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++)
        if (in_this_build(&FLAG_TABLE[i]))
            long_options[option_count++] = (struct option){FLAG_TABLE[i].name,
                                                           FLAG_TABLE[i].kind == FLAG_SWITCH ||
                                                                   FLAG_TABLE[i].kind == FLAG_ACTION
                                                               ? no_argument
                                                               : required_argument,
                                                           NULL, (int)(OPTION_BASE + i)};
    long_options[option_count] = (struct option){NULL, 0, NULL, 0};
    set_defaults(config);
    error[0] = '\0';
    if (refuse_abbreviations(argc, argv, error, error_size) != CONFIG_OK)
        return CONFIG_ERROR;
    opterr = 0; /* our own one-line messages */
    optind = 0; /* not 1: 0 also forgets a half-read "-xy" left by an earlier call */
    for (;;) {
        int id = getopt_long(argc, argv, ":", long_options, NULL);
        if (id == -1)
            break;
        if (id == '?' || id == ':') {
            const char *given = argv[optind - 1];
            char short_flag[3] = {'-', (char)optopt, '\0'};
            if (id == '?' && optopt > 0 && optopt < 256) /* an unknown short flag, maybe in "-xy" */
                given = short_flag;
            snprintf(error, error_size,
                     id == ':' ? "%s: missing its value (see --help)"
                               : "unknown flag '%s' (see --help)",
                     given);
            return refuse(error);
        }
        if (id < OPTION_BASE || (size_t)(id - OPTION_BASE) >= FLAG_TABLE_SIZE)
            continue;
        const struct flag_spec *flag = &FLAG_TABLE[id - OPTION_BASE];
        enum config_outcome outcome =
            apply_flag(config, flag, optarg ? optarg : "", error, error_size);
        if (outcome != CONFIG_OK)
            return outcome == CONFIG_ERROR ? refuse(error) : outcome;
    }
    if (optind < argc) {
        snprintf(error, error_size, "unexpected argument '%s' (see --help)", argv[optind]);
        return refuse(error);
    }
    if (!config->root) {
        snprintf(error, error_size, "--root DIR is required (see --help)");
        return CONFIG_ERROR;
    }
    fill_in_sized_defaults(config);
    /* --cache-control is a row of the header rules, of file responses only; added
     * last (its final value: a repeated flag's last one wins, as for every flag). */
    if ((config->cache_control &&
         header_rules_add_file_row(&config->headers, "--cache-control", "Cache-Control",
                                   config->cache_control, error, error_size) != 0) ||
        header_rules_finish(&config->headers, error, error_size) != 0)
        return refuse(error);
    return CONFIG_OK;
}
