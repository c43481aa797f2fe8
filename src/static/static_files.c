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
 * (conditionals, ranges). Runs of '/' are merged before anything looks at the
 * path. Each head gets the --header rows of its kind (header_rules.h): errors
 * the site-wide ones, listings and redirects also those of their path's
 * prefixes, files every row (file_response.c). Error responses use the
 * --error-page file of their status when it opens, else the built-in page.
 * docs/static-files.md has the decisions.
 * Must not: open for writing, follow a symlink that --symlinks forbids, or put
 * request bytes in a header unencoded. */
#include "static/static_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static/autoindex.h"
#include "static/error_response.h"
#include "static/file_cache.h"
#include "http/field_list.h"
#include "static/file_response.h"
#include "static/mime.h"
#include "static/negotiation.h"
#include "static/path_resolve.h"
#include "static/redirect.h"

/* A path relative to the root with room for an index name and a ".br" suffix. */
#define RELATIVE_MAX (HTTP_MAX_PATH + HTTP_MAX_SEGMENT + 8)

static struct static_settings settings;

void static_files_configure(const struct static_settings *new_settings)
{
    settings = *new_settings;
    error_response_configure(settings.error_pages, settings.symlinks);
    /* Written here, before any fork, so the entry's page is mapped in every
     * connection process: one that never caches reads it without a fault. */
    file_cache_clear();
}

void response_plan_release(struct response_plan *plan)
{
    if (plan->file_fd >= 0)
        close(plan->file_fd);
    plan->file_fd = -1;
    free(plan->owned_memory);
    plan->owned_memory = NULL;
}

void response_plan_reset(struct response_plan *plan)
{
    plan->status = 0;
    plan->head.length = 0;
    plan->head.overflow = false;
    plan->segment_count = 0;
    plan->body_length = 0;
    plan->file_fd = -1;
    plan->head_room = NULL;
    plan->close_connection = false;
    plan->reason = NULL;
    plan->owned_memory = NULL;
    plan->path = NULL;
    plan->path_length = 0;
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

int static_files_status_for_errno(int error_number, const char **reason)
{
    switch (error_number) {
    case ENOENT:
    case ENOTDIR: *reason = "not-found"; return 404;
    case ELOOP: *reason = "symlink-refused"; return 403;
    case PATH_RESOLVE_HIDDEN: *reason = "hidden-path"; return 403;
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

/* The trailing-slash redirect: the merged path and the query, re-encoded
 * (redirect.h), so nothing from the request breaks out of the header and the
 * Location never starts with "//". Longer than LOCATION_MAX: 414. */
static void plan_redirect_with_slash(const struct http_request *request, struct response_plan *plan)
{
    static char location[LOCATION_MAX + 1]; /* written by redirects only: off the hot path */
    bool head_only = request->method == HTTP_METHOD_HEAD;
    if (redirect_location(plan->path, plan->path_length, request->query.data != NULL,
                          request->query.data, request->query.length, location,
                          sizeof location) == 0) {
        static_files_plan_refusal(414, "path-too-long", head_only, plan);
        return;
    }
    size_t body_length = 0;
    const char *body = response_error_body(301, &body_length);
    plan->status = 301;
    response_begin(&plan->head, 301);
    response_add(&plan->head, "Location", location);
    response_add(&plan->head, "Content-Type", "text/html; charset=utf-8");
    response_add_number(&plan->head, "Content-Length", body_length);
    response_add(&plan->head, "Content-Security-Policy", "default-src 'none'");
    response_add_configured(&plan->head, plan->path, plan->path_length, RESPONSE_KIND_OTHER);
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
    response_add_configured(&plan->head, plan->path, plan->path_length, RESPONSE_KIND_OTHER);
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

/* Stack depth is memory: every page of stack a connection process reaches is
 * one it copies (4 KiB each, for as long as it lives). So the 1.6 KiB arrays of
 * list values live in small functions that are not inlined and return before
 * the plan goes deeper, and none is made for a field the request lacks. */

/* Whether some set of siblings could be chosen over the identity file
 * (negotiation_may_encode); no Accept-Encoding field means identity. */
__attribute__((noinline)) static bool client_may_encode(const struct http_request *request)
{
    if (!http_request_field(request, HTTP_FIELD_ACCEPT_ENCODING))
        return false;
    struct http_span values[HTTP_MAX_FIELDS];
    size_t count = field_list_values(request, HTTP_FIELD_ACCEPT_ENCODING, values, HTTP_MAX_FIELDS);
    return negotiation_may_encode(values, count);
}

/* Whether this request may use or fill the file cache: a client that accepts
 * no coding (negotiation would pick the identity file whatever siblings exist),
 * and a method that reads. */
static bool may_use_cache(const struct http_request *request)
{
    return request->method != HTTP_METHOD_OPTIONS && !client_may_encode(request);
}

/* For a client that may accept a coding (client_may_encode): the coding
 * chosen->fd (the file itself) is sent in. A sibling's descriptor and stat
 * replace it when one wins (the file's is then closed). */
__attribute__((noinline)) static void choose_coding(const struct http_request *request,
                                                    const char *relative,
                                                    struct representation *chosen)
{
    struct http_span values[HTTP_MAX_FIELDS];
    size_t count = field_list_values(request, HTTP_FIELD_ACCEPT_ENCODING, values, HTTP_MAX_FIELDS);
    struct stat br_status, gzip_status;
    int br_fd = open_sibling(relative, ".br", &br_status);
    int gzip_fd = open_sibling(relative, ".gz", &gzip_status);
    chosen->coding = negotiation_choose_coding(values, count, br_fd >= 0, gzip_fd >= 0);
    if (chosen->coding != CODING_IDENTITY) {
        close(chosen->fd);
        chosen->fd = chosen->coding == CODING_BR ? br_fd : gzip_fd;
        chosen->status = chosen->coding == CODING_BR ? br_status : gzip_status;
        if (chosen->coding == CODING_BR)
            br_fd = -1;
        else
            gzip_fd = -1;
    }
    if (br_fd >= 0)
        close(br_fd);
    if (gzip_fd >= 0)
        close(gzip_fd);
}

/* The cached file for this path, unchanged on disk: planned without opening it. */
static bool plan_from_cache(const struct http_request *request, struct response_plan *plan)
{
    struct file_cache_hit hit;
    if (!file_cache_holds(plan->path, plan->path_length) || !may_use_cache(request) ||
        !file_cache_lookup(plan->path, plan->path_length, &hit))
        return false;
    struct representation cached = {.fd = -1,
                                    .status = hit.status,
                                    .body = hit.body,
                                    .coding = CODING_IDENTITY,
                                    .content_type = hit.content_type};
    file_response_plan(request, &cached, plan);
    return true;
}

/* Choose between the file and its .br/.gz siblings (RFC 9110 §12.5.3), then
 * plan; an identity GET of a small file on a connection that stays open is
 * read into the cache (cacheable: it is the file the path names, or the first
 * index). */
static void plan_regular_file(const struct http_request *request, const char *relative, int fd,
                              const struct stat *status, const char *name, bool cacheable,
                              struct response_plan *plan)
{
    struct representation chosen = {.fd = fd,
                                    .status = *status,
                                    .coding = CODING_IDENTITY,
                                    .content_type = mime_type_for(name, strlen(name))};
    /* Siblings are looked for only where one could be chosen: a client that
     * accepts no coding (wrk, curl, most tools) gets the file without two
     * lookups. The response says Vary either way (file_response.c). */
    if (client_may_encode(request))
        choose_coding(request, relative, &chosen);
    /* Filled only where a next request may come: a closing connection's last
     * answer goes out as before (pread into the send buffer), at no extra cost. */
    if (cacheable && request->keep_alive && chosen.coding == CODING_IDENTITY &&
        request->method == HTTP_METHOD_GET && may_use_cache(request)) {
        chosen.body = file_cache_fill(plan->path, plan->path_length, relative, fd, status,
                                      chosen.content_type);
        if (chosen.body) {
            close(fd);
            chosen.fd = -1;
        }
    }
    file_response_plan(request, &chosen, plan);
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
    int result = autoindex_build(directory_fd, plan->path, plan->path_length,
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
    response_add_configured(&plan->head, plan->path, plan->path_length, RESPONSE_KIND_OTHER);
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
            plan_regular_file(request, path, file_fd, &status, name, i == 0, plan);
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

/* The path with every run of '/' merged into one: the request path itself when
 * it has none (almost always), else a copy (both dotfile and prefix checks, the
 * resolution and the redirect then see "/a/b" for "//a///b"). */
static const char *merge_slashes(const struct http_request *request, size_t *length)
{
    static char merged[HTTP_MAX_PATH]; /* written only for paths with "//" */
    if (!memmem(request->path, request->path_length, "//", 2)) {
        *length = request->path_length;
        return request->path;
    }
    size_t used = 0;
    for (size_t i = 0; i < request->path_length; i++)
        if (request->path[i] != '/' || used == 0 || merged[used - 1] != '/')
            merged[used++] = request->path[i];
    merged[used] = '\0';
    *length = used;
    return merged;
}

static void plan_path(const struct http_request *request, struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    const char *path = plan->path;
    size_t path_length = plan->path_length;
    if (path_has_hidden_segment(path, path_length)) {
        static_files_plan_refusal(403, "hidden-path", head_only, plan);
        return;
    }
    if (plan_from_cache(request, plan))
        return;
    /* path starts with '/': resolve the rest relative to "/", the root. */
    const char *relative = path_length > 1 ? path + 1 : ".";
    int fd = path_resolve_open(relative, false, settings.symlinks);
    if (fd < 0) {
        const char *reason = NULL;
        int status = static_files_status_for_errno(errno, &reason);
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
        if (path[path_length - 1] != '/') {
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
    plan_regular_file(request, relative, fd, &status, path, true, plan);
}

void static_files_plan(const struct http_request *request, struct response_plan *plan)
{
    response_plan_reset(plan);
    plan->path = merge_slashes(request, &plan->path_length);
    if (request->method == HTTP_METHOD_OPTIONS)
        plan_options(plan);
    else
        plan_path(request, plan);
    /* Never send a cut head. Start-up's budget makes this unreachable
     * (fixed_limits.h, RESPONSE_OWN_HEAD_MAX); should it happen, a 500, and if
     * even that overflows, one without any configured row. */
    bool head_only = request->method == HTTP_METHOD_HEAD;
    if (plan->head.overflow) {
        response_plan_release(plan);
        static_files_plan_error(500, "head-too-large", head_only, plan);
    }
    if (plan->head.overflow) {
        response_plan_release(plan);
        response_plan_reset(plan);
        plan->status = 500;
        plan->reason = "head-too-large";
        plan->close_connection = true;
        response_error_minimal(&plan->head, 500);
        size_t body_length = 0;
        const char *body = response_error_body(500, &body_length);
        if (!head_only) {
            plan->segments[0] = (struct body_segment){SEGMENT_MEMORY, body, 0, body_length};
            plan->segment_count = 1;
            plan->body_length = body_length;
        }
    }
}
