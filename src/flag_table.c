/* flag_table.c: every flag's row and the fixed limits (contract in include/flag_table.h).
 *
 * One row per flag, in --help's order. A row's meaning is written once, for
 * --help and the README alike; its default is a value the parser sets, so the
 * help text cannot claim another; a limit's row also says what happens past it,
 * for SECURITY.md's table.
 * Must not: hold code beyond looking rows up and showing a default. */
#include "flag_table.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fixed_limits.h"
#include "http/http_parser.h"
#include "http/proxy_protocol.h"

#define FIELD(member) offsetof(struct config, member)
#define HOUR_MS 3600000u
#define TEXT(value) #value
#define NUMBER_TEXT(value) TEXT(value)

const struct flag_spec FLAG_TABLE[] = {
    {.name = "root", .kind = FLAG_TEXT, .argument = "DIR", .field = FIELD(root),
     .default_text = "(required)", .meaning = "document root to serve"},
    {.name = "listen", .kind = FLAG_TEXT, .argument = "ADDRESS[,OPTION]...", .field = NO_FIELD,
     .repeatable = true, .default_text = DEFAULT_LISTEN ", or every socket systemd passes",
     .meaning = "`A.B.C.D:PORT`, `[IPV6]:PORT`, `localhost:PORT` (127.0.0.1 and [::1]), `:PORT` "
                "or `PORT` (every address: 0.0.0.0 and [::]), `unix:/PATH` or `systemd:NAME`; "
                "then `,proxy` (PROXY protocol v1/v2 first), `,reuseport`, and for unix "
                "`,mode=0660`, `,owner=USER`, `,group=GROUP`; port 0 picks a free port; repeatable"},
    {.name = "user", .kind = FLAG_TEXT, .argument = "NAME|UID:GID", .field = FIELD(user),
     .default_text = DEFAULT_USER,
     .meaning = "run user when started as root, by name (looked up in /etc/passwd) or as "
                "numeric ids (no lookup at all); must not be root"},
    {.name = "access-log", .kind = FLAG_TEXT, .argument = "PATH|-|off", .field = FIELD(access_log),
     .default_string = "-", .meaning = "access log file, standard error, or none"},
    {.name = "error-log", .kind = FLAG_TEXT, .argument = "PATH|-", .field = FIELD(error_log),
     .default_string = "-", .meaning = "error log file or standard error"},
    {.name = "max-request-line", .kind = FLAG_COUNT, .argument = "BYTES",
     .field = FIELD(limits.max_request_line), .minimum = 16, .maximum = HTTP_MAX_REQUEST_LINE,
     .default_value = HTTP_MAX_REQUEST_LINE, .meaning = "longest request line; 414 past it",
     .doc = DOC_PARSER_LIMIT, .limit_name = "request line, CRLF and leading empty lines included",
     .unit = "bytes", .past_limit = "414"},
    {.name = "max-header-bytes", .kind = FLAG_COUNT, .argument = "BYTES",
     .field = FIELD(limits.max_header_bytes), .minimum = 2, .maximum = HTTP_MAX_HEADER_BYTES,
     .default_value = HTTP_MAX_HEADER_BYTES, .meaning = "largest field block; 431 past it",
     .doc = DOC_PARSER_LIMIT,
     .limit_name = "field block, from the first field line through the final CRLF",
     .unit = "bytes", .past_limit = "431"},
    {.name = "max-fields", .kind = FLAG_COUNT, .argument = "N", .field = FIELD(limits.max_fields),
     .minimum = 0, .maximum = HTTP_MAX_FIELDS, .default_value = HTTP_MAX_FIELDS,
     .meaning = "most field lines; 431 past it", .doc = DOC_PARSER_LIMIT,
     .limit_name = "field lines", .past_limit = "431"},
    {.name = "max-requests", .kind = FLAG_COUNT, .argument = "N", .field = FIELD(max_requests),
     .minimum = 1, .maximum = 1000000, .default_value = 1000,
     .meaning = "requests per kept-alive connection", .doc = DOC_LIMIT,
     .limit_name = "requests per connection", .past_limit = "closed after the last"},
    {.name = "head-timeout", .kind = FLAG_SECONDS, .argument = "SECONDS",
     .field = FIELD(head_timeout_ms), .minimum = 1, .maximum = HOUR_MS, .default_value = 10000,
     .meaning = "deadline for the first request head; 408 past it", .doc = DOC_LIMIT,
     .limit_name = "first request head, absolute from the accept", .unit = "s",
     .past_limit = "408, closed"},
    {.name = "next-head-timeout", .kind = FLAG_SECONDS, .argument = "SECONDS",
     .field = FIELD(next_head_timeout_ms), .minimum = 1, .maximum = HOUR_MS,
     .default_value = 5000,
     .meaning = "deadline for a later head on a kept-alive connection, from its first byte",
     .doc = DOC_LIMIT, .limit_name = "later request head, from its first byte", .unit = "s",
     .past_limit = "closed"},
    {.name = "idle-timeout", .kind = FLAG_SECONDS, .argument = "SECONDS",
     .field = FIELD(idle_timeout_ms), .minimum = 1, .maximum = HOUR_MS, .default_value = 5000,
     .meaning = "how long a kept-alive connection may wait for its next request", .doc = DOC_LIMIT,
     .limit_name = "idle kept-alive connection", .unit = "s", .past_limit = "closed"},
    {.name = "grace", .kind = FLAG_SECONDS, .argument = "SECONDS", .field = FIELD(grace_ms),
     .minimum = 0, .maximum = HOUR_MS, .default_value = 10000,
     .meaning = "on SIGTERM, how long responses in flight may take", .doc = DOC_LIMIT,
     .limit_name = "graceful stop", .unit = "s", .past_limit = "connections cut"},
    {.name = "min-send-rate", .kind = FLAG_COUNT, .argument = "BYTES/S",
     .field = FIELD(min_send_rate), .minimum = 1, .maximum = 1u << 30, .default_value = 4096,
     .meaning = "slowest average send rate over a window before a response is abandoned",
     .doc = DOC_LIMIT, .limit_name = "send rate, averaged over --send-window",
     .unit = "bytes/s", .past_limit = "response abandoned"},
    {.name = "send-window", .kind = FLAG_SECONDS, .argument = "SECONDS",
     .field = FIELD(send_window_ms), .minimum = 100, .maximum = HOUR_MS, .default_value = 10000,
     .meaning = "the window over which the send rate is averaged"},
    {.name = "max-children", .kind = FLAG_COUNT, .argument = "N", .field = FIELD(max_children),
     .minimum = 1, .maximum = 65536, .default_text = NUMBER_TEXT(MAX_CHILDREN_PER_CPU) " per CPU, at least " NUMBER_TEXT(
         MIN_MAX_CHILDREN) ", at most " NUMBER_TEXT(MAX_CHILDREN_CEILING),
     .meaning = "most connection processes at once", .doc = DOC_LIMIT,
     .limit_name = "connection processes",
     .past_limit = "evict a waiting or idle child, else 503"},
    {.name = "max-per-ip", .kind = FLAG_COUNT, .argument = "N", .field = FIELD(max_per_ip),
     .minimum = 0, .maximum = 65536, .default_value = 64,
     .meaning = "most connections per client (IPv4 address or IPv6 /64); 0 = no cap",
     .doc = DOC_LIMIT, .limit_name = "connections per client (IPv4 address, IPv6 /64)",
     .past_limit = "503, no process created"},
    {.name = "max-connection-rate", .kind = FLAG_COUNT, .argument = "N",
     .field = FIELD(max_connection_rate), .minimum = 0, .maximum = 1000000, .default_value = 200,
     .meaning = "new connections per second per client (one second's burst); past it 503 "
                "without a process; 0 = no limit",
     .doc = DOC_LIMIT, .limit_name = "new connections per client, a second",
     .past_limit = "503, no process created"},
    {.name = "crash-limit", .kind = FLAG_COUNT, .argument = "N", .field = FIELD(crash_limit),
     .minimum = 0, .maximum = 100000, .default_value = 10,
     .meaning = "crashed connection processes per client per minute before the client is "
                "refused; 0 = never",
     .doc = DOC_LIMIT, .limit_name = "crashes per client, a minute",
     .past_limit = "503 for --crash-block"},
    {.name = "crash-block", .kind = FLAG_SECONDS, .argument = "SECONDS",
     .field = FIELD(crash_block_ms), .minimum = 1000, .maximum = 24ull * HOUR_MS,
     .default_value = 300000, .meaning = "how long such a client gets 503"},
    {.name = "child-cpu", .kind = FLAG_COUNT, .argument = "SECONDS",
     .field = FIELD(child_cpu_seconds), .minimum = 1, .maximum = 86400, .default_value = 60,
     .meaning = "CPU time limit of a connection process (the hard limit is a second more)",
     .doc = DOC_LIMIT, .limit_name = "CPU per connection process", .unit = "s",
     .past_limit = "SIGXCPU, logged by cause"},
    {.name = "child-memory", .kind = FLAG_COUNT, .argument = "MIB",
     .field = FIELD(child_memory_mb), .minimum = 16, .maximum = 65536, .default_value = 256,
     .meaning = "address-space limit of a connection process", .doc = DOC_LIMIT,
     .limit_name = "memory per connection process (address space)", .unit = "MiB",
     .past_limit = "allocation fails"},
    {.name = "server-header", .kind = FLAG_ON_OFF, .argument = "on|off",
     .field = FIELD(server_header), .default_value = 1, .meaning = "send `Server: prong`"},
    {.name = "index", .kind = FLAG_TEXT, .argument = "NAME", .field = NO_FIELD,
     .repeatable = true, .default_text = DEFAULT_INDEX,
     .meaning = "index file for directories; repeatable (at most " NUMBER_TEXT(
         CONFIG_MAX_INDEX_NAMES) "), the first that exists wins"},
    {.name = "autoindex", .kind = FLAG_SWITCH, .field = FIELD(autoindex), .default_text = "off",
     .meaning = "list directories without an index file (HTML, or JSON on `Accept`; at most "
                NUMBER_TEXT(AUTOINDEX_MAX_ENTRIES) " entries; dotfiles hidden)"},
    {.name = "symlinks", .kind = FLAG_TEXT, .argument = "follow|owner|none", .field = NO_FIELD,
     .default_text = "none",
     .meaning = "which symbolic links inside the root are followed: none, any whose target "
                "stays inside, or only those with the same owner as their target; never "
                "outside the root"},
    {.name = "mime-types", .kind = FLAG_TEXT, .argument = "FILE", .field = FIELD(mime_types),
     .default_text = "built-in",
     .meaning = "extra MIME types (mime.types format), read at start-up, winning over the "
                "built-in table"},
    {.name = "cache-control", .kind = FLAG_TEXT, .argument = "VALUE",
     .field = FIELD(cache_control), .default_text = "none",
     .meaning = "`Cache-Control` for file responses (200, 206, 304): a header row of file "
                "responses only, which a `--header` row with a prefix overrides"},
    {.name = "header", .kind = FLAG_TEXT, .argument = "'[/PREFIX/ ]NAME: VALUE'",
     .field = NO_FIELD, .repeatable = true, .default_text = "none",
     .meaning = "add a field to every response (errors too), or with a prefix to the "
                "responses for paths under it (not errors); per name the longest matching "
                "prefix wins; repeatable (at most " NUMBER_TEXT(HEADER_RULES_MAX) " rows)"},
    {.name = "error-page", .kind = FLAG_TEXT, .argument = "STATUS=/PATH", .field = NO_FIELD,
     .repeatable = true, .default_text = "built-in pages",
     .meaning = "serve this file from the root as the body of STATUS's error responses (the "
                "built-in page when it cannot be opened); repeatable"},
    {.name = "pid-file", .kind = FLAG_TEXT, .argument = "PATH", .field = FIELD(pid_file),
     .default_text = "none", .meaning = "write the main process's pid (the one to signal)"},
    {.name = "trusted-proxy", .kind = FLAG_TEXT, .argument = "CIDR", .field = NO_FIELD,
     .repeatable = true, .default_text = "none",
     .meaning = "a proxy whose X-Forwarded-For/Forwarded the access log records (never used "
                "for access control); repeatable"},
    {.name = "log-children", .kind = FLAG_SWITCH, .field = FIELD(log_children),
     .default_text = "off",
     .meaning = "log every connection process's end (status, CPU, memory, requests, bytes); "
                "abnormal ends are always logged"},
    {.name = "lab-without", .kind = FLAG_TEXT, .argument = "LAYER", .field = NO_FIELD,
     .repeatable = true, .lab_only = true, .default_text = "none",
     .meaning = "LAB BUILD ONLY: remove one layer (chroot, seccomp, landlock, capabilities), to "
                "see what the others stop"},
    {.name = "lab-sabotage", .kind = FLAG_TEXT, .argument = "LAYER", .field = NO_FIELD,
     .repeatable = true, .lab_only = true, .default_text = "none",
     .meaning = "LAB BUILD ONLY: remove a layer (or child-limits) but let the checks expect it "
                "(they must catch it)"},
    {.name = "require-landlock", .kind = FLAG_SWITCH, .field = FIELD(require_landlock),
     .default_text = "off", .meaning = "refuse to start on a kernel without Landlock"},
    {.name = "check", .kind = FLAG_SWITCH, .field = FIELD(check_only),
     .meaning = "validate the flags and the set-up, print what would run, then exit"},
    {.name = "attest", .kind = FLAG_SWITCH, .field = FIELD(attest),
     .meaning = "start for real (use --listen 127.0.0.1:0), make one connection process, print "
                "each role's /proc state as JSON, exit 0 only if every layer is in place"},
    {.name = "version", .kind = FLAG_ACTION, .field = NO_FIELD,
     .meaning = "print the version and exit"},
    {.name = "help", .kind = FLAG_ACTION, .field = NO_FIELD,
     .meaning = "print this help and exit"},
};
const size_t FLAG_TABLE_SIZE = sizeof FLAG_TABLE / sizeof FLAG_TABLE[0];
_Static_assert(sizeof FLAG_TABLE / sizeof FLAG_TABLE[0] <= FLAG_TABLE_CAPACITY, "FLAG_TABLE_CAPACITY");

const struct fixed_limit FIXED_LIMITS[] = {
    {.limit_name = "decoded path", .value = HTTP_MAX_PATH - 1, .unit = "bytes",
     .note = "PATH_MAX − 1", .past_limit = "414", .doc = DOC_PARSER_LIMIT},
    {.limit_name = "path segment", .value = HTTP_MAX_SEGMENT, .unit = "bytes", .note = "NAME_MAX",
     .past_limit = "414", .doc = DOC_PARSER_LIMIT},
    {.limit_name = "descriptors per connection process", .value = CHILD_MAX_FILES,
     .past_limit = "EMFILE (503)", .doc = DOC_LIMIT},
    {.limit_name = "PROXY header, v1", .value = PROXY_V1_MAX, .unit = "bytes",
     .past_limit = "connection closed", .doc = DOC_LIMIT},
    {.limit_name = "PROXY header, v2", .value = PROXY_V2_MAX, .unit = "bytes",
     .past_limit = "connection closed", .doc = DOC_LIMIT},
    {.limit_name = "PROXY header, time to arrive", .value = PROXY_DEADLINE_MS, .unit = "ms",
     .past_limit = "connection closed", .doc = DOC_LIMIT},
    {.limit_name = "connections whose PROXY header is arriving", .value = PROXY_WAIT_MAX,
     .past_limit = "connection closed", .doc = DOC_LIMIT},
    {.limit_name = "unsent bytes per connection (TCP_NOTSENT_LOWAT)",
     .value_text = "2 × --min-send-rate × --send-window, 16 KiB to 4 MiB (80 KiB by default)",
     .past_limit = "the child waits", .doc = DOC_LIMIT},
    {.limit_name = "connections waiting for an evicted child's slot", .value = PENDING_MAX,
     .past_limit = "503", .doc = DOC_LIMIT},
    {.limit_name = "ranges in one request", .value = BYTE_RANGE_MAX,
     .past_limit = "the whole file (200)", .doc = DOC_LIMIT},
    {.limit_name = "entries in one listing", .value = AUTOINDEX_MAX_ENTRIES, .past_limit = "500",
     .doc = DOC_LIMIT},
    {.limit_name = "Location of the trailing-slash redirect", .value = LOCATION_MAX,
     .unit = "bytes", .past_limit = "414", .doc = DOC_LIMIT},
    {.limit_name = "`--header` rows (`--cache-control` is one)", .value = HEADER_RULES_MAX,
     .past_limit = "refused at start-up", .doc = DOC_LIMIT},
    {.limit_name = "`--header` arguments, all together", .value = HEADER_RULES_TEXT_MAX,
     .unit = "bytes", .past_limit = "refused at start-up", .doc = DOC_LIMIT},
    {.limit_name = "what the `--header` rows add to one response", .value = RESPONSE_CONFIGURED_MAX,
     .unit = "bytes", .note = "a 4,096-byte head less prong's own 1,536",
     .past_limit = "refused at start-up", .doc = DOC_LIMIT},
    {.limit_name = "a media type in `--mime-types`", .value = MIME_TYPE_MAX, .unit = "bytes",
     .past_limit = "refused at start-up", .doc = DOC_LIMIT},
};
const size_t FIXED_LIMITS_SIZE = sizeof FIXED_LIMITS / sizeof FIXED_LIMITS[0];

const struct flag_spec *flag_table_find(const char *name, size_t length)
{
    for (size_t i = 0; i < FLAG_TABLE_SIZE; i++)
        if (strlen(FLAG_TABLE[i].name) == length && memcmp(FLAG_TABLE[i].name, name, length) == 0)
            return &FLAG_TABLE[i];
    return NULL;
}

void flag_table_default_text(const struct flag_spec *flag, char *out, size_t out_size)
{
    if (flag->default_text || flag->default_string) {
        snprintf(out, out_size, "%s", flag->default_text ? flag->default_text : flag->default_string);
        return;
    }
    switch (flag->kind) {
    case FLAG_ON_OFF: snprintf(out, out_size, "%s", flag->default_value ? "on" : "off"); break;
    case FLAG_SECONDS:
        if (flag->default_value % 1000 == 0)
            snprintf(out, out_size, "%llu", (unsigned long long)(flag->default_value / 1000));
        else
            snprintf(out, out_size, "%.3f", (double)flag->default_value / 1000.0);
        break;
    default: snprintf(out, out_size, "%llu", (unsigned long long)flag->default_value); break;
    }
}
