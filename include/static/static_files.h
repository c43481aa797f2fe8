/* static_files.h: turn a parsed request into a response plan for a file inside the jail.
 *
 * Contract: static_files_plan() resolves the request's decoded path beneath the
 * root (the process's root and working directory, after chroot) under the
 * --symlinks policy (path_resolve.h), so resolution cannot leave the root even
 * without the chroot and even if a symlink is swapped mid-request; it refuses
 * dotfiles (except under /.well-known/) and anything but regular files and
 * directories; a directory gets its first --index file, else a listing with
 * --autoindex, else 403; a file gets its negotiated precompressed sibling
 * (.br, .gz), conditional requests and ranges (file_response.h). Runs of '/'
 * in the path are merged first (as nginx's merge_slashes does), so every
 * policy, the dotfile rule, the --header prefixes and the redirect see one
 * spelling of each path. It fills a plan: a complete response head (with the
 * --header rows the response carries) and, for GET, where the body comes from.
 * Error responses use the --error-page file for their status when it opens
 * (under the same policy), else the built-in page. The caller sends the plan
 * and then calls response_plan_release().
 * docs/static-files.md describes every behaviour and decision.
 * Must not: write to the client, open anything for writing, block on a FIFO, or
 * put request bytes into a header without encoding them. */
#ifndef PRONG_STATIC_FILES_H
#define PRONG_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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
    char *head_room;       /* == segments[0].data when RESPONSE_HEAD_MAX writable bytes
                              precede it (static/file_cache.h), else NULL */
    bool close_connection; /* the response says Connection: close */
    const char *reason;    /* why it was refused, for the access log; NULL if served */
    char *owned_memory;    /* heap memory the segments point into (listings), or NULL */
    const char *path;      /* the merged request path the --header prefixes match, or NULL */
    size_t path_length;
};

struct static_settings {
    const char *const *index_names;
    size_t index_count;
    bool autoindex;
    enum symlink_policy symlinks;
    const struct error_pages *error_pages; /* --error-page, or NULL */
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

/* A refusal with one more field (416's Content-Range). */
void static_files_plan_refusal_with(int status, const char *reason, bool head_only,
                                    const char *field_name, const char *field_value,
                                    struct response_plan *plan);

void response_plan_release(struct response_plan *plan);

/* An empty plan (no head, no body, no descriptor), keeping nothing of the last. */
void response_plan_reset(struct response_plan *plan);

/* The status and access-log reason of an open's errno (path_resolve.h). */
int static_files_status_for_errno(int error_number, const char **reason);

/* Start-up, before any drop: open each --error-page file beneath root_fd as a
 * connection process would (policy, dotfile rule) and judge from its mode bits
 * whether the run user may read it; one line on report ("prong: --error-page
 * ...: why; the built-in page is used") for each that fails. Connection
 * processes still try the file at every error, so one created later is used.
 * Returns how many were reported; never stops the start. */
size_t static_files_report_error_pages(const struct error_pages *pages, enum symlink_policy policy,
                                       int root_fd, uid_t uid, gid_t gid, FILE *report);

#endif
