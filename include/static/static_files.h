/* static_files.h: turn a parsed request into a response plan for a file inside the jail.
 *
 * Contract: static_files_plan() resolves the request's decoded path beneath the
 * root (the process's root and working directory, after chroot) under the
 * --symlinks policy (path_resolve.h), so resolution cannot leave the root even
 * without the chroot and even if a symlink is swapped mid-request; it refuses
 * dotfiles (except under /.well-known/) and anything but regular files and
 * directories; a directory gets its first --index file, else a listing with
 * --autoindex, else 403; a file gets its negotiated precompressed sibling
 * (.br, .gz), conditional requests and ranges (file_response.h). It fills a
 * plan: a complete response head and, for GET, where the body comes from. The
 * caller sends the plan and then calls response_plan_release().
 * docs/static-files.md describes every behaviour and decision.
 * Must not: write to the client, open anything for writing, block on a FIFO, or
 * put request bytes into a header without encoding them. */
#ifndef PRONG_STATIC_FILES_H
#define PRONG_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http/http_parser.h"
#include "static/response.h"

/* A multipart/byteranges body: 16 parts of 2 segments, and the end. */
#define PLAN_MAX_SEGMENTS 36

enum segment_kind { SEGMENT_MEMORY, SEGMENT_FILE };

struct body_segment {
    enum segment_kind kind;
    const char *data; /* SEGMENT_MEMORY */
    uint64_t offset;  /* SEGMENT_FILE: offset in file_fd */
    uint64_t length;
};

struct response_plan {
    int status;
    struct response_head head;
    struct body_segment segments[PLAN_MAX_SEGMENTS];
    size_t segment_count;
    uint64_t body_length;
    int file_fd;           /* -1 when the body does not come from a file */
    bool close_connection; /* the response says Connection: close */
    const char *reason;    /* why it was refused, for the access log; NULL if served */
    char *owned_memory;    /* heap memory the segments point into (listings), or NULL */
    char scratch[2048];    /* small generated text: part headers, Location */
};

struct static_settings {
    const char *const *index_names;
    size_t index_count;
    bool autoindex;
    enum symlink_policy symlinks;
    const char *cache_control;
};

void static_files_configure(const struct static_settings *settings);

/* Plan the answer to a complete GET, HEAD or OPTIONS request. */
void static_files_plan(const struct http_request *request, struct response_plan *plan);

/* Plan a refusal: the error page, Connection: close. */
void static_files_plan_error(int status, const char *reason, bool head_only,
                             struct response_plan *plan);

/* Plan an answer that refuses this request but keeps the connection (403, 404,
 * 412, …): the error page without Connection: close. */
void static_files_plan_refusal(int status, const char *reason, bool head_only,
                               struct response_plan *plan);

void response_plan_release(struct response_plan *plan);

#endif
