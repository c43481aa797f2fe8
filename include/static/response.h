/* response.h: response heads and the fixed error pages.
 *
 * Contract: a response head is built in a fixed buffer by appending lines;
 * response_begin() writes the status line and the headers every response carries
 * (Date, Server unless --server-header off, X-Content-Type-Options: nosniff);
 * an overflowing head is marked, never truncated silently (its builder then
 * answers 500 instead). response_add_configured() adds the administrator's
 * --header rows a response carries (header_rules.h); start-up guarantees they
 * fit beside the largest head prong builds itself (fixed_limits.h,
 * RESPONSE_OWN_HEAD_MAX). Error pages are fixed text per status that echo
 * nothing from the request, carry Content-Security-Policy: default-src 'none',
 * and the site-wide --header rows.
 * Must not: copy request bytes into a response, or write to a socket. */
#ifndef PRONG_RESPONSE_H
#define PRONG_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "static/header_rules.h"

#define RESPONSE_HEAD_MAX 4096

struct response_head {
    char data[RESPONSE_HEAD_MAX];
    size_t length;
    bool overflow;
};

/* What every response head says about the server (set once per process). */
struct response_settings {
    bool server_header;
    const struct header_rules *headers; /* --header and --cache-control rows, or NULL */
};

void response_configure(const struct response_settings *settings);

/* "HTTP/1.1 STATUS REASON" and the common headers. */
void response_begin(struct response_head *head, int status);
void response_add(struct response_head *head, const char *name, const char *value);
void response_add_number(struct response_head *head, const char *name, uint64_t value);
void response_end(struct response_head *head);

/* The configured rows this response carries (header_rules_select): for an error,
 * the site-wide ones; otherwise also those whose prefix the (merged) request
 * path starts with, and for a file response --cache-control's. */
void response_add_configured(struct response_head *head, const char *path, size_t path_length,
                             enum response_kind kind);

const char *response_reason_phrase(int status);

/* The fixed HTML body for an error status; its length in *length. */
const char *response_error_body(int status, size_t *length);

/* Allow (405, 501) and Retry-After (503): what an error status's head says. */
void response_add_error_fields(struct response_head *head, int status);

/* The head of the built-in error page (no body): its fields, one more field
 * when field_name is not NULL (416's Content-Range), the site-wide rows. */
void response_error_head(struct response_head *head, int status, bool close, const char *field_name,
                         const char *field_value);

/* The last resort when a head overflowed: the built-in page's head with
 * Connection: close and nothing configured (start-up makes it unneeded). */
void response_error_minimal(struct response_head *head, int status);

/* A whole error response (head and body) in head: status, fixed page, the
 * site-wide --header rows, and Connection: close when close is true. HEAD
 * requests get the head only. */
void response_error(struct response_head *head, int status, bool close, bool head_only);

/* Add "Connection: VALUE" to a finished head (before its empty line) unless it
 * already has a Connection field: "close" on a connection's last response
 * (RFC 9112 §9.6), "keep-alive" to confirm persistence to an HTTP/1.0 client. */
void response_set_connection(struct response_head *head, const char *value);

/* The current IMF-fixdate, recomputed at most once a second. */
const char *response_date_now(void);

#endif
