/* config.h: the command line (a frozen interface) turned into a validated struct config.
 *
 * Contract: config_parse() fills a config from argv or returns a one-line error
 * message for standard error (exit code 2). Every flag is a row of
 * flag_table.h (its default, bounds and meaning); `prong --help` prints them.
 * Must not: touch the file system, the network or privileges (that is main.c's
 * start-up order); config_parse only reads argv. */
#ifndef PRONG_CONFIG_H
#define PRONG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixed_limits.h"
#include "http/cidr.h"
#include "http/http_parser.h"
#include "process/access_log.h"
#include "static/error_pages.h"
#include "static/header_rules.h"

#define PRONG_VERSION "0.1.0"

/* Defaults, bounds and meanings of the flags: flag_table.c, the one table of them. */
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_USER "nobody"
#define DEFAULT_INDEX "index.html"
#define MAX_CHILDREN_PER_CPU 256 /* the default --max-children: this many per CPU, */
#define MIN_MAX_CHILDREN 1024    /* at least this many, at most MAX_CHILDREN_CEILING */
#define DEFAULT_LOG_USER "prong-log"
/* Without --log-user and without a user prong-log, the monitor takes this uid
 * and gid, which no account may have (start-up checks): a uid of its own. */
#define FALLBACK_LOG_ID 65533

enum symlink_policy { SYMLINKS_NONE = 0, SYMLINKS_FOLLOW, SYMLINKS_OWNER };

/* Layers the lab build (make lab, never installed) can remove one at a time,
 * for coursework and for docs/layers.md's matrix: --lab-without LAYER removes it
 * and tells the checks (the monitor's verification, --attest) not to expect it;
 * --lab-sabotage LAYER removes it without telling them, which is how the tests
 * show those checks catch a missing layer. In every other build the flags do
 * not exist and LAYER_KEPT / LAYER_APPLIED are constant true, so the code that
 * would skip a layer is not even compiled into ./prong. */
enum lab_layer {
    LAYER_CHROOT,
    LAYER_SECCOMP,
    LAYER_LANDLOCK,
    LAYER_CAPABILITIES,
    LAYER_CHILD_LIMITS,
    LAYER_LOG_CHECKS, /* the monitor's judgement of each message (log_intake.c) */
    LAYER_KILL,       /* the supervisor's SIGKILL of a child that does not end */
    LAYER_SECRETS,    /* the supervisor's clearing of AT_RANDOM and the monitor's canary */
    LAYER_FAIR_SHARE, /* evicting a slow reader, not only a waiting or idle child */
    LAYER_COUNT
};
#ifdef PRONG_LAB
#define LAYER_KEPT(config, layer) (((config)->lab_without & (1u << (layer))) == 0)
#define LAYER_APPLIED(config, layer) \
    ((((config)->lab_without | (config)->lab_sabotage) & (1u << (layer))) == 0)
#else
#define LAYER_KEPT(config, layer) ((void)(config), (void)(layer), true)
#define LAYER_APPLIED(config, layer) ((void)(config), (void)(layer), true)
#endif

struct listen_spec {
    const char *text; /* as given: "127.0.0.1:8080", "[::1]:8080" */
};

struct config {
    const char *root;
    struct listen_spec listens[CONFIG_MAX_LISTENERS];
    size_t listen_count;
    bool listen_defaulted;  /* no --listen given: systemd's sockets, else DEFAULT_LISTEN */
    const char *user;       /* NULL: DEFAULT_USER when started as root, else the current user */
    const char *log_user;   /* NULL: DEFAULT_LOG_USER, or FALLBACK_LOG_ID (as root) */
    const char *access_log; /* path, "-" (standard error) or "off" */
    const char *error_log;  /* path or "-" */
    /* --access-log-format: ACCESS_LOG_COMBINED (the default) or ACCESS_LOG_JSON */
    enum access_log_style access_log_format;
    struct http_limits limits;
    uint32_t max_requests;
    uint32_t head_timeout_ms;
    uint32_t next_head_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t grace_ms;
    uint32_t min_send_rate;
    uint32_t send_window_ms;
    uint32_t max_children; /* 0: sized for the machine at start-up */
    uint32_t max_per_ip;
    uint32_t max_per_prefix;
    uint32_t max_connection_rate;
    uint32_t child_cpu_seconds;
    uint32_t child_memory_mb;
    uint32_t crash_limit;
    uint32_t crash_block_ms;
    bool server_header;
    bool check_only;
    bool log_children;
    bool attest;
    bool require_landlock;
    bool allow_weak_landlock;  /* start where Landlock is older than ABI 3 (or absent) */
    const char *prefault;      /* "auto", "on" or "off" */
    uint32_t lab_landlock_abi; /* lab build only: use at most this ABI (0: the kernel's) */
    const char *index_names[CONFIG_MAX_INDEX_NAMES];
    size_t index_count;
    bool autoindex;
    enum symlink_policy symlinks;
    const char *mime_types;      /* NULL: the built-in table only */
    const char *cache_control;   /* also a row of headers (scope: file responses) */
    struct header_rules headers; /* --header rows, then --cache-control's */
    struct error_pages error_pages;
    const char *pid_file;
    const char *metrics; /* NULL: no metrics socket; else its address (process/metrics_socket.h) */
    struct cidr trusted_proxies[CONFIG_MAX_TRUSTED_PROXIES];
    size_t trusted_proxy_count;
    uint32_t lab_without;  /* lab build only: bit per enum lab_layer removed */
    uint32_t lab_sabotage; /* lab build only: removed without telling the checks */
};

enum config_outcome {
    CONFIG_OK = 0,
    CONFIG_EXIT_SUCCESS, /* --help or --version printed */
    CONFIG_ERROR,        /* message filled in */
};

/* Parse argv into config. On CONFIG_ERROR, error holds one line (no newline). */
enum config_outcome config_parse(int argc, char **argv, struct config *config, char *error,
                                 size_t error_size);

/* The default for --max-children on this machine (at least MIN_MAX_CHILDREN). */
uint32_t config_default_max_children(void);

#endif
