/* static_files.c: resolve a request path beneath the root and plan the response.
 *
 * Two independent layers keep a request inside the document root: the chroot
 * (the process's root is the document root) and openat2(2)'s RESOLVE_BENEATH,
 * which refuses any resolution that would leave the starting directory, even
 * through a symlink swapped in mid-request (RESOLVE_NO_SYMLINKS too, unless
 * --symlinks allows them). Files are opened O_RDONLY|O_NONBLOCK|O_NOCTTY, so
 * opening a FIFO never blocks; only regular files are served.
 * Must not: open for writing, follow a symlink that --symlinks forbids, or put
 * request bytes in a header unencoded. */
#include "static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http_date.h"
#include "mime.h"

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

static void plan_error_page(int status, const char *reason, bool close, bool head_only, struct response_plan *plan)
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

void static_files_plan_error(int status, const char *reason, bool head_only, struct response_plan *plan)
{
    plan_error_page(status, reason, true, head_only, plan);
}

/* A refusal that keeps the connection: 403, 404 and friends are answers, not
 * protocol errors (RFC 9112 §9.3 lets the connection persist). */
static void plan_not_served(int status, const char *reason, bool head_only, struct response_plan *plan)
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

static int open_beneath(int directory_fd, const char *relative, bool directory_only)
{
    struct open_how how = {
        .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (directory_only ? O_DIRECTORY : 0),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                   (settings.symlinks == SYMLINKS_NONE ? RESOLVE_NO_SYMLINKS : 0),
    };
    return (int)syscall(SYS_openat2, directory_fd, relative, &how, sizeof how);
}

static int status_for_open_error(int error_number, const char **reason)
{
    switch (error_number) {
    case ENOENT:
    case ENOTDIR:
        *reason = "not-found";
        return 404;
    case ELOOP:
        *reason = "symlink-refused";
        return 403;
    case EXDEV:
        *reason = "outside-root";
        return 403;
    case EACCES:
    case EPERM:
        *reason = "not-readable";
        return 403;
    case ENXIO:
        *reason = "not-a-file";
        return 403;
    case ENAMETOOLONG:
        *reason = "path-too-long";
        return 414;
    case EMFILE:
    case ENFILE:
        *reason = "out-of-descriptors";
        return 503;
    default:
        *reason = "open-failed";
        return 500;
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
        bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                     byte == '-' || byte == '.' || byte == '_' || byte == '~' || byte == '/';
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
    if (!encode_location(request->path, request->path_length, plan->scratch, sizeof plan->scratch)) {
        plan_not_served(414, "path-too-long", head_only, plan);
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

/* The strong validator: mtime to the nanosecond and size, in hex, so two
 * instances serving the same files agree (RFC 9110 §8.8.3). */
static void format_etag(const struct stat *status, char *out, size_t out_size)
{
    snprintf(out, out_size, "\"%llx.%lx-%llx\"", (unsigned long long)status->st_mtim.tv_sec,
             (unsigned long)status->st_mtim.tv_nsec, (unsigned long long)status->st_size);
}

static void plan_file(const struct http_request *request, int file_fd, const struct stat *status, const char *name,
                      size_t name_length, struct response_plan *plan)
{
    char etag[64], last_modified[HTTP_DATE_SIZE];
    format_etag(status, etag, sizeof etag);
    http_date_format((int64_t)status->st_mtim.tv_sec, last_modified);
    uint64_t size = (uint64_t)status->st_size;
    plan->status = 200;
    plan->file_fd = file_fd;
    response_begin(&plan->head, 200);
    response_add(&plan->head, "Content-Type", mime_type_for(name, name_length));
    response_add_number(&plan->head, "Content-Length", size);
    response_add(&plan->head, "Last-Modified", last_modified);
    response_add(&plan->head, "ETag", etag);
    if (settings.cache_control)
        response_add(&plan->head, "Cache-Control", settings.cache_control);
    response_end(&plan->head);
    if (request->method == HTTP_METHOD_GET && size > 0) {
        plan->segments[0] = (struct body_segment){SEGMENT_FILE, NULL, 0, size};
        plan->segment_count = 1;
        plan->body_length = size;
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

/* A directory: its first index file, else 403 (listings come with --autoindex). */
static void plan_directory(const struct http_request *request, int directory_fd, struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    for (size_t i = 0; i < settings.index_count; i++) {
        const char *name = settings.index_names[i];
        int file_fd = open_beneath(directory_fd, name, false);
        if (file_fd < 0)
            continue;
        struct stat status;
        if (fstat(file_fd, &status) == 0 && S_ISREG(status.st_mode)) {
            close(directory_fd);
            plan_file(request, file_fd, &status, name, strlen(name), plan);
            return;
        }
        close(file_fd);
    }
    close(directory_fd);
    plan_not_served(403, "no-index", head_only, plan);
}

void static_files_plan(const struct http_request *request, struct response_plan *plan)
{
    bool head_only = request->method == HTTP_METHOD_HEAD;
    plan_reset(plan);
    if (request->method == HTTP_METHOD_OPTIONS) {
        plan_options(plan);
        return;
    }
    if (path_has_hidden_segment(request->path, request->path_length)) {
        plan_not_served(403, "hidden-path", head_only, plan);
        return;
    }
    /* request->path starts with '/': resolve the rest relative to "/", the root. */
    const char *relative = request->path_length > 1 ? request->path + 1 : ".";
    int fd = open_beneath(AT_FDCWD, relative, false);
    if (fd < 0) {
        const char *reason = NULL;
        int status = status_for_open_error(errno, &reason);
        plan_not_served(status, reason, head_only, plan);
        return;
    }
    struct stat status;
    if (fstat(fd, &status) != 0) {
        close(fd);
        plan_not_served(500, "stat-failed", head_only, plan);
        return;
    }
    if (S_ISDIR(status.st_mode)) {
        if (request->path[request->path_length - 1] != '/') {
            close(fd);
            plan_redirect_with_slash(request, plan);
            return;
        }
        plan_directory(request, fd, plan);
        return;
    }
    if (!S_ISREG(status.st_mode)) {
        close(fd);
        plan_not_served(403, "not-a-file", head_only, plan);
        return;
    }
    plan_file(request, fd, &status, request->path, request->path_length, plan);
}
