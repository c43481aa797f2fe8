/* redirect.h: the Location of the trailing-slash redirect (301), built safely.
 *
 * Contract: redirect_location() writes "/PATH/" or "/PATH/?QUERY" for a
 * directory asked for without its slash: the decoded path percent-encoded
 * again (every byte but RFC 3986 unreserved ones and '/'), with every run of
 * '/' merged into one, so the Location never starts with "//" (which a browser
 * reads as another host: an open redirect); and the query kept as received
 * where its bytes are already safe in a URI query (RFC 3986 §3.4: unreserved,
 * sub-delims, ':', '@', '/', '?', and '%' followed by two hex digits), every
 * other byte percent-encoded, so no CR, LF, control byte, space or non-ASCII
 * byte reaches the header. has_query says the request had a '?' (an empty
 * query stays "?"). Returns the length written (a NUL follows it), or 0 when
 * it would not fit in out_size bytes.
 * Must not: write past out_size, or copy a byte outside the sets above. */
#ifndef PRONG_REDIRECT_H
#define PRONG_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

size_t redirect_location(const char *path, size_t path_length, bool has_query, const char *query,
                         size_t query_length, char *out, size_t out_size);

#endif
