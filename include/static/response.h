/* response.h: response heads and the fixed error pages.
 *
 * Contract: a response head is built in a fixed buffer by appending lines;
 * response_begin() writes the status line and the headers every response carries
 * (Date, Server unless --server-header off, X-Content-Type-Options: nosniff);
 * an overflowing head is marked, never truncated silently. Error pages are fixed
 * text per status that echo nothing from the request, and carry
 * Content-Security-Policy: default-src 'none'.
 * Must not: copy request bytes into a response, or write to a socket. */
#ifndef PRONG_RESPONSE_H
#define PRONG_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESPONSE_HEAD_MAX 2048

struct response_head {
    char data[RESPONSE_HEAD_MAX];
    size_t length;
    bool overflow;
};

/* What every response head says about the server (set once per process). */
struct response_settings {
    bool server_header;
};

void response_configure(const struct response_settings *settings);

/* "HTTP/1.1 STATUS REASON" and the common headers. */
void response_begin(struct response_head *head, int status);
void response_add(struct response_head *head, const char *name, const char *value);
void response_add_number(struct response_head *head, const char *name, uint64_t value);
void response_end(struct response_head *head);

const char *response_reason_phrase(int status);

/* The fixed HTML body for an error status; its length in *length. */
const char *response_error_body(int status, size_t *length);

/* A whole error response (head and body) in head: status, fixed page, and
 * Connection: close when close is true. HEAD requests get the head only. */
void response_error(struct response_head *head, int status, bool close, bool head_only);

/* Add "Connection: VALUE" to a finished head (before its empty line) unless it
 * already has a Connection field: "close" on a connection's last response
 * (RFC 9112 §9.6), "keep-alive" to confirm persistence to an HTTP/1.0 client. */
void response_set_connection(struct response_head *head, const char *value);

/* The current IMF-fixdate, recomputed at most once a second. */
const char *response_date_now(void);

#endif
