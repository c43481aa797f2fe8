/* file_response.c: 200, 206, 304, 412 and 416 for a regular file (RFC 9110 §13-§15).
 *
 * Decisions (docs/static-files.md): several satisfiable, non-overlapping ranges
 * (at most BYTE_RANGE_MAX) are sent as multipart/byteranges (§14.6) for an
 * unencoded file; for a precompressed representation they are answered with
 * the whole representation (200), because a Content-Encoding on a multipart
 * body would describe the wrong bytes. A 304 repeats ETag, Last-Modified (as
 * nginx does: it guides cache updates, §15.4.5 allows it), Vary and the
 * configured rows (--header, --cache-control). The multipart boundary is random per response
 * (getrandom), so file content cannot be crafted to contain it. Must not: produce a head that
 * overflowed, or segments that disagree with Content-Length. */
#include "static/file_response.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "static/byte_range.h"
#include "static/conditional.h"
#include "http/http_date.h"

_Static_assert(2 * BYTE_RANGE_MAX + 1 <= PLAN_MAX_SEGMENTS,
               "a multipart plan needs two segments per part and one more");

struct file_context {
    const struct http_request *request;
    struct representation *representation;
    struct response_plan *plan;
    char etag[ETAG_SIZE];
    char last_modified[HTTP_DATE_SIZE];
    uint64_t size;
};

static void release_file(struct file_context *file)
{
    if (file->representation->fd >= 0)
        close(file->representation->fd);
    file->representation->fd = -1;
}

/* The validators and caching fields every file response (200, 206, 304) carries. */
static void add_validators(struct file_context *file)
{
    struct response_head *head = &file->plan->head;
    response_add(head, "Last-Modified", file->last_modified);
    response_add(head, "ETag", file->etag);
    /* Which representation a file gets depends on Accept-Encoding whether or
     * not a sibling exists now (RFC 9110 §12.5.5): said on every file response,
     * so a cache's key does not depend on which client came first. */
    response_add(head, "Vary", "Accept-Encoding");
    /* The administrator's rows, --cache-control's among them (header_rules.h). */
    response_add_configured(head, file->plan->path, file->plan->path_length, RESPONSE_KIND_FILE);
}

static void add_encoding(struct file_context *file)
{
    const char *coding = negotiation_coding_name(file->representation->coding);
    if (coding)
        response_add(&file->plan->head, "Content-Encoding", coding);
}

static bool head_only(const struct file_context *file)
{
    return file->request->method == HTTP_METHOD_HEAD;
}

/* length bytes of the representation from offset: from memory when it is
 * cached, else from the file, which the plan then keeps open. */
static struct body_segment body_part(struct file_context *file, uint64_t offset, uint64_t length)
{
    struct representation *chosen = file->representation;
    if (chosen->body)
        return (struct body_segment){SEGMENT_MEMORY, chosen->body + offset, 0, length};
    if (chosen->fd >= 0) {
        file->plan->file_fd = chosen->fd;
        chosen->fd = -1;
    }
    return (struct body_segment){SEGMENT_FILE, NULL, offset, length};
}

static void plan_not_modified(struct file_context *file)
{
    release_file(file);
    file->plan->status = 304;
    response_begin(&file->plan->head, 304);
    add_validators(file);
    response_end(&file->plan->head);
}

static void plan_whole(struct file_context *file)
{
    struct response_plan *plan = file->plan;
    plan->status = 200;
    response_begin(&plan->head, 200);
    response_add(&plan->head, "Content-Type", file->representation->content_type);
    response_add_number(&plan->head, "Content-Length", file->size);
    add_encoding(file);
    response_add(&plan->head, "Accept-Ranges", "bytes");
    add_validators(file);
    response_end(&plan->head);
    if (head_only(file) || file->size == 0) {
        release_file(file);
        return;
    }
    plan->segments[0] = body_part(file, 0, file->size);
    plan->segment_count = 1;
    if (file->representation->body)
        plan->head_room = file->representation->body;
    plan->body_length = file->size;
}

static void plan_unsatisfiable(struct file_context *file)
{
    release_file(file);
    char content_range[48];
    snprintf(content_range, sizeof content_range, "bytes */%" PRIu64, file->size);
    /* An error page (the --error-page for 416 or the built-in one) with the
     * Content-Range of the length only (§14.4); the connection stays open. */
    static_files_plan_refusal_with(416, "range-not-satisfiable", head_only(file), "Content-Range",
                                   content_range, file->plan);
}

static void plan_single_range(struct file_context *file, const struct byte_range *range)
{
    struct response_plan *plan = file->plan;
    uint64_t length = range->last - range->first + 1;
    char content_range[80];
    snprintf(content_range, sizeof content_range, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
             range->first, range->last, file->size);
    plan->status = 206;
    response_begin(&plan->head, 206);
    response_add(&plan->head, "Content-Type", file->representation->content_type);
    response_add_number(&plan->head, "Content-Length", length);
    response_add(&plan->head, "Content-Range", content_range);
    add_encoding(file);
    response_add(&plan->head, "Accept-Ranges", "bytes");
    add_validators(file);
    response_end(&plan->head);
    plan->segments[0] = body_part(file, range->first, length);
    plan->segment_count = 1;
    plan->body_length = length;
}

static void make_boundary(char out[24])
{
    unsigned char random_bytes[8];
    if (getrandom(random_bytes, sizeof random_bytes, GRND_NONBLOCK) !=
        (ssize_t)sizeof random_bytes) {
        static uint64_t fallback;
        uint64_t value = ++fallback ^ (uint64_t)time(NULL) << 20;
        memcpy(random_bytes, &value, sizeof random_bytes);
    }
    static const char HEX[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof random_bytes; i++) {
        out[2 * i] = HEX[random_bytes[i] >> 4];
        out[2 * i + 1] = HEX[random_bytes[i] & 15];
    }
    out[16] = '\0';
}

/* Part heads and the closing delimiter, written (out) or only measured (NULL). */
static size_t multipart_text(const struct file_context *file, const char *boundary,
                             const struct byte_range *ranges, size_t count, char *out,
                             size_t capacity, size_t *offsets)
{
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (offsets)
            offsets[i] = used;
        int written = snprintf(out ? out + used : NULL, out ? capacity - used : 0,
                               "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %" PRIu64
                               "-%" PRIu64 "/%" PRIu64 "\r\n\r\n",
                               i ? "\r\n" : "", boundary, file->representation->content_type,
                               ranges[i].first, ranges[i].last, file->size);
        used += (size_t)written;
    }
    if (offsets)
        offsets[count] = used;
    int written =
        snprintf(out ? out + used : NULL, out ? capacity - used : 0, "\r\n--%s--\r\n", boundary);
    return used + (size_t)written;
}

static void plan_multipart(struct file_context *file, const struct byte_range *ranges, size_t count)
{
    struct response_plan *plan = file->plan;
    char boundary[24], content_type[64];
    make_boundary(boundary);
    size_t offsets[BYTE_RANGE_MAX + 1];
    size_t text_length = multipart_text(file, boundary, ranges, count, NULL, 0, NULL);
    char *text = malloc(text_length + 1);
    if (!text) {
        plan_whole(file);
        return;
    }
    multipart_text(file, boundary, ranges, count, text, text_length + 1, offsets);
    plan->owned_memory = text;
    uint64_t total = text_length;
    for (size_t i = 0; i < count; i++) {
        uint64_t length = ranges[i].last - ranges[i].first + 1;
        total += length;
        plan->segments[2 * i] = (struct body_segment){SEGMENT_MEMORY, text + offsets[i], 0,
                                                      offsets[i + 1] - offsets[i]};
        plan->segments[2 * i + 1] = body_part(file, ranges[i].first, length);
    }
    plan->segments[2 * count] = (struct body_segment){SEGMENT_MEMORY, text + offsets[count], 0,
                                                      text_length - offsets[count]};
    plan->segment_count = 2 * count + 1;
    plan->body_length = total;
    snprintf(content_type, sizeof content_type, "multipart/byteranges; boundary=%s", boundary);
    plan->status = 206;
    response_begin(&plan->head, 206);
    response_add(&plan->head, "Content-Type", content_type);
    response_add_number(&plan->head, "Content-Length", total);
    response_add(&plan->head, "Accept-Ranges", "bytes");
    add_validators(file);
    response_end(&plan->head);
}

/* Range applies to GET only (§14.2), with exactly one Range field and a holding If-Range. */
static void plan_with_range(struct file_context *file, const struct validators *validators)
{
    const struct http_field *range = http_request_field(file->request, HTTP_FIELD_RANGE);
    if (!range || file->request->method != HTTP_METHOD_GET ||
        file->request->field_repeats[HTTP_FIELD_RANGE] != 1 ||
        !conditional_if_range_holds(file->request, validators, (int64_t)time(NULL))) {
        plan_whole(file);
        return;
    }
    struct byte_range ranges[BYTE_RANGE_MAX];
    size_t count = 0;
    switch (byte_range_parse(range->value.data, range->value.length, file->size, ranges, &count)) {
    case BYTE_RANGE_UNSATISFIABLE: plan_unsatisfiable(file); return;
    case BYTE_RANGE_PARTIAL:
        if (count == 1)
            plan_single_range(file, &ranges[0]);
        else if (file->representation->coding == CODING_IDENTITY)
            plan_multipart(file, ranges, count);
        else
            plan_whole(file);
        return;
    default: plan_whole(file); return;
    }
}

void file_response_plan(const struct http_request *request, struct representation *representation,
                        struct response_plan *plan)
{
    struct file_context file = {
        .request = request,
        .representation = representation,
        .plan = plan,
        .size = (uint64_t)representation->status.st_size,
    };
    const struct stat *status = &representation->status;
    conditional_format_etag((int64_t)status->st_mtim.tv_sec, status->st_mtim.tv_nsec, file.size,
                            representation->coding, file.etag);
    http_date_format((int64_t)status->st_mtim.tv_sec, file.last_modified);
    struct validators validators = {file.etag, (int64_t)status->st_mtim.tv_sec};
    switch (conditional_evaluate(request, &validators)) {
    case PRECONDITION_FAILED:
        release_file(&file);
        static_files_plan_refusal(412, "precondition-failed", head_only(&file), plan);
        return;
    case PRECONDITION_NOT_MODIFIED: plan_not_modified(&file); return;
    default: plan_with_range(&file, &validators); return;
    }
}
