/* error_response.c: error responses, with the administrator's page or the built-in one.
 *
 * An error status with an --error-page file gets that file as its body, opened
 * by the connection process like any request's file (path_resolve under the
 * --symlinks policy, so the dotfile rule holds after resolution too), with the
 * original status, the file's own Content-Type (the MIME table), and an error
 * page's fields: ERROR_PAGE_CSP (the site's styles, images and fonts, never a
 * script), Allow (405, 501), Retry-After (503), Connection: close when the
 * connection ends, the site-wide --header rows. A page that does not open as
 * a regular file at that moment gives the built-in page (response.c), so a page
 * deleted or broken later never turns an error into another error; one created
 * later is used at once. HEAD gets the head only. The supervisor's 503s, sent
 * without a connection process, always carry the built-in page (supervisor.c
 * writes them with one non-blocking send and reads no file).
 * Must not: open anything but the configured page, for reading, or reflect a
 * byte of the request. */
#include "static/error_response.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static/error_pages.h"
#include "static/mime.h"
#include "static/path_resolve.h"
#include "static/response.h"

static struct {
    const struct error_pages *pages;
    enum symlink_policy symlinks;
} configured;

void error_response_configure(const struct error_pages *pages, enum symlink_policy symlinks)
{
    configured.pages = pages;
    configured.symlinks = symlinks;
}

struct error_answer {
    int status;
    bool close, head_only;
    const char *field_name, *field_value; /* one more field (416), or NULL */
};

/* The --error-page file for the status, opened as any request's file is (the
 * --symlinks policy, the dotfile rule after resolution): a regular file, or -1.
 * Its Content-Type is its own (the MIME table), its headers an error page's. */
static bool plan_configured_page(const struct error_answer *answer, struct response_plan *plan)
{
    const char *page = error_pages_find(configured.pages, answer->status);
    if (!page)
        return false;
    int fd = path_resolve_open(page + 1, false, configured.symlinks);
    struct stat status;
    if (fd < 0)
        return false;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        close(fd);
        return false;
    }
    uint64_t size = (uint64_t)status.st_size;
    struct response_head *head = &plan->head;
    response_begin(head, answer->status);
    response_add(head, "Content-Type", mime_type_for(page, strlen(page)));
    response_add_number(head, "Content-Length", size);
    if (answer->field_name)
        response_add(head, answer->field_name, answer->field_value);
    response_add(head, "Content-Security-Policy", ERROR_PAGE_CSP);
    response_add_error_fields(head, answer->status);
    if (answer->close)
        response_add(head, "Connection", "close");
    response_add_configured(head, NULL, 0, RESPONSE_KIND_ERROR);
    response_end(head);
    if (answer->head_only || size == 0) {
        close(fd);
        return true;
    }
    plan->file_fd = fd;
    plan->segments[0] = (struct body_segment){SEGMENT_FILE, NULL, 0, size};
    plan->segment_count = 1;
    plan->body_length = size;
    return true;
}

static void plan_error_page(const struct error_answer *answer, const char *reason,
                            struct response_plan *plan)
{
    response_plan_reset(plan);
    plan->status = answer->status;
    plan->reason = reason;
    plan->close_connection = answer->close;
    if (plan_configured_page(answer, plan))
        return;
    size_t body_length = 0;
    const char *body = response_error_body(answer->status, &body_length);
    response_error_head(&plan->head, answer->status, answer->close, answer->field_name,
                        answer->field_value);
    if (!answer->head_only) {
        plan->segments[0] = (struct body_segment){SEGMENT_MEMORY, body, 0, body_length};
        plan->segment_count = 1;
        plan->body_length = body_length;
    }
}

void static_files_plan_error(int status, const char *reason, bool head_only,
                             struct response_plan *plan)
{
    struct error_answer answer = {status, true, head_only, NULL, NULL};
    plan_error_page(&answer, reason, plan);
}

/* A refusal that keeps the connection: 403, 404 and friends are answers, not
 * protocol errors (RFC 9112 §9.3 lets the connection persist). */
void static_files_plan_refusal(int status, const char *reason, bool head_only,
                               struct response_plan *plan)
{
    struct error_answer answer = {status, false, head_only, NULL, NULL};
    plan_error_page(&answer, reason, plan);
}

void static_files_plan_refusal_with(int status, const char *reason, bool head_only,
                                    const char *field_name, const char *field_value,
                                    struct response_plan *plan)
{
    struct error_answer answer = {status, false, head_only, field_name, field_value};
    plan_error_page(&answer, reason, plan);
}

/* Readable by the run user, judged from the mode bits (ACLs are not read: a
 * page they forbid is still found unreadable by the connection process, which
 * then sends the built-in page). Root started: no supplementary groups remain. */
static bool readable_by(const struct stat *status, uid_t uid, gid_t gid)
{
    if (uid == 0)
        return true;
    if (status->st_uid == uid)
        return (status->st_mode & S_IRUSR) != 0;
    if (status->st_gid == gid)
        return (status->st_mode & S_IRGRP) != 0;
    return (status->st_mode & S_IROTH) != 0;
}

size_t static_files_report_error_pages(const struct error_pages *pages, enum symlink_policy policy,
                                       int root_fd, uid_t uid, gid_t gid, FILE *report)
{
    size_t reported = 0;
    for (size_t i = 0; pages && i < pages->count; i++) {
        const struct error_page *page = &pages->pages[i];
        int fd = path_resolve_open_beneath(root_fd, page->path + 1, false, policy);
        const char *why = NULL;
        struct stat status;
        if (fd < 0) {
            const char *reason = NULL;
            static_files_status_for_errno(errno, &reason);
            why = reason;
        } else if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
            why = "not-a-file";
        } else if (!readable_by(&status, uid, gid)) {
            why = "not-readable (by the run user)";
        }
        if (fd >= 0)
            close(fd);
        if (!why)
            continue;
        fprintf(report,
                "prong: --error-page %d=%s: cannot be served (%s); the built-in page is used "
                "until it can be\n",
                page->status, page->path, why);
        reported++;
    }
    fflush(report);
    return reported;
}
