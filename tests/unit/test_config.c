/* test_config.c: unit tests of src/config.c (include/config.h, README "Flags").
 *
 * What it does: calls config_parse() with argv arrays and checks the defaults
 * (README's values), every counted flag at its minimum and maximum and one past
 * each, every duration flag with its accepted and refused spellings ("10",
 * "2.5", "0.250"; "1.", ".5", "1.2345", signs, exponents), repeated --listen
 * and --index up to their limits, --symlinks, --server-header, --cache-control
 * (control bytes refused), switches, and that unknown flags, missing values,
 * stray arguments and a missing --root give CONFIG_ERROR with one line naming
 * the flag; --help and --version give CONFIG_EXIT_SUCCESS and print (captured
 * in a scratch file). Calls follow each other in one process, as the tests of
 * a re-entrant parser must: a parse must not depend on the one before it.
 *
 * Contract: argv arrays are fresh for every call (getopt_long permutes them)
 * and their strings stay allocated until the suite ends; error buffers are
 * exact heap blocks.
 * Must not: leave standard output redirected, or write outside unit_scratch_dir. */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "unit_suites.h"

#define MAX_ARGUMENTS 64
#define ERROR_SIZE 256

/* Every argv string of every call, freed only at the end of the suite: a parse
 * that still pointed into an earlier argv would read valid memory and so show
 * its wrong result, rather than hide it behind a use-after-free. */
static char **argument_copies;
static size_t argument_copy_count, argument_copy_capacity;
static char error_text[ERROR_SIZE];

static void free_arguments(void)
{
    for (size_t i = 0; i < argument_copy_count; i++)
        free(argument_copies[i]);
    free(argument_copies);
    argument_copies = NULL;
    argument_copy_count = argument_copy_capacity = 0;
}

static char *copy_argument(const char *text)
{
    if (argument_copy_count == argument_copy_capacity) {
        size_t capacity = argument_copy_capacity ? 2 * argument_copy_capacity : 256;
        char **grown = realloc(argument_copies, capacity * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "test_unit: out of memory\n");
            exit(2);
        }
        argument_copies = grown;
        argument_copy_capacity = capacity;
    }
    char *copy = strdup(text);
    if (!copy) {
        fprintf(stderr, "test_unit: out of memory\n");
        exit(2);
    }
    argument_copies[argument_copy_count++] = copy;
    return copy;
}

/* config_parse on "prong" followed by arguments (NULL-terminated); the strings
 * stay valid until the next call, as config's pointers into argv need. */
static enum config_outcome parse_list(struct config *config, const char *const *arguments)
{
    char *argv[MAX_ARGUMENTS + 2];
    int argc = 0;
    argv[argc++] = copy_argument("prong");
    for (size_t i = 0; arguments[i]; i++) {
        if (argc > MAX_ARGUMENTS) {
            fprintf(stderr, "test_unit: too many arguments in a config test\n");
            exit(2);
        }
        argv[argc++] = copy_argument(arguments[i]);
    }
    argv[argc] = NULL;
    memset(config, 0x5A, sizeof *config);
    memset(error_text, '#', sizeof error_text);
    error_text[sizeof error_text - 1] = '\0';
    return config_parse(argc, argv, config, error_text, sizeof error_text);
}

#define PARSE(config, ...) parse_list((config), (const char *const[]){__VA_ARGS__, NULL})

static const char *describe(const char *const *arguments, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; arguments[i] && used + 1 < out_size; i++)
        used += (size_t)snprintf(out + used, out_size - used, "%s'%s'", i ? " " : "", arguments[i]);
    return out;
}

/* CONFIG_ERROR with one non-empty line mentioning `mention`. */
static void check_refused(const char *const *arguments, const char *mention)
{
    struct config config;
    char what[512], raw[512];
    describe(arguments, raw, sizeof raw);
    unit_render(raw, strlen(raw), what, sizeof what);
    enum config_outcome outcome = parse_list(&config, arguments);
    if (!CHECK_INT(outcome, CONFIG_ERROR, "config_parse(%s)", what))
        return;
    char shown[4 * ERROR_SIZE + 8];
    unit_render(error_text, strlen(error_text), shown, sizeof shown);
    size_t control_bytes = 0;
    for (const char *p = error_text; *p; p++)
        control_bytes += (unsigned char)*p < 0x20 || *p == 0x7f;
    CHECK(error_text[0] != '\0' && control_bytes == 0 && strlen(error_text) < sizeof error_text - 1,
          "config_parse(%s): one non-empty line without control bytes, got \"%s\"", what, shown);
    CHECK(strstr(error_text, mention) != NULL,
          "config_parse(%s): the message \"%s\" mentions \"%s\"", what, shown, mention);
}

#define REFUSED(mention, ...) check_refused((const char *const[]){__VA_ARGS__, NULL}, (mention))

static bool accepted(struct config *config, const char *const *arguments)
{
    char what[512];
    enum config_outcome outcome = parse_list(config, arguments);
    return CHECK_INT(outcome, CONFIG_OK, "config_parse(%s) (error \"%s\")",
                     describe(arguments, what, sizeof what),
                     outcome == CONFIG_ERROR ? error_text : "");
}

#define ACCEPTED(config, ...) accepted((config), (const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------------ defaults */

static void test_defaults(void)
{
    struct config config;
    if (!ACCEPTED(&config, "--root", "/srv/www"))
        return;
    CHECK_STR(config.root, "/srv/www", "root");
    CHECK_UINT(config.listen_count, 1, "one default listener");
    CHECK_STR(config.listens[0].text, "127.0.0.1:8080", "default listener");
    CHECK(config.user == NULL, "user left to start-up (nobody as root, else the current user)");
    CHECK_STR(config.access_log, "-", "access log");
    CHECK_STR(config.error_log, "-", "error log");
    CHECK_UINT(config.limits.max_request_line, 8192, "max-request-line");
    CHECK_UINT(config.limits.max_header_bytes, 16384, "max-header-bytes");
    CHECK_UINT(config.limits.max_fields, 100, "max-fields");
    CHECK_UINT(config.max_requests, 1000, "max-requests");
    CHECK_UINT(config.head_timeout_ms, 10000, "head-timeout");
    CHECK_UINT(config.next_head_timeout_ms, 5000, "next-head-timeout");
    CHECK_UINT(config.idle_timeout_ms, 5000, "idle-timeout");
    CHECK_UINT(config.grace_ms, 10000, "grace");
    CHECK_UINT(config.min_send_rate, 4096, "min-send-rate");
    CHECK_UINT(config.send_window_ms, 10000, "send-window");
    CHECK_UINT(config.max_per_ip, 64, "max-per-ip");
    CHECK_UINT(config.child_cpu_seconds, 60, "child-cpu");
    CHECK_UINT(config.child_memory_mb, 256, "child-memory");
    /* README: 256 per CPU, at least 1024, at most 16384. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t per_cpu = (uint64_t)(cpus > 0 ? cpus : 1) * 256u;
    uint64_t expected_children = per_cpu < 1024 ? 1024 : per_cpu > 16384 ? 16384 : per_cpu;
    CHECK_UINT(config.max_children, expected_children, "max-children for %ld CPUs", cpus);
    CHECK_UINT(config.max_per_prefix, 256, "max-per-prefix");
    CHECK_STR(config.prefault, "auto", "prefault");
    CHECK(config.log_user == NULL, "log user left to start-up");
    CHECK_UINT(config.max_children, config_default_max_children(),
               "max-children equals config_default_max_children()");
    CHECK(config.server_header, "server-header on");
    CHECK(!config.check_only && !config.log_children && !config.autoindex, "switches off");
    CHECK_UINT(config.index_count, 1, "one default index name");
    CHECK_STR(config.index_names[0], "index.html", "default index name");
    CHECK_INT(config.symlinks, SYMLINKS_NONE, "symlinks none");
    CHECK_INT(config.access_log_format, ACCESS_LOG_COMBINED, "access-log-format combined");
    CHECK(config.mime_types == NULL, "built-in MIME table only");
    CHECK(config.cache_control == NULL, "no Cache-Control");
    CHECK_STR(error_text, "", "no error text on success");
}

/* ------------------------------------------------------------------ numbers */

struct number_flag {
    const char *name;
    size_t offset; /* of the uint32_t in struct config */
    uint64_t minimum, maximum;
};

#define FIELD(member) offsetof(struct config, member)

static uint32_t field_at(const struct config *config, size_t offset)
{
    uint32_t value;
    memcpy(&value, (const char *)config + offset, sizeof value);
    return value;
}

static const struct number_flag COUNT_FLAGS[] = {
    {"--max-request-line", FIELD(limits.max_request_line), 16, HTTP_MAX_REQUEST_LINE},
    {"--max-header-bytes", FIELD(limits.max_header_bytes), 2, HTTP_MAX_HEADER_BYTES},
    {"--max-fields", FIELD(limits.max_fields), 0, HTTP_MAX_FIELDS},
    {"--max-requests", FIELD(max_requests), 1, 1000000},
    {"--min-send-rate", FIELD(min_send_rate), 1, 1u << 30},
    {"--max-children", FIELD(max_children), 1, 65536},
    {"--max-per-ip", FIELD(max_per_ip), 0, 65536},
    {"--child-cpu", FIELD(child_cpu_seconds), 1, 86400},
    {"--child-memory", FIELD(child_memory_mb), 16, 65536},
};

/* Bounds in milliseconds, given in seconds on the command line. */
static const struct number_flag DURATION_FLAGS[] = {
    {"--head-timeout", FIELD(head_timeout_ms), 1, 3600000},
    {"--next-head-timeout", FIELD(next_head_timeout_ms), 1, 3600000},
    {"--idle-timeout", FIELD(idle_timeout_ms), 1, 3600000},
    {"--grace", FIELD(grace_ms), 0, 3600000},
    {"--send-window", FIELD(send_window_ms), 100, 3600000},
};

static void check_number(const struct number_flag *flag, const char *value, bool valid,
                         uint64_t expected)
{
    struct config config;
    if (!valid) {
        REFUSED(flag->name, "--root", "/srv", flag->name, value);
        return;
    }
    if (ACCEPTED(&config, "--root", "/srv", flag->name, value))
        CHECK_UINT(field_at(&config, flag->offset), expected, "%s %s", flag->name, value);
}

static void test_counts(void)
{
    char text[32];
    for (size_t i = 0; i < sizeof COUNT_FLAGS / sizeof COUNT_FLAGS[0]; i++) {
        const struct number_flag *flag = &COUNT_FLAGS[i];
        snprintf(text, sizeof text, "%llu", (unsigned long long)flag->minimum);
        check_number(flag, text, true, flag->minimum);
        snprintf(text, sizeof text, "%llu", (unsigned long long)flag->maximum);
        check_number(flag, text, true, flag->maximum);
        snprintf(text, sizeof text, "%llu", (unsigned long long)flag->maximum + 1);
        check_number(flag, text, false, 0);
        if (flag->minimum > 0) {
            snprintf(text, sizeof text, "%llu", (unsigned long long)flag->minimum - 1);
            check_number(flag, text, false, 0);
        }
        snprintf(text, sizeof text, "0%llu", (unsigned long long)flag->maximum);
        check_number(flag, text, true, flag->maximum); /* leading zeros are still decimal */
        static const char *const BAD[] = {"",
                                          "abc",
                                          "-1",
                                          "+5",
                                          " 5",
                                          "5 ",
                                          "0x10",
                                          "1e3",
                                          "5k",
                                          "1.0",
                                          "1,000",
                                          "99999999999999999999999",
                                          "18446744073709551617"};
        for (size_t b = 0; b < sizeof BAD / sizeof BAD[0]; b++)
            check_number(flag, BAD[b], false, 0);
    }
}

static void test_durations(void)
{
    for (size_t i = 0; i < sizeof DURATION_FLAGS / sizeof DURATION_FLAGS[0]; i++) {
        const struct number_flag *flag = &DURATION_FLAGS[i];
        check_number(flag, "10", true, 10000);
        check_number(flag, "2.5", true, 2500);
        check_number(flag, "0.250", true, 250);
        check_number(flag, "1.05", true, 1050);
        check_number(flag, "3600", true, 3600000);
        check_number(flag, "3600.000", true, 3600000);
        check_number(flag, "3600.001", false, 0);
        check_number(flag, "3601", false, 0);
        check_number(flag, "0003600", true, 3600000);
        static const char *const BAD[] = {"",
                                          "1.",
                                          ".5",
                                          "1.2345",
                                          "-1",
                                          "+1",
                                          "1e3",
                                          "1,5",
                                          "1.5s",
                                          " 1",
                                          "1 ",
                                          "1..5",
                                          "1.-5",
                                          "0x10",
                                          "inf",
                                          "nan",
                                          "99999999999999999999999",
                                          "4294967.296"};
        for (size_t b = 0; b < sizeof BAD / sizeof BAD[0]; b++)
            check_number(flag, BAD[b], false, 0);
        /* The lower bound, exactly and one millisecond under it. */
        char text[32];
        snprintf(text, sizeof text, "%llu.%03llu", (unsigned long long)flag->minimum / 1000,
                 (unsigned long long)flag->minimum % 1000);
        check_number(flag, text, true, flag->minimum);
        if (flag->minimum > 0) {
            snprintf(text, sizeof text, "%llu.%03llu",
                     (unsigned long long)(flag->minimum - 1) / 1000,
                     (unsigned long long)(flag->minimum - 1) % 1000);
            check_number(flag, text, false, 0);
        }
    }
    /* The grace period alone may be zero. */
    struct config config;
    if (ACCEPTED(&config, "--root", "/srv", "--grace", "0"))
        CHECK_UINT(config.grace_ms, 0, "--grace 0");
    REFUSED("--head-timeout", "--root", "/srv", "--head-timeout", "0");
}

/* ------------------------------------------------------------------ text flags */

static void test_text_flags(void)
{
    struct config config;
    if (ACCEPTED(&config, "--root", "/srv", "--listen", "0.0.0.0:80", "--listen", "[::]:80",
                 "--listen", "127.0.0.1:0")) {
        CHECK_UINT(config.listen_count, 3, "three --listen");
        CHECK_STR(config.listens[0].text, "0.0.0.0:80", "first --listen");
        CHECK_STR(config.listens[1].text, "[::]:80", "second --listen");
        CHECK_STR(config.listens[2].text, "127.0.0.1:0", "third --listen");
    }
    /* At most CONFIG_MAX_LISTENERS (16) of them. */
    const char *many[2 + 2 * 17 + 1] = {"--root", "/srv"};
    static const char *const PORTS[17] = {
        "127.0.0.1:1",  "127.0.0.1:2",  "127.0.0.1:3",  "127.0.0.1:4",  "127.0.0.1:5",
        "127.0.0.1:6",  "127.0.0.1:7",  "127.0.0.1:8",  "127.0.0.1:9",  "127.0.0.1:10",
        "127.0.0.1:11", "127.0.0.1:12", "127.0.0.1:13", "127.0.0.1:14", "127.0.0.1:15",
        "127.0.0.1:16", "127.0.0.1:17"};
    for (size_t i = 0; i < 17; i++) {
        many[2 + 2 * i] = "--listen";
        many[3 + 2 * i] = PORTS[i];
    }
    many[2 + 2 * 16] = NULL;
    if (accepted(&config, many)) {
        CHECK_UINT(config.listen_count, 16, "sixteen --listen");
        CHECK_STR(config.listens[15].text, "127.0.0.1:16", "the sixteenth --listen");
    }
    many[2 + 2 * 16] = "--listen";
    check_refused(many, "--listen");

    if (ACCEPTED(&config, "--root", "/srv", "--index", "index.htm", "--index", "default.html")) {
        CHECK_UINT(config.index_count, 2, "two --index");
        CHECK_STR(config.index_names[0], "index.htm", "first --index");
        CHECK_STR(config.index_names[1], "default.html", "second --index");
    }
    const char *indexes[2 + 2 * 9 + 1] = {"--root", "/srv"};
    static const char *const NAMES[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    for (size_t i = 0; i < 9; i++) {
        indexes[2 + 2 * i] = "--index";
        indexes[3 + 2 * i] = NAMES[i];
    }
    indexes[2 + 2 * 8] = NULL;
    if (accepted(&config, indexes))
        CHECK_UINT(config.index_count, 8, "eight --index");
    indexes[2 + 2 * 8] = "--index";
    check_refused(indexes, "--index");
    static const char *const BAD_NAMES[] = {"a/b", "/index.html", ".",      "..",
                                            "",    "x\ty",        "x\x7fy", "dir/"};
    for (size_t i = 0; i < sizeof BAD_NAMES / sizeof BAD_NAMES[0]; i++)
        REFUSED("--index", "--root", "/srv", "--index", BAD_NAMES[i]);
    if (ACCEPTED(&config, "--root", "/srv", "--index", "..hidden"))
        CHECK_STR(config.index_names[0], "..hidden", "a name that only starts with dots");

    static const struct {
        const char *text;
        enum symlink_policy policy;
    } SYMLINKS[] = {
        {"none", SYMLINKS_NONE}, {"follow", SYMLINKS_FOLLOW}, {"owner", SYMLINKS_OWNER}};
    for (size_t i = 0; i < 3; i++)
        if (ACCEPTED(&config, "--root", "/srv", "--symlinks", SYMLINKS[i].text))
            CHECK_INT(config.symlinks, SYMLINKS[i].policy, "--symlinks %s", SYMLINKS[i].text);
    static const char *const BAD_SYMLINKS[] = {"FOLLOW", "yes", "", "follow ", "own"};
    for (size_t i = 0; i < sizeof BAD_SYMLINKS / sizeof BAD_SYMLINKS[0]; i++)
        REFUSED("--symlinks", "--root", "/srv", "--symlinks", BAD_SYMLINKS[i]);

    if (ACCEPTED(&config, "--root", "/srv", "--access-log-format", "json"))
        CHECK_INT(config.access_log_format, ACCESS_LOG_JSON, "--access-log-format json");
    if (ACCEPTED(&config, "--root", "/srv", "--access-log-format", "json", "--access-log-format",
                 "combined"))
        CHECK_INT(config.access_log_format, ACCESS_LOG_COMBINED, "the last --access-log-format");
    if (ACCEPTED(&config, "--root", "/srv", "--access-log-format", "json"))
        CHECK_INT(config.access_log_format, ACCESS_LOG_JSON, "json again after combined");
    if (ACCEPTED(&config, "--root", "/srv"))
        CHECK_INT(config.access_log_format, ACCESS_LOG_COMBINED, "a parse after json: combined");
    static const char *const BAD_FORMATS[] = {"JSON",    "xml",    "",      "json ",
                                              "combine", "common", "json\n"};
    for (size_t i = 0; i < sizeof BAD_FORMATS / sizeof BAD_FORMATS[0]; i++)
        REFUSED("--access-log-format", "--root", "/srv", "--access-log-format", BAD_FORMATS[i]);
    REFUSED("--access-log-format", "--root", "/srv", "--access-log-format");

    if (ACCEPTED(&config, "--root", "/srv", "--cache-control", "public, max-age=3600"))
        CHECK_STR(config.cache_control, "public, max-age=3600", "--cache-control");
    static const char *const BAD_CACHE[] = {"",      "a\r\nSet-Cookie: x=1", "no-cache\n", "a\tb",
                                            "x\x7f", "max-age=\xc3\xa9",     "\x01"};
    for (size_t i = 0; i < sizeof BAD_CACHE / sizeof BAD_CACHE[0]; i++)
        REFUSED("--cache-control", "--root", "/srv", "--cache-control", BAD_CACHE[i]);

    if (ACCEPTED(&config, "--root", "/srv", "--server-header", "off"))
        CHECK(!config.server_header, "--server-header off");
    if (ACCEPTED(&config, "--root", "/srv", "--server-header", "on"))
        CHECK(config.server_header, "--server-header on");
    REFUSED("--server-header", "--root", "/srv", "--server-header", "no");
    REFUSED("--server-header", "--root", "/srv", "--server-header", "");

    if (ACCEPTED(&config, "--root", "/srv", "--user", "www-data", "--access-log", "off",
                 "--error-log", "/var/log/prong/error.log", "--mime-types", "/etc/mime.types")) {
        CHECK_STR(config.user, "www-data", "--user");
        CHECK_STR(config.access_log, "off", "--access-log off");
        CHECK_STR(config.error_log, "/var/log/prong/error.log", "--error-log");
        CHECK_STR(config.mime_types, "/etc/mime.types", "--mime-types");
    }
    REFUSED("--error-log", "--root", "/srv", "--error-log", "off");
    REFUSED("--root", "--root", "");
    REFUSED("--user", "--root", "/srv", "--user", "");
    REFUSED("--listen", "--root", "/srv", "--listen=");

    if (ACCEPTED(&config, "--root=/srv", "--autoindex", "--check", "--log-children")) {
        CHECK_STR(config.root, "/srv", "--root=DIR");
        CHECK(config.autoindex && config.check_only && config.log_children, "the three switches");
    }
    /* A later value wins for single-valued flags. */
    if (ACCEPTED(&config, "--root", "/a", "--root", "/b", "--max-fields", "5", "--max-fields",
                 "7")) {
        CHECK_STR(config.root, "/b", "the last --root");
        CHECK_UINT(config.limits.max_fields, 7, "the last --max-fields");
    }
}

/* ------------------------------------------------------------------ errors */

static void test_errors(void)
{
    /* The command line is frozen: abbreviations getopt_long would accept are refused. */
    REFUSED("--roo", "--roo", "/srv");
    REFUSED("--max-f", "--root", "/srv", "--max-f", "10");
    REFUSED("--autoind", "--root", "/srv", "--autoind");
    {
        struct config config; /* a value that looks like a flag is still a value */
        if (ACCEPTED(&config, "--root", "/srv", "--cache-control", "--no-store"))
            CHECK(config.cache_control && strcmp(config.cache_control, "--no-store") == 0,
                  "--cache-control value");
    }
    REFUSED("--bogus", "--root", "/srv", "--bogus");
    REFUSED("--bogus", "--bogus", "--root", "/srv");
    REFUSED("--autoindex", "--root", "/srv", "--autoindex=yes");
    REFUSED("--root", "--root");
    REFUSED("--listen", "--root", "/srv", "--listen");
    REFUSED("--max-fields", "--root", "/srv", "--max-fields");
    REFUSED("stray", "--root", "/srv", "stray");
    REFUSED("stray", "stray", "--root", "/srv");
    REFUSED("--root", "--listen", "127.0.0.1:80");
    REFUSED("--root", "--autoindex");
    REFUSED("-x", "--root", "/srv", "-x");
    REFUSED("-h", "-h");
    /* An unknown short option inside a cluster is named, not the argument before it. */
    REFUSED("-x", "--root", "/srv", "-xy");

    /* The next parse does not inherit anything from a refused one. */
    struct config config;
    if (ACCEPTED(&config, "--root", "/after", "--max-fields", "9")) {
        CHECK_STR(config.root, "/after", "root after a refused parse");
        CHECK_UINT(config.limits.max_fields, 9, "max-fields after a refused parse");
        CHECK_UINT(config.listen_count, 1, "listeners after a refused parse");
    }

    /* A small error buffer: cut, terminated, never overrun (exact heap block). */
    static const size_t SIZES[] = {1, 2, 8, 17};
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        char *small = malloc(SIZES[s]);
        char *argv[] = {copy_argument("prong"), copy_argument("--no-such-flag-with-a-long-name"),
                        NULL};
        if (!small) {
            fprintf(stderr, "test_unit: out of memory\n");
            exit(2);
        }
        memset(small, '#', SIZES[s]);
        CHECK_INT(config_parse(2, argv, &config, small, SIZES[s]), CONFIG_ERROR,
                  "error buffer of %zu bytes", SIZES[s]);
        CHECK(memchr(small, '\0', SIZES[s]) != NULL, "error buffer of %zu bytes is terminated",
              SIZES[s]);
        free(small);
    }
}

/* ------------------------------------------------------------------ --help and --version */

/* Runs config_parse with standard output in a scratch file; returns what was printed. */
static enum config_outcome parse_capturing(const char *const *arguments, char *printed,
                                           size_t printed_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config-stdout.txt", unit_scratch_dir);
    printed[0] = '\0';
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (saved < 0 || file < 0 || dup2(file, STDOUT_FILENO) < 0) {
        fprintf(stderr, "test_unit: cannot redirect standard output to %s\n", path);
        exit(2);
    }
    struct config config;
    enum config_outcome outcome = parse_list(&config, arguments);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ssize_t length = pread(file, printed, printed_size - 1, 0);
    printed[length > 0 ? (size_t)length : 0] = '\0';
    close(file);
    unlink(path);
    return outcome;
}

static void test_help_and_version(void)
{
    static char printed[16384];
    enum config_outcome outcome =
        parse_capturing((const char *const[]){"--version", NULL}, printed, sizeof printed);
    CHECK_INT(outcome, CONFIG_EXIT_SUCCESS, "--version");
    CHECK_STR(printed, "prong " PRONG_VERSION "\n", "--version prints the version");

    outcome = parse_capturing((const char *const[]){"--help", NULL}, printed, sizeof printed);
    CHECK_INT(outcome, CONFIG_EXIT_SUCCESS, "--help without --root");
    static const char *const EVERY_FLAG[] = {
        "--root DIR",
        "--listen",
        "--user NAME",
        "--access-log",
        "--error-log",
        "--max-request-line",
        "--max-header-bytes",
        "--max-fields",
        "--max-requests",
        "--head-timeout",
        "--next-head-timeout",
        "--idle-timeout",
        "--grace",
        "--min-send-rate",
        "--send-window",
        "--max-children",
        "--max-per-ip",
        "--child-cpu",
        "--child-memory",
        "--server-header",
        "--index",
        "--autoindex",
        "--symlinks",
        "--mime-types",
        "--cache-control",
        "--log-children",
        "--check",
        "--version",
        "--help",
    };
    for (size_t i = 0; i < sizeof EVERY_FLAG / sizeof EVERY_FLAG[0]; i++)
        CHECK(strstr(printed, EVERY_FLAG[i]) != NULL, "--help lists %s", EVERY_FLAG[i]);
    CHECK(strstr(printed, "--access-log-format combined|json") != NULL,
          "--help lists --access-log-format combined|json");
    CHECK(strncmp(printed, "usage: prong --root DIR", 23) == 0,
          "--help starts with the usage line");

    outcome = parse_capturing((const char *const[]){"--root", "/srv", "--help", "--bogus", NULL},
                              printed, sizeof printed);
    CHECK_INT(outcome, CONFIG_EXIT_SUCCESS, "--help stops before a later bad flag");

    /* Nothing is printed for an ordinary parse or an error. */
    outcome =
        parse_capturing((const char *const[]){"--root", "/srv", NULL}, printed, sizeof printed);
    CHECK_INT(outcome, CONFIG_OK, "a parse with output captured");
    CHECK_STR(printed, "", "an ordinary parse prints nothing");
    outcome = parse_capturing((const char *const[]){"--bogus", NULL}, printed, sizeof printed);
    CHECK_STR(printed, "", "an error prints nothing on standard output");
}

void test_config(void)
{
    test_defaults();
    test_counts();
    test_durations();
    test_text_flags();
    test_errors();
    test_help_and_version();
    free_arguments();
}
