/* config.c: parse and validate prong's flags into a struct config.
 *
 * Contract: see include/config.h. Every flag is one row of FLAGS below: its name,
 * its argument, its help text with the default, and how its value is checked,
 * so `--help` and the parser cannot drift apart. A bad value gives one readable
 * line naming the flag and what was expected.
 * Must not: open files, resolve users or touch the network; only argv is read. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum value_kind {
    VALUE_NONE,     /* a switch */
    VALUE_TEXT,     /* any non-empty text */
    VALUE_COUNT,    /* a decimal integer within [minimum, maximum] */
    VALUE_DURATION, /* seconds, with up to three decimals, stored in milliseconds */
    VALUE_ON_OFF,
};

enum flag_id {
    FLAG_ROOT = 256,
    FLAG_LISTEN,
    FLAG_USER,
    FLAG_ACCESS_LOG,
    FLAG_ERROR_LOG,
    FLAG_MAX_REQUEST_LINE,
    FLAG_MAX_HEADER_BYTES,
    FLAG_MAX_FIELDS,
    FLAG_MAX_REQUESTS,
    FLAG_HEAD_TIMEOUT,
    FLAG_NEXT_HEAD_TIMEOUT,
    FLAG_IDLE_TIMEOUT,
    FLAG_GRACE,
    FLAG_MIN_SEND_RATE,
    FLAG_SEND_WINDOW,
    FLAG_MAX_CHILDREN,
    FLAG_MAX_PER_IP,
    FLAG_MAX_CONNECTION_RATE,
    FLAG_CHILD_CPU,
    FLAG_CHILD_MEMORY,
    FLAG_CRASH_LIMIT,
    FLAG_CRASH_BLOCK,
    FLAG_SERVER_HEADER,
    FLAG_INDEX,
    FLAG_AUTOINDEX,
    FLAG_SYMLINKS,
    FLAG_MIME_TYPES,
    FLAG_CACHE_CONTROL,
    FLAG_LOG_CHILDREN,
    FLAG_PID_FILE,
    FLAG_TRUSTED_PROXY,
    FLAG_LAB_WITHOUT,
    FLAG_LAB_SABOTAGE,
    FLAG_ATTEST,
    FLAG_REQUIRE_LANDLOCK,
    FLAG_CHECK,
    FLAG_VERSION,
    FLAG_HELP,
};

struct flag_spec {
    const char *name;
    enum flag_id id;
    enum value_kind kind;
    const char *argument; /* shown in --help */
    uint64_t minimum, maximum;
    const char *help; /* ends with the default */
};

static const struct flag_spec FLAGS[] = {
    {"root", FLAG_ROOT, VALUE_TEXT, "DIR", 0, 0, "document root to serve (required)"},
    {"listen", FLAG_LISTEN, VALUE_TEXT, "ADDRESS[,OPTION]...", 0, 0,
     "A.B.C.D:PORT, [IPV6]:PORT, unix:/PATH or systemd:NAME, then ,proxy ,reuseport and for unix "
     ",mode=0660 "
     ",owner=USER ,group=GROUP; port 0 picks a free port; repeatable (default " DEFAULT_LISTEN
     ", or every socket systemd passes)"},
    {"user", FLAG_USER, VALUE_TEXT, "NAME", 0, 0,
     "run user when started as root; must not be root (default " DEFAULT_USER ")"},
    {"access-log", FLAG_ACCESS_LOG, VALUE_TEXT, "PATH|-|off", 0, 0,
     "access log file, - for standard error, or off (default -)"},
    {"error-log", FLAG_ERROR_LOG, VALUE_TEXT, "PATH|-", 0, 0,
     "error log file or - for standard error (default -)"},
    {"max-request-line", FLAG_MAX_REQUEST_LINE, VALUE_COUNT, "BYTES", 16, HTTP_MAX_REQUEST_LINE,
     "longest request line, else 414 (default 8192)"},
    {"max-header-bytes", FLAG_MAX_HEADER_BYTES, VALUE_COUNT, "BYTES", 2, HTTP_MAX_HEADER_BYTES,
     "largest field block, else 431 (default 16384)"},
    {"max-fields", FLAG_MAX_FIELDS, VALUE_COUNT, "N", 0, HTTP_MAX_FIELDS,
     "most field lines, else 431 (default 100)"},
    {"max-requests", FLAG_MAX_REQUESTS, VALUE_COUNT, "N", 1, 1000000,
     "requests per kept-alive connection (default 1000)"},
    {"head-timeout", FLAG_HEAD_TIMEOUT, VALUE_DURATION, "SECONDS", 1, 3600000,
     "deadline for the first request head, then 408 (default 10)"},
    {"next-head-timeout", FLAG_NEXT_HEAD_TIMEOUT, VALUE_DURATION, "SECONDS", 1, 3600000,
     "deadline for a later head on a kept-alive connection, from its first byte (default 5)"},
    {"idle-timeout", FLAG_IDLE_TIMEOUT, VALUE_DURATION, "SECONDS", 1, 3600000,
     "how long a kept-alive connection may wait for its next request (default 5)"},
    {"grace", FLAG_GRACE, VALUE_DURATION, "SECONDS", 0, 3600000,
     "on SIGTERM, how long children may finish their responses (default 10)"},
    {"min-send-rate", FLAG_MIN_SEND_RATE, VALUE_COUNT, "BYTES/S", 1, 1u << 30,
     "slowest average send rate over a window before a response is abandoned (default 4096)"},
    {"send-window", FLAG_SEND_WINDOW, VALUE_DURATION, "SECONDS", 100, 3600000,
     "the window over which the send rate is averaged (default 10)"},
    {"max-children", FLAG_MAX_CHILDREN, VALUE_COUNT, "N", 1, 65536,
     "most connection processes at once (default: 128 per CPU, at least 256)"},
    {"max-per-ip", FLAG_MAX_PER_IP, VALUE_COUNT, "N", 0, 65536,
     "most connections per client (IPv4 address or IPv6 /64); 0 = no cap (default 64)"},
    {"max-connection-rate", FLAG_MAX_CONNECTION_RATE, VALUE_COUNT, "N", 0, 1000000,
     "new connections per second per client, one second's burst, else 503 without a process; 0 = "
     "no limit "
     "(default 200)"},
    {"child-cpu", FLAG_CHILD_CPU, VALUE_COUNT, "SECONDS", 1, 86400,
     "CPU seconds a connection process may use (default 60)"},
    {"child-memory", FLAG_CHILD_MEMORY, VALUE_COUNT, "MIB", 16, 65536,
     "address space of a connection process in MiB (default 256)"},
    {"crash-limit", FLAG_CRASH_LIMIT, VALUE_COUNT, "N", 0, 100000,
     "crashed connection processes per client per minute before it is refused; 0 = never (default "
     "10)"},
    {"crash-block", FLAG_CRASH_BLOCK, VALUE_DURATION, "SECONDS", 1000, 86400000,
     "how long such a client is refused with 503 (default 300)"},
    {"server-header", FLAG_SERVER_HEADER, VALUE_ON_OFF, "on|off", 0, 0,
     "send 'Server: prong' (default on)"},
    {"index", FLAG_INDEX, VALUE_TEXT, "NAME", 0, 0,
     "index file name for directories; repeatable (default index.html)"},
    {"autoindex", FLAG_AUTOINDEX, VALUE_NONE, NULL, 0, 0,
     "list directories that have no index file (default off)"},
    {"symlinks", FLAG_SYMLINKS, VALUE_TEXT, "follow|owner|none", 0, 0,
     "follow symbolic links inside the root, only when owners match, or never (default none)"},
    {"mime-types", FLAG_MIME_TYPES, VALUE_TEXT, "FILE", 0, 0,
     "extra MIME types, mime.types format, read before the jail (default: built-in table)"},
    {"cache-control", FLAG_CACHE_CONTROL, VALUE_TEXT, "VALUE", 0, 0,
     "Cache-Control value for files (default none)"},
    {"pid-file", FLAG_PID_FILE, VALUE_TEXT, "PATH", 0, 0,
     "write the main process's pid here at start-up (default none)"},
    {"trusted-proxy", FLAG_TRUSTED_PROXY, VALUE_TEXT, "CIDR", 0, 0,
     "a proxy whose X-Forwarded-For/Forwarded the access log records; repeatable; never used for "
     "access control "
     "(default none)"},
    {"log-children", FLAG_LOG_CHILDREN, VALUE_NONE, NULL, 0, 0,
     "log every connection process's end (status, CPU, memory, requests, bytes); abnormal ends are "
     "always logged (default off)"},
#ifdef PRONG_LAB
    {"lab-without", FLAG_LAB_WITHOUT, VALUE_TEXT, "chroot|seccomp|landlock|capabilities", 0, 0,
     "LAB BUILD ONLY: remove one layer (repeatable), to see what the others stop"},
    {"lab-sabotage", FLAG_LAB_SABOTAGE, VALUE_TEXT,
     "chroot|seccomp|landlock|capabilities|child-limits", 0, 0,
     "LAB BUILD ONLY: remove a layer but let the checks expect it (they must catch it)"},
#endif
    {"attest", FLAG_ATTEST, VALUE_NONE, NULL, 0, 0,
     "start for real (use --listen 127.0.0.1:0), make one connection process, print each role's "
     "/proc state as "
     "JSON, exit 0 only if every configured layer is in place"},
    {"require-landlock", FLAG_REQUIRE_LANDLOCK, VALUE_NONE, NULL, 0, 0,
     "refuse to start where the kernel has no Landlock (default: continue without it, and say so)"},
    {"check", FLAG_CHECK, VALUE_NONE, NULL, 0, 0,
     "validate the flags and the set-up, print what would run, exit"},
    {"version", FLAG_VERSION, VALUE_NONE, NULL, 0, 0, "print the version and exit"},
    {"help", FLAG_HELP, VALUE_NONE, NULL, 0, 0, "print this help and exit"},
};
#define FLAG_COUNT (sizeof FLAGS / sizeof FLAGS[0])

static void print_help(void)
{
    printf("usage: prong --root DIR [--listen ADDR:PORT]... [--user NAME] [flags]\n\n"
           "A hardened HTTP/1.1 static-file server: each connection is served by a process\n"
           "jailed in DIR (chroot, no capabilities, seccomp, Landlock, rlimits).\n\nflags:\n");
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", FLAGS[i].name, FLAGS[i].argument ? " " : "",
                 FLAGS[i].argument ? FLAGS[i].argument : "");
        printf("  %-32s %s\n", left, FLAGS[i].help);
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

static void set_defaults(struct config *config)
{
    memset(config, 0, sizeof *config);
    config->access_log = "-";
    config->error_log = "-";
    config->limits = http_default_limits();
    config->max_requests = DEFAULT_MAX_REQUESTS;
    config->head_timeout_ms = DEFAULT_HEAD_TIMEOUT_MS;
    config->next_head_timeout_ms = DEFAULT_NEXT_HEAD_TIMEOUT_MS;
    config->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
    config->grace_ms = DEFAULT_GRACE_MS;
    config->min_send_rate = DEFAULT_MIN_SEND_RATE;
    config->send_window_ms = DEFAULT_SEND_WINDOW_MS;
    config->max_per_ip = DEFAULT_MAX_PER_IP;
    config->max_connection_rate = DEFAULT_CONNECTION_RATE;
    config->child_cpu_seconds = DEFAULT_CHILD_CPU_SECONDS;
    config->child_memory_mb = DEFAULT_CHILD_MEMORY_MB;
    config->crash_limit = DEFAULT_CRASH_LIMIT;
    config->crash_block_ms = DEFAULT_CRASH_BLOCK_MS;
    config->server_header = true;
    config->symlinks = SYMLINKS_NONE;
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

/* A header value we will send as is: visible ASCII and spaces only (RFC 9110 §5.5). */
static int is_safe_header_value(const char *value)
{
    if (!*value)
        return 0;
    for (const char *p = value; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return 0;
    return 1;
}

static enum config_outcome apply_text(struct config *config, const struct flag_spec *flag,
                                      const char *text, char *error, size_t error_size)
{
    switch (flag->id) {
    case FLAG_ROOT: config->root = text; return CONFIG_OK;
    case FLAG_LISTEN:
        if (config->listen_count >= CONFIG_MAX_LISTENERS) {
            snprintf(error, error_size, "--listen: at most %d listeners", CONFIG_MAX_LISTENERS);
            return CONFIG_ERROR;
        }
        config->listens[config->listen_count++].text = text;
        return CONFIG_OK;
    case FLAG_USER: config->user = text; return CONFIG_OK;
    case FLAG_ACCESS_LOG: config->access_log = text; return CONFIG_OK;
    case FLAG_ERROR_LOG:
        if (strcmp(text, "off") == 0) {
            snprintf(error, error_size,
                     "--error-log: errors cannot be turned off; give a file or -");
            return CONFIG_ERROR;
        }
        config->error_log = text;
        return CONFIG_OK;
    case FLAG_INDEX:
        if (!is_plain_file_name(text) || config->index_count >= CONFIG_MAX_INDEX_NAMES) {
            snprintf(error, error_size,
                     "--index: expected a plain file name (at most %d), got '%s'",
                     CONFIG_MAX_INDEX_NAMES, text);
            return CONFIG_ERROR;
        }
        config->index_names[config->index_count++] = text;
        return CONFIG_OK;
    case FLAG_SYMLINKS:
        if (strcmp(text, "none") == 0)
            config->symlinks = SYMLINKS_NONE;
        else if (strcmp(text, "follow") == 0)
            config->symlinks = SYMLINKS_FOLLOW;
        else if (strcmp(text, "owner") == 0)
            config->symlinks = SYMLINKS_OWNER;
        else {
            snprintf(error, error_size, "--symlinks: expected follow, owner or none, got '%s'",
                     text);
            return CONFIG_ERROR;
        }
        return CONFIG_OK;
    case FLAG_MIME_TYPES: config->mime_types = text; return CONFIG_OK;
    case FLAG_PID_FILE:
        if (text[0] != '/') {
            snprintf(error, error_size, "--pid-file %s: give an absolute path", text);
            return CONFIG_ERROR;
        }
        config->pid_file = text;
        return CONFIG_OK;
    case FLAG_TRUSTED_PROXY:
        if (config->trusted_proxy_count >= CONFIG_MAX_TRUSTED_PROXIES ||
            cidr_parse(text, &config->trusted_proxies[config->trusted_proxy_count]) != 0) {
            snprintf(
                error, error_size,
                "--trusted-proxy: expected an address or ADDRESS/PREFIX (at most %d), got '%s'",
                CONFIG_MAX_TRUSTED_PROXIES, text);
            return CONFIG_ERROR;
        }
        config->trusted_proxy_count++;
        return CONFIG_OK;
    case FLAG_LAB_WITHOUT:
    case FLAG_LAB_SABOTAGE: {
        static const char *const LAYER_NAMES[LAYER_COUNT] = {"chroot", "seccomp", "landlock",
                                                             "capabilities", "child-limits"};
        for (unsigned layer = 0; layer < LAYER_COUNT; layer++)
            if (strcmp(text, LAYER_NAMES[layer]) == 0) {
                if (flag->id == FLAG_LAB_WITHOUT)
                    config->lab_without |= 1u << layer;
                else
                    config->lab_sabotage |= 1u << layer;
                return CONFIG_OK;
            }
        snprintf(error, error_size,
                 "--%s: expected chroot, seccomp, landlock, capabilities or child-limits, got '%s'",
                 flag->name, text);
        return CONFIG_ERROR;
    }
    case FLAG_CACHE_CONTROL:
        if (!is_safe_header_value(text)) {
            snprintf(error, error_size, "--cache-control: expected printable ASCII, got '%s'",
                     text);
            return CONFIG_ERROR;
        }
        config->cache_control = text;
        return CONFIG_OK;
    default: return CONFIG_OK;
    }
}

static void apply_number(struct config *config, enum flag_id id, uint64_t value)
{
    uint32_t number = (uint32_t)value;
    switch (id) {
    case FLAG_MAX_REQUEST_LINE: config->limits.max_request_line = number; break;
    case FLAG_MAX_HEADER_BYTES: config->limits.max_header_bytes = number; break;
    case FLAG_MAX_FIELDS: config->limits.max_fields = number; break;
    case FLAG_MAX_REQUESTS: config->max_requests = number; break;
    case FLAG_HEAD_TIMEOUT: config->head_timeout_ms = number; break;
    case FLAG_NEXT_HEAD_TIMEOUT: config->next_head_timeout_ms = number; break;
    case FLAG_IDLE_TIMEOUT: config->idle_timeout_ms = number; break;
    case FLAG_GRACE: config->grace_ms = number; break;
    case FLAG_MIN_SEND_RATE: config->min_send_rate = number; break;
    case FLAG_SEND_WINDOW: config->send_window_ms = number; break;
    case FLAG_MAX_CHILDREN: config->max_children = number; break;
    case FLAG_MAX_PER_IP: config->max_per_ip = number; break;
    case FLAG_MAX_CONNECTION_RATE: config->max_connection_rate = number; break;
    case FLAG_CHILD_CPU: config->child_cpu_seconds = number; break;
    case FLAG_CHILD_MEMORY: config->child_memory_mb = number; break;
    case FLAG_CRASH_LIMIT: config->crash_limit = number; break;
    case FLAG_CRASH_BLOCK: config->crash_block_ms = number; break;
    default: break;
    }
}

static enum config_outcome apply_flag(struct config *config, const struct flag_spec *flag,
                                      const char *text, char *error, size_t error_size)
{
    uint64_t value = 0;
    switch (flag->kind) {
    case VALUE_NONE:
        if (flag->id == FLAG_HELP) {
            print_help();
            return CONFIG_EXIT_SUCCESS;
        }
        if (flag->id == FLAG_VERSION) {
            printf("prong %s\n", PRONG_VERSION);
            return CONFIG_EXIT_SUCCESS;
        }
        if (flag->id == FLAG_CHECK)
            config->check_only = true;
        if (flag->id == FLAG_AUTOINDEX)
            config->autoindex = true;
        if (flag->id == FLAG_LOG_CHILDREN)
            config->log_children = true;
        if (flag->id == FLAG_ATTEST)
            config->attest = true;
        if (flag->id == FLAG_REQUIRE_LANDLOCK)
            config->require_landlock = true;
        return CONFIG_OK;
    case VALUE_TEXT:
        if (!text[0]) {
            snprintf(error, error_size, "--%s: expected %s, got an empty value", flag->name,
                     flag->argument);
            return CONFIG_ERROR;
        }
        return apply_text(config, flag, text, error, error_size);
    case VALUE_ON_OFF:
        if (strcmp(text, "on") != 0 && strcmp(text, "off") != 0) {
            snprintf(error, error_size, "--%s: expected on or off, got '%s'", flag->name, text);
            return CONFIG_ERROR;
        }
        config->server_header = strcmp(text, "on") == 0;
        return CONFIG_OK;
    case VALUE_COUNT:
        if (!parse_count(text, flag->minimum, flag->maximum, &value)) {
            snprintf(error, error_size, "--%s: expected an integer from %llu to %llu, got '%s'",
                     flag->name, (unsigned long long)flag->minimum,
                     (unsigned long long)flag->maximum, text);
            return CONFIG_ERROR;
        }
        apply_number(config, flag->id, value);
        return CONFIG_OK;
    case VALUE_DURATION:
        if (!parse_duration(text, flag->minimum, flag->maximum, &value)) {
            snprintf(error, error_size,
                     "--%s: expected seconds from %.3g to %.0f (up to 3 decimals), got '%s'",
                     flag->name, (double)flag->minimum / 1000.0, (double)flag->maximum / 1000.0,
                     text);
            return CONFIG_ERROR;
        }
        apply_number(config, flag->id, value);
        return CONFIG_OK;
    }
    return CONFIG_OK;
}

uint32_t config_default_max_children(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t sized = (uint64_t)(cpus > 0 ? cpus : 1) * 128u;
    if (sized < MIN_MAX_CHILDREN)
        sized = MIN_MAX_CHILDREN;
    return sized > 4096 ? 4096 : (uint32_t)sized;
}

/* The message stays one line even when it quotes a value with control bytes. */
static enum config_outcome refuse(char *error)
{
    for (char *p = error; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return CONFIG_ERROR;
}

enum config_outcome config_parse(int argc, char **argv, struct config *config, char *error,
                                 size_t error_size)
{
    struct option long_options[FLAG_COUNT + 1];
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        long_options[i] = (struct option){
            FLAGS[i].name, FLAGS[i].kind == VALUE_NONE ? no_argument : required_argument, NULL,
            (int)FLAGS[i].id};
    }
    long_options[FLAG_COUNT] = (struct option){NULL, 0, NULL, 0};
    set_defaults(config);
    error[0] = '\0';

    /* The command line is a frozen interface: only whole flag names count, so
     * getopt_long's unambiguous abbreviations ("--roo") are refused up front. */
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        if (strcmp(argument, "--") == 0)
            break;
        if (strncmp(argument, "--", 2) != 0)
            continue;
        size_t name_length = strcspn(argument + 2, "=");
        const struct flag_spec *flag = NULL;
        for (size_t j = 0; j < FLAG_COUNT && !flag; j++)
            if (strlen(FLAGS[j].name) == name_length &&
                strncmp(FLAGS[j].name, argument + 2, name_length) == 0)
                flag = &FLAGS[j];
        if (!flag) {
            snprintf(error, error_size, "unknown flag '%.*s' (see --help)", (int)(name_length + 2),
                     argument);
            return refuse(error);
        }
        if (flag->id == FLAG_HELP || flag->id == FLAG_VERSION)
            break; /* they end the parse: what follows is never read, as before */
        if (flag->kind != VALUE_NONE && argument[2 + name_length] != '=')
            i++; /* its value, whatever it looks like */
    }
    opterr = 0; /* our own one-line messages */
    optind = 0; /* not 1: 0 also forgets a half-read "-xy" left by an earlier call */
    for (;;) {
        int option_index = -1;
        int id = getopt_long(argc, argv, ":", long_options, &option_index);
        if (id == -1)
            break;
        if (id == '?' || id == ':') {
            const char *given = argv[optind - 1];
            char short_flag[3] = {'-', (char)optopt, '\0'};
            if (id == '?' && optopt > 0 &&
                optopt < 256) /* an unknown short flag, maybe inside "-xy" */
                given = short_flag;
            snprintf(error, error_size,
                     id == ':' ? "%s: missing its value (see --help)"
                               : "unknown flag '%s' (see --help)",
                     given);
            return refuse(error);
        }
        const struct flag_spec *flag = NULL;
        for (size_t i = 0; i < FLAG_COUNT; i++)
            if ((int)FLAGS[i].id == id)
                flag = &FLAGS[i];
        if (!flag)
            continue;
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
    if (config->listen_count == 0) {
        config->listens[config->listen_count++].text = DEFAULT_LISTEN;
        config->listen_defaulted = true;
    }
    if (config->index_count == 0)
        config->index_names[config->index_count++] = "index.html";
    if (config->max_children == 0)
        config->max_children = config_default_max_children();
    return CONFIG_OK;
}
