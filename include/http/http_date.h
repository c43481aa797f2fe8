/* http_date.h: HTTP dates (RFC 9110 §5.6.7), formatted and parsed without the locale.
 *
 * Contract: http_date_format() writes IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT",
 * 29 bytes and a NUL); http_date_parse() accepts IMF-fixdate, the obsolete RFC 850
 * form and asctime's, as a recipient must, and answers -1 for anything else (the
 * caller then ignores the field, as RFC 9110 §13.1.3 says).
 * Must not: use the C library's locale-dependent time functions or time zones. */
#ifndef PRONG_HTTP_DATE_H
#define PRONG_HTTP_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_DATE_SIZE 30 /* 29 characters and a NUL */

void http_date_format(int64_t seconds, char out[HTTP_DATE_SIZE]);

/* Seconds since the epoch, or -1 if the text is not an HTTP date. */
int64_t http_date_parse(const char *text, size_t length);

/* "26/Nov/2026:04:35:03 +0000", the common log format's time (28 bytes and a NUL). */
void http_date_format_log(int64_t seconds, char out[32]);

/* "2026-11-26T04:35:03Z", ISO 8601 in UTC, for error-log lines (20 bytes and a NUL). */
void http_date_format_iso(int64_t seconds, char out[32]);

#endif
