/* file_response.h: the response for one regular file, once it is open and chosen.
 *
 * Contract: file_response_plan() takes the selected representation (the file
 * or its precompressed sibling, already negotiated) and plans, in the order of
 * RFC 9110 §13.2.2: 412 when If-Match / If-Unmodified-Since fail; 304 when
 * If-None-Match / If-Modified-Since say the client's copy is current; for GET
 * with one Range field whose If-Range holds: 206 (one range, or several as
 * multipart/byteranges), 416 (a Content-Range of the length only, §14.4), or 200 when the
 * ranges are refused as a whole; otherwise 200 with Accept-Ranges: bytes.
 * Every file response (200, 206, 304) carries Last-Modified, the strong ETag,
 * Vary: Accept-Encoding (always: a sibling may exist), and the --header rows
 * of a file response for plan->path (--cache-control's among them); a
 * 304 carries no Content-Type, Content-Length or body (§15.4.5). HEAD gets
 * exactly GET's head without a body; Range is not applied to HEAD (§14.2).
 * The plan takes over representation->fd (kept for the body, or closed); a
 * representation in memory gets memory segments, the whole body with the
 * cache's head room before it (plan->head_room).
 * Must not: send anything, read the file, or promise a Content-Length the
 * segments do not add up to. */
#ifndef PRONG_FILE_RESPONSE_H
#define PRONG_FILE_RESPONSE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "http/http_parser.h"
#include "static/negotiation.h"
#include "static/static_files.h"

struct representation {
    int fd;             /* open for reading, or -1 when body holds the file */
    struct stat status; /* of the file */
    char *body;         /* the whole file in memory, head room before it (file_cache.h), or NULL */
    enum content_coding coding;
    const char *content_type; /* of the original file name */
};

void file_response_plan(const struct http_request *request, struct representation *representation,
                        struct response_plan *plan);

#endif
