/* file_cache.c: one small file per connection, revalidated by one fstatat per request
 * (include/static/file_cache.h has the contract and the safety argument).
 * Must not: serve bytes without this request's fstatat matching, follow a
 * symlink at the last component when revalidating, or keep a descriptor. */
#include "static/file_cache.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "process/prefault.h"
#include "static/response.h"

/* The body follows RESPONSE_HEAD_MAX bytes of head room and starts
 * BODY_PAGE_OFFSET bytes into a page: a head of up to that many bytes (most
 * are 250-500) and the first 3 KiB of body then share one page, which is all
 * a 1 KiB file touches, as the send buffer's head-then-body would. The bytes
 * before the head room are never used (no page of them is touched). */
#define BODY_PAGE_OFFSET 1024u
struct cache_area {
    char unused[BODY_PAGE_OFFSET];     // cppcheck-suppress unusedStructMember
    char head_room[RESPONSE_HEAD_MAX]; /* written through body's pointer (connection_send.c) */
    char body[SMALL_FILE_MAX];
};
_Static_assert((offsetof(struct cache_area, body)) % 4096 == BODY_PAGE_OFFSET,
               "the cached body does not start BODY_PAGE_OFFSET into a page");

static struct cache_area area __attribute__((aligned(4096)));

/* What the connection process writes besides the body: on the one page of
 * statics every connection process writes (process/prefault.h), not on a bss
 * page of its own that each connection would copy (4 KiB each). */
static PREFAULT_CHILD_WRITES bool entry_valid;

static PREFAULT_CHILD_WRITES struct {
    char path[FILE_CACHE_PATH_MAX];
    size_t path_length;
    char relative[FILE_CACHE_PATH_MAX + 64];
    struct stat status;
    const char *content_type;
    int64_t filled_ns; /* CLOCK_MONOTONIC when its bytes were read */
} entry;

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool file_cache_same_file(const struct stat *before, const struct stat *now)
{
    return before->st_dev == now->st_dev && before->st_ino == now->st_ino &&
           before->st_mode == now->st_mode && before->st_size == now->st_size &&
           same_time(before->st_mtim, now->st_mtim) && same_time(before->st_ctim, now->st_ctim);
}

static int64_t nanoseconds(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

bool file_cache_settled(const struct stat *status, int64_t now_ns, uint64_t size_max)
{
    if (!S_ISREG(status->st_mode) || status->st_size <= 0 || (uint64_t)status->st_size > size_max)
        return false;
    /* A timestamp in the future (a clock set back, a copied tree) never settles. */
    return now_ns - nanoseconds(status->st_mtim) >= FILE_CACHE_SETTLED_NS &&
           now_ns - nanoseconds(status->st_ctim) >= FILE_CACHE_SETTLED_NS;
}

bool file_cache_young(int64_t filled_ns, int64_t now_ns)
{
    return filled_ns >= 0 && now_ns >= filled_ns && now_ns - filled_ns < FILE_CACHE_MAX_AGE_NS;
}

static int64_t clock_ns(clockid_t clock)
{
    struct timespec now;
    if (clock_gettime(clock, &now) != 0)
        return -1; /* nothing is then settled, no entry young */
    return nanoseconds(now);
}

bool file_cache_holds(const char *path, size_t path_length)
{
    return entry_valid && path_length == entry.path_length &&
           memcmp(path, entry.path, path_length) == 0;
}

bool file_cache_lookup(const char *path, size_t path_length, struct file_cache_hit *hit)
{
    if (!file_cache_holds(path, path_length))
        return false;
    /* A change no stat shows (file_cache.h) is served at most this long. */
    if (!file_cache_young(entry.filled_ns, clock_ns(CLOCK_MONOTONIC))) {
        entry_valid = false;
        return false;
    }
    struct stat now;
    /* The working directory is the root (chroot); the last component must be
     * the very file, not a link to it. */
    if (fstatat(AT_FDCWD, entry.relative, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
        !file_cache_same_file(&entry.status, &now)) {
        entry_valid = false;
        return false;
    }
    hit->body = area.body;
    hit->status = now;
    hit->content_type = entry.content_type;
    return true;
}

char *file_cache_fill(const char *path, size_t path_length, const char *relative, int fd,
                      const struct stat *status, const char *content_type)
{
    size_t relative_length = strlen(relative);
    if (path_length >= sizeof entry.path || relative_length >= sizeof entry.relative ||
        !file_cache_settled(status, clock_ns(CLOCK_REALTIME), sizeof area.body))
        return NULL;
    entry_valid = false;
    size_t size = (size_t)status->st_size;
    /* After the read, the path itself (not the descriptor) must name the file
     * unchanged: that rules out a write during the read and a last component
     * that is a link (every later lookup of it would miss). */
    struct stat after;
    if (pread(fd, area.body, size, 0) != (ssize_t)size ||
        fstatat(AT_FDCWD, relative, &after, AT_SYMLINK_NOFOLLOW) != 0 ||
        !file_cache_same_file(status, &after))
        return NULL;
    memcpy(entry.path, path, path_length);
    entry.path_length = path_length;
    memcpy(entry.relative, relative, relative_length + 1);
    entry.status = *status;
    entry.content_type = content_type;
    entry.filled_ns = clock_ns(CLOCK_MONOTONIC);
    entry_valid = true;
    return area.body;
}

void file_cache_hot_span(void **start, size_t *length)
{
    *start = &area.head_room[sizeof area.head_room - BODY_PAGE_OFFSET];
    *length = 4096;
}

void file_cache_clear(void)
{
    entry_valid = false;
}
