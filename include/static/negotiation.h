/* negotiation.h: proactive negotiation for static files (RFC 9110 §12).
 *
 * Contract: negotiation_choose_coding() picks the content coding of a file
 * response from the request's Accept-Encoding values (RFC 9110 §12.5.3) and
 * the precompressed siblings that exist: the highest weight wins; at equal
 * weight br beats gzip beats identity; a coding the client did not name gets the
 * weight of "*" (or 0); identity, unless named or excluded through "*", stays
 * acceptable with the lowest weight; no Accept-Encoding field at all means
 * identity. When nothing acceptable exists the answer is identity (prong sends
 * the plain file rather than 406). negotiation_may_encode() says whether any
 * set of siblings could be chosen over identity: when it cannot, the siblings
 * need not be looked for. negotiation_prefers_json() says whether the
 * request's Accept values (§12.5.1) weigh application/json above text/html,
 * each judged by its most specific matching media range.
 * Must not: read anything but the spans given, or allocate. */
#ifndef PRONG_NEGOTIATION_H
#define PRONG_NEGOTIATION_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_parser.h"

enum content_coding { CODING_IDENTITY = 0, CODING_GZIP, CODING_BR };

/* values: every Accept-Encoding field value, in order; count 0 when absent. */
enum content_coding negotiation_choose_coding(const struct http_span *values, size_t count,
                                              bool have_br, bool have_gzip);

/* Whether negotiation_choose_coding() answers br or gzip for some have_br and
 * have_gzip: false means identity whatever siblings exist. */
bool negotiation_may_encode(const struct http_span *values, size_t count);

/* values: every Accept field value, in order; count 0 when absent (HTML then). */
bool negotiation_prefers_json(const struct http_span *values, size_t count);

/* "br", "gzip" or NULL for identity: the Content-Encoding value. */
const char *negotiation_coding_name(enum content_coding coding);

#endif
