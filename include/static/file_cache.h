/* file_cache.h: the last small file a connection served, kept in memory and revalidated per
 * request.
 *
 * A kept-alive client that asks for the same small file again (a poller, a
 * benchmark, a page reloaded) would cost openat2, fstat, pread and close each
 * time. Instead the connection process keeps one entry: the merged request
 * path, the path it resolved to, the file's stat and its bytes. A request for
 * that path costs one fstatat(2) of the resolved path (no symlink followed at
 * the last component), and the bytes are used only when device, inode, mode,
 * size, mtime and ctime are all as they were: any write, truncation, chmod,
 * rename over or replacement changes at least one of them (ctime cannot be set
 * from user space). A file is taken only when its mtime and ctime are at least
 * FILE_CACHE_SETTLED_NS old, so a write in the same timestamp tick as the read
 * cannot go unseen, and only after a second fstat of the open file matched the
 * first (no write between stat and read).
 * Safety: a hit serves bytes that the full path policy (openat2, RESOLVE_BENEATH,
 * --symlinks, the hidden-path check, which runs before any lookup) allowed
 * earlier in this same connection, for the same URL, from a file that has not
 * changed since; a path that now resolves differently reaches another inode,
 * misses, and goes through that policy again. The entry lives in this
 * process's memory only: nothing is shared between connections.
 * Only the identity representation is taken (a client that may accept an
 * encoding goes through negotiation, which looks for siblings); a directory's
 * index only when it is the first --index name (a new first one is then never
 * hidden by a cached second).
 * The body sits after RESPONSE_HEAD_MAX bytes of head room, so a head and the
 * cached body go out in one sendto(2) without copying the body
 * (connection_send.c).
 * Must not: serve bytes whose file was not revalidated by this request, or keep
 * a file descriptor open. */
#ifndef PRONG_FILE_CACHE_H
#define PRONG_FILE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Files changed this recently are not cached: far above any file system's
 * timestamp granularity (coarse clock ticks, FAT's 2 s). */
#define FILE_CACHE_SETTLED_NS 2000000000ll
/* Longer request paths are not cached (a hit compares the whole path). */
#define FILE_CACHE_PATH_MAX 256u

struct file_cache_hit {
    char *body;               /* in the cache, with head room before it */
    struct stat status;       /* as revalidated now */
    const char *content_type; /* of the name it was served under */
};

/* Whether two stats describe the same, unchanged file. Pure. */
bool file_cache_same_file(const struct stat *before, const struct stat *now);

/* Whether a file with this stat may be taken at realtime now_ns. Pure. */
bool file_cache_settled(const struct stat *status, int64_t now_ns, uint64_t size_max);

/* Whether the entry is for path (the merged request path): no system call,
 * and no page touched beyond one flag until a file was cached. */
bool file_cache_holds(const char *path, size_t path_length);

/* The entry for path (the merged request path), if its file is unchanged now. */
bool file_cache_lookup(const char *path, size_t path_length, struct file_cache_hit *hit);

/* Offer the open file fd (at `relative`, served for `path`) to the cache:
 * when it may be taken, its bytes are read and the entry replaced; returns the
 * cached body, or NULL (fd is then untouched at offset 0 and still the
 * caller's to use). Either way the caller still owns fd. */
char *file_cache_fill(const char *path, size_t path_length, const char *relative, int fd,
                      const struct stat *status, const char *content_type);

/* The page a small file's head and body share, for the prefault (process/prefault.h). */
void file_cache_hot_span(void **start, size_t *length);

/* Forget the entry; called at start-up, before the first fork (static_files_configure). */
void file_cache_clear(void);

#endif
