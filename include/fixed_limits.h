/* fixed_limits.h: the limits no flag changes, in one place.
 *
 * Contract: every bound on what one client, one connection process or one
 * start-up may hold that is not a flag is named here, with why it is what it is;
 * the modules that enforce them include this header, and flag_table.c lists the
 * ones the documents show (SECURITY.md, "Limits and defaults"). The parser's own limits are
 * in http/http_parser.h, a frozen interface, and are shown from there.
 * Must not: hold tuning knobs (batch sizes, timer periods) or anything a flag sets. */
#ifndef PRONG_FIXED_LIMITS_H
#define PRONG_FIXED_LIMITS_H

/* ---------------------------------------------------------------- start-up */
#define CONFIG_MAX_LISTENERS 16 /* --listen */
/* Sockets those make: a shorthand (localhost:PORT, :PORT, PORT) is two, so twice
 * CONFIG_MAX_LISTENERS (listener.c asserts it). */
#define LISTENER_SOCKETS_MAX 32u
#define CONFIG_MAX_INDEX_NAMES 8      /* --index */
#define CONFIG_MAX_TRUSTED_PROXIES 16 /* --trusted-proxy */
#define MIME_FILE_MAX_ENTRIES 4096    /* --mime-types lines with a type */
#define MAX_CHILDREN_CEILING 16384    /* the default --max-children never exceeds this */
/* --header rows (and --cache-control, which is one), and the bytes of their text
 * as the command line gave them: bounds on what start-up stores and checks. */
#define HEADER_RULES_MAX 64
#define HEADER_RULES_TEXT_MAX 16384
/* --error-page rows: one per status that has a page (error_pages.c lists them). */
#define ERROR_PAGES_MAX 16
/* A media type read from --mime-types, parameters included: it goes into a
 * Content-Type line, so it counts against the response head (below). */
#define MIME_TYPE_MAX 255

/* ---------------------------------------------------------------- a connection process */
/* Client, log channel, /dev/null twice, a file, a directory, and spares. */
#define CHILD_MAX_FILES 16
/* Read into memory and sent with the head in one call; larger files go by sendfile. */
#define SMALL_FILE_MAX 16384u
/* After a refusal, the client is drained (so our answer is not reset) this long at most. */
#define LINGER_MAX_NS 2000000000ull
#define LINGER_MAX_BYTES 65536u
/* Entries of one directory listing (--autoindex); more is refused with 500. */
#define AUTOINDEX_MAX_ENTRIES 10000
/* Ranges in one multipart/byteranges answer (RFC 9110 §14.2 lets a server limit them). */
#define BYTE_RANGE_MAX 16

/* Response heads are built in one buffer of RESPONSE_HEAD_MAX bytes (static/response.h).
 * What prong writes itself into any head (status line, its own fields, a Location,
 * and an error's built-in body) stays within RESPONSE_OWN_HEAD_MAX, which
 * tests/unit/test_head_budget.c checks by building every kind of head at its
 * largest; the rest, RESPONSE_CONFIGURED_MAX, is what the configured --header
 * rows may add to any one response (start-up refuses more), so a configured
 * header can never push a head past its buffer. */
#define RESPONSE_OWN_HEAD_MAX 1536
/* The trailing-slash redirect's Location, path and query re-encoded; longer: 414. */
#define LOCATION_MAX 1024

/* ---------------------------------------------------------------- the supervisor */
/* Connections waiting for an evicted child's slot; past it, 503. An evicted
 * child is killed KILL_AFTER_CUT_MS after its cut, so the deadline is ample. */
#define PENDING_MAX 64
#define PENDING_DEADLINE_MS 3000
#define KILL_AFTER_CUT_MS 1000
/* Connections whose PROXY header is still arriving, and how long one may take. */
#define PROXY_WAIT_MAX 256
#define PROXY_DEADLINE_MS 5000
/* --metrics scrapes whose request is still arriving, how long one may take (then
 * it is answered anyway), and the most of a request read (once, then ignored). */
#define METRICS_WAIT_MAX 8
#define METRICS_DEADLINE_MS 1000
#define METRICS_REQUEST_MAX 1024
/* A child on whose connection no byte moved for longer than the longest
 * deadline (--head-timeout or --send-window) plus this is cut off and killed. */
#define BACKSTOP_MARGIN_MS 5000
/* TCP_NOTSENT_LOWAT bounds: 2 × --min-send-rate × --send-window, within these. */
#define UNSENT_MIN (16u << 10)
#define UNSENT_MAX (4u << 20)

/* ---------------------------------------------------------------- the log channel */
#define LOG_MESSAGE_MAX 4096 /* one datagram; longer is cut and counted */
/* A connection process's quota: --max-requests + LOG_QUOTA_EXTRA_MESSAGES
 * messages and max(LOG_QUOTA_MIN_BYTES, --max-requests × LOG_QUOTA_BYTES_PER_REQUEST)
 * bytes; past either, the rest is dropped and it is killed. */
#define LOG_QUOTA_EXTRA_MESSAGES 16u /* error lines beside one line per request */
#define LOG_QUOTA_MIN_BYTES (256u << 10)
#define LOG_QUOTA_BYTES_PER_REQUEST 512u
/* What the monitor writes a second from every connection process together. */
#define LOG_RATE_MESSAGES 200000u
#define LOG_RATE_BYTES (64u << 20)
/* Escaped bytes per request-derived access-log field, then "..." (docs/logging.md);
 * the forwarded field gets fewer, so four fields fit in one message. */
#define LOG_FIELD_MAX 1020
#define LOG_FORWARDED_MAX 512

#endif
