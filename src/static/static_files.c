/* static_files.c: map a request path to a file, an index file or a listing, and plan the response.
 *
 * Two independent layers keep a request inside the document root: the chroot
 * (the process's root is the document root) and path_resolve's openat2 with
 * RESOLVE_BENEATH, which refuses any resolution that would leave the root,
 * even through a symlink swapped in mid-request; --symlinks decides which
 * links inside the root are followed. Files are opened read-only and
 * non-blocking, so opening a FIFO never waits; only regular files are served.
 * Then: directories → index file, listing (--autoindex) or 403; files →
 * precompressed sibling negotiation (RFC 9110 §12.5.3), then file_response.c
 * (conditionals, ranges). docs/static-files.md has the decisions.
 * Must not: open for writing, follow a symlink that --symlinks forbids, or put
 * request bytes in a header unencoded. */
#include "static/static_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static/autoindex.h"
#include "http/field_list.h"
#include "static/file_response.h"
#include "static/mime.h"
#include "static/negotiation.h"
#include "static/path_resolve.h"

/* A path relative to the root with room for an index name and a ".br" suffix. */
#define RELATIVE_MAX (HTTP_MAX_PATH + HTTP_MAX_SEGMENT + 8)

static struct static_settings settings;

void static_files_configure(const struct static_settings *new_settings)
{
    settings = *new_settings;
}

void response_plan_release(struct response_plan *plan)
{
    if (plan->file_fd >= 0)
        close(plan->file_fd);
    plan->file_fd = -1;
    free(plan->owned_memory);
    plan->owned_memory = NULL;
}

static void plan_reset(struct response_plan *plan)
{
    plan->status = 0;
    plan->head.length = 0;
    plan->head.overflow = false;
    plan->segment_count = 0;
    plan->body_length = 0;
    plan->file_fd = -1;
    plan->close_connection = false;
    plan->reason = NULL;
    plan->owned_memory = NULL;
}

static void plan_error_page(int status, const char *reason, bool close, bool head_only,
                            struct response_plan *plan)
{
    plan_reset(plan);
    plan->status = status;
    plan->reason = reason;
    plan->close_connection = close;
    size_t body_length = 0;
    const char *body = response_error_body(status, &body_length);
    response_error(&plan->head, status, close, true);
    if (!head_only) {
        plan->segments[0] = (struct body_segment){SEGMENT_MEMORY, body, 0, body_length};
        plan->segment_count = 1;
        plan->body_length = body_length;
    }
}

void static_files_plan_error(int status, const char *reason, bool head_only,
                             struct response_plan *plan)
{
    plan_error_page(status, reason, true, head_only, plan);
}

/* A refusal that keeps the connection: 403, 404 and friends are answers, not
 * protocol errors (RFC 9112 §9.3 lets the connection persist). */
void static_files_plan_refusal(int status, const char *reason, bool head_only,
                               struct response_plan *plan)
{
    plan_error_page(status, reason, false, head_only, plan);
}

/* /.well-known/ is the one place a dot segment may start (RFC 8615); every other
 * name starting with '.' (dotfiles, .git, .htpasswd) is refused. */
static bool path_has_hidden_segment(const char *path, size_t length)
{
    static const char WELL_KNOWN[] = "/.well-known/";
    size_t start = 0;
    if (length >= sizeof WELL_KNOWN - 1 && memcmp(path, WELL_KNOWN, sizeof WELL_KNOWN - 1) == 0)
        start = sizeof WELL_KNOWN - 2; /* check what follows it */
    for (size_t i = start; i + 1 < length; i++)
        if (path[i] == '/' && path[i + 1] == '.')
            return true;
    return false;
}

static int status_for_open_error(int error_number, const char **reason)
{
    switch (error_number) {
    case ENOENT:
    case ENOTDIR: *reason = "not-found"; return 404;
    case ELOOP: *reason = "symlink-refused"; return 403;
    case EXDEV: *reason = "outside-root"; return 403;
    case EACCES:
    case EPERM: *reason = "not-readable"; return 403;
    case ENXIO: *reason = "not-a-file"; return 403;
    case ENAMETOOLONG: *reason = "path-too-long"; return 414;
    case EMFILE:
    case ENFILE: *reason = "out-of-descriptors"; return 503;
    default: *reason = "open-failed"; return 500;
    }
}

/* Location for the trailing-slash redirect: the decoded path percent-encoded
 * again (every byte but unreserved ones and '/'), so nothing from the request
 * can break out of the header (RFC 9110 §10.2.2, RFC 3986 §2.1). */
static bool encode_location(const char *path, size_t length, char *out, size_t out_size)
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)path[i];
        bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                     (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                     byte == '~' || byte == '/';
        if (used + 4 > out_size)
            return false;
        if (plain) {
            out[used++] = (char)byte;
        } else {
            out[used++] = '%';
            out[used++] = HEX[byte >> 4];
            out[used++] = HEX[byte & 15];
        }
    }
    if (used + 2 > out_size)
        return false;
    out[used++] = '/';
    out[used] = '\0';
    return true;
}

static void plan_redirect_with_slash(const struct http_request *request, struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    if (!encode_location(request->path, request->path_length, plan->scratch,
                         sizeof plan->scratch)) {
        static_files_plan_refusal(414, "path-too-long", head_only, plan);
        return;
    }
    size_t body_length = 0;
    const char *body = response_error_body(301, &body_length);
    plan->status = 301;
    response_begin(&plan->head, 301);
    response_add(&plan->head, "Location", plan->scratch);
    response_add(&plan->head, "Content-Type", "text/html; charset=utf-8");
    response_add_number(&plan->head, "Content-Length", body_length);
    response_add(&plan->head, "Content-Security-Policy", "default-src 'none'");
    response_end(&plan->head);
    if (!head_only) {
        plan->segments[0] = (struct body_segment){SEGMENT_MEMORY, body, 0, body_length};
        plan->segment_count = 1;
        plan->body_length = body_length;
    }
}

static void plan_options(struct response_plan *plan)
{
    /* RFC 9110 §9.3.7 and §15.3.5: 204 carries no body and no Content-Length. */
    plan->status = 204;
    response_begin(&plan->head, 204);
    response_add(&plan->head, "Allow", "GET, HEAD, OPTIONS");
    response_end(&plan->head);
}

/* ---------------------------------------------------------------- files */

/* first then second into path, NUL-terminated; false if that does not fit. */
static bool join_path(char path[RELATIVE_MAX], const char *first, const char *second)
{
    size_t first_length = strlen(first), second_length = strlen(second);
    if (first_length + second_length >= RELATIVE_MAX)
        return false;
    memcpy(path, first, first_length);
    memcpy(path + first_length, second, second_length + 1);
    return true;
}

/* A precompressed sibling ("PATH.br"): an open regular file, or -1. */
static int open_sibling(const char *relative, const char *suffix, struct stat *status)
{
    char path[RELATIVE_MAX];
    if (!join_path(path, relative, suffix))
        return -1;
    int fd = path_resolve_open(path, false, settings.symlinks);
    if (fd < 0)
        return -1;
    if (fstat(fd, status) != 0 || !S_ISREG(status->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Choose between the file and its .br/.gz siblings (RFC 9110 §12.5.3), then plan. */
static void plan_regular_file(const struct http_request *request, const char *relative, int fd,
                              const struct stat *status, const char *name,
                              struct response_plan *plan)
{
    struct representation chosen = {.fd = fd,
                                    .status = *status,
                                    .coding = CODING_IDENTITY,
                                    .content_type = mime_type_for(name, strlen(name))};
    struct http_span values[HTTP_MAX_FIELDS];
    size_t count = field_list_values(request, HTTP_FIELD_ACCEPT_ENCODING, values, HTTP_MAX_FIELDS);
    /* Look for siblings only where one could be chosen: a client that accepts
     * no coding (wrk, curl, most tools) gets the file without two lookups. The
     * response says Vary either way (file_response.c). */
    struct stat br_status, gzip_status;
    int br_fd = -1, gzip_fd = -1;
    if (negotiation_may_encode(values, count)) {
        br_fd = open_sibling(relative, ".br", &br_status);
        gzip_fd = open_sibling(relative, ".gz", &gzip_status);
    }
    chosen.coding = negotiation_choose_coding(values, count, br_fd >= 0, gzip_fd >= 0);
    if (chosen.coding != CODING_IDENTITY) {
        close(fd);
        chosen.fd = chosen.coding == CODING_BR ? br_fd : gzip_fd;
        chosen.status = chosen.coding == CODING_BR ? br_status : gzip_status;
        if (chosen.coding == CODING_BR)
            br_fd = -1;
        else
            gzip_fd = -1;
    }
    if (br_fd >= 0)
        close(br_fd);
    if (gzip_fd >= 0)
        close(gzip_fd);
    file_response_plan(request, &chosen, settings.cache_control, plan);
}

/* ---------------------------------------------------------------- directories */

static void plan_listing(const struct http_request *request, int directory_fd,
                         struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    struct http_span values[HTTP_MAX_FIELDS];
    size_t count = field_list_values(request, HTTP_FIELD_ACCEPT, values, HTTP_MAX_FIELDS);
    bool json = negotiation_prefers_json(values, count);
    char *body = NULL;
    size_t length = 0;
    int result = autoindex_build(directory_fd, request->path, request->path_length,
                                 json ? LISTING_JSON : LISTING_HTML,
                                 settings.symlinks != SYMLINKS_NONE, &body, &length);
    int error = errno;
    close(directory_fd);
    if (result != 0) {
        static_files_plan_refusal(error == ENOMEM ? 503 : 500, "listing-failed", head_only, plan);
        return;
    }
    plan->owned_memory = body;
    plan->status = 200;
    response_begin(&plan->head, 200);
    response_add(&plan->head, "Content-Type",
                 json ? "application/json" : "text/html; charset=utf-8");
    response_add_number(&plan->head, "Content-Length", length);
    response_add(&plan->head, "Content-Security-Policy", LISTING_CSP);
    response_add(&plan->head, "Vary", "Accept");
    response_end(&plan->head);
    if (!head_only && length > 0) {
        plan->segments[0] = (struct body_segment){SEGMENT_MEMORY, body, 0, length};
        plan->segment_count = 1;
        plan->body_length = length;
    }
}

/* A directory: its first index file, else a listing (--autoindex), else 403. */
static void plan_directory(const struct http_request *request, const char *relative,
                           int directory_fd, struct response_plan *plan)
{
    bool root = strcmp(relative, ".") == 0;
    for (size_t i = 0; i < settings.index_count; i++) {
        const char *name = settings.index_names[i];
        char path[RELATIVE_MAX];
        if (!join_path(path, root ? "" : relative, name))
            continue;
        int file_fd = path_resolve_open(path, false, settings.symlinks);
        if (file_fd < 0)
            continue;
        struct stat status;
        if (fstat(file_fd, &status) == 0 && S_ISREG(status.st_mode)) {
            close(directory_fd);
            plan_regular_file(request, path, file_fd, &status, name, plan);
            return;
        }
        close(file_fd);
    }
    if (settings.autoindex) {
        plan_listing(request, directory_fd, plan);
        return;
    }
    close(directory_fd);
    static_files_plan_refusal(403, "no-index", request->method == HTTP_METHOD_HEAD, plan);
}

/* ---------------------------------------------------------------- entry */

static void plan_path(const struct http_request *request, struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    if (path_has_hidden_segment(request->path, request->path_length)) {
        static_files_plan_refusal(403, "hidden-path", head_only, plan);
        return;
    }
    /* request->path starts with '/': resolve the rest relative to "/", the root. */
    const char *relative = request->path_length > 1 ? request->path + 1 : ".";
    int fd = path_resolve_open(relative, false, settings.symlinks);
    if (fd < 0) {
        const char *reason = NULL;
        int status = status_for_open_error(errno, &reason);
        static_files_plan_refusal(status, reason, head_only, plan);
        return;
    }
    struct stat status;
    if (fstat(fd, &status) != 0) {
        close(fd);
        static_files_plan_refusal(500, "stat-failed", head_only, plan);
        return;
    }
    if (S_ISDIR(status.st_mode)) {
        if (request->path[request->path_length - 1] != '/') {
            close(fd);
            plan_redirect_with_slash(request, plan);
            return;
        }
        plan_directory(request, relative, fd, plan);
        return;
    }
    if (!S_ISREG(status.st_mode)) {
        close(fd);
        static_files_plan_refusal(403, "not-a-file", head_only, plan);
        return;
    }
    plan_regular_file(request, relative, fd, &status, request->path, plan);
}

void static_files_plan(const struct http_request *request, struct response_plan *plan)
{
    plan_reset(plan);
    if (request->method == HTTP_METHOD_OPTIONS)
        plan_options(plan);
    else
        plan_path(request, plan);
    if (plan->head.overflow) { /* e.g. a very long --cache-control: never send a cut head */
        response_plan_release(plan);
        static_files_plan_error(500, "head-too-large", request->method == HTTP_METHOD_HEAD, plan);
    }
}
