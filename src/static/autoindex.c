/* autoindex.c: the I/O half of directory listings: getdents64, fstatat, and memory.
 *
 * Entries come from getdents64(2) on the directory descriptor the resolver
 * opened (so a listing is subject to the same path policy as a file), are
 * examined with fstatat(AT_SYMLINK_NOFOLLOW) (a link is shown as a link, its
 * target is judged only when requested), and are copied into one name arena
 * sized for the cap. Memory: AUTOINDEX_MAX_ENTRIES × (256 name bytes + one
 * entry) plus the rendered document, all freed before the next request.
 * Must not: call opendir/readdir (they open by path), follow links, or keep
 * more than AUTOINDEX_MAX_ENTRIES entries. */
#include "static/autoindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NAME_BYTES 256 /* NAME_MAX and its NUL */

/* The kernel's record (linux_dirent64, getdents64(2)). Every member is there
 * for the layout, whether or not this file reads it. */
struct kernel_dirent {
    uint64_t inode; // cppcheck-suppress unusedStructMember
    int64_t offset; // cppcheck-suppress unusedStructMember
    unsigned short record_length;
    unsigned char type; // cppcheck-suppress unusedStructMember
    char name[];
};

struct reader {
    struct listing_entry *entries;
    char *arena;
    size_t count;
    bool truncated;
    bool list_symlinks;
};

/* Examine one name; keep it when it is visible and of a kind we list. */
static void consider(struct reader *reader, int directory_fd, const char *name)
{
    size_t name_length = strnlen(name, NAME_BYTES);
    if (name[0] == '.' || name_length >= NAME_BYTES)
        return; /* ".", "..", dotfiles */
    if (reader->count == AUTOINDEX_MAX_ENTRIES) {
        reader->truncated = true;
        return;
    }
    struct stat status;
    if (fstatat(directory_fd, name, &status, AT_SYMLINK_NOFOLLOW) != 0)
        return; /* gone since it was read, or not examinable: not listed */
    enum listing_kind kind;
    if (S_ISDIR(status.st_mode))
        kind = LISTING_DIRECTORY;
    else if (S_ISREG(status.st_mode))
        kind = LISTING_FILE;
    else if (S_ISLNK(status.st_mode) && reader->list_symlinks)
        kind = LISTING_SYMLINK;
    else
        return; /* FIFOs, sockets, and links that --symlinks none refuses */
    char *copy = reader->arena + reader->count * NAME_BYTES;
    memcpy(copy, name, name_length + 1);
    reader->entries[reader->count++] = (struct listing_entry){
        .name = copy,
        .name_length = name_length,
        .kind = kind,
        .size = (uint64_t)status.st_size,
        .modified = (int64_t)status.st_mtim.tv_sec,
    };
}

static int read_entries(struct reader *reader, int directory_fd)
{
    static _Alignas(8) char buffer[32768];
    while (!reader->truncated) {
        long got = syscall(SYS_getdents64, directory_fd, buffer, sizeof buffer);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        for (long offset = 0; offset < got;) {
            const struct kernel_dirent *entry =
                (const struct kernel_dirent *)(const void *)(buffer + offset);
            if (entry->record_length == 0)
                break;
            consider(reader, directory_fd, entry->name);
            offset += entry->record_length;
        }
    }
    return 0;
}

int autoindex_build(int directory_fd, const char *path, size_t path_length,
                    enum listing_format format, bool list_symlinks, char **body, size_t *length)
{
    struct reader reader = {
        .entries = malloc(AUTOINDEX_MAX_ENTRIES * sizeof *reader.entries),
        .arena = malloc((size_t)AUTOINDEX_MAX_ENTRIES * NAME_BYTES),
        .list_symlinks = list_symlinks,
    };
    int result = -1;
    *body = NULL;
    if (!reader.entries || !reader.arena) {
        errno = ENOMEM;
        goto done;
    }
    if (read_entries(&reader, directory_fd) != 0)
        goto done;
    listing_sort(reader.entries, reader.count);
    struct listing listing = {
        .path = path,
        .path_length = path_length,
        .entries = reader.entries,
        .count = reader.count,
        .truncated = reader.truncated,
        .cap = AUTOINDEX_MAX_ENTRIES,
    };
    *length = listing_render(&listing, format, NULL);
    *body = malloc(*length ? *length : 1);
    if (!*body) {
        errno = ENOMEM;
        goto done;
    }
    listing_render(&listing, format, *body);
    result = 0;
done:
    free(reader.entries);
    free(reader.arena);
    return result;
}
