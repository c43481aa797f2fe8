/* docroot.c: the document root, opened once and checked before serving.
 *
 * The walk recurses depth-first over openat/fdopendir with O_NOFOLLOW, so a
 * symlink in the tree is judged as a link (its target is checked by the
 * serving layers, not here) and a loop cannot trap it; a tree deeper than
 * MAX_DEPTH levels is refused, which bounds the recursion's stack and the
 * directories open at once (one descriptor per level). Permissions are judged
 * from owner, group and mode bits, and for regular files and directories also
 * from their POSIX access ACL (posix_acl.h): a named entry may grant the run
 * user what the mode bits do not show.
 * Must not: follow symlinks, or accept a tree it could not examine whole: an
 * entry it cannot list, examine or open refuses the root (a directory the run
 * user could not enter either is skipped: nothing can be served from it). */
#include "jail/docroot.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "jail/posix_acl.h"

#define MAX_DEPTH 64
#define ACL_VALUE_MAX XATTR_SIZE_MAX /* the largest value any filesystem stores (64 KiB) */

int docroot_open(const char *path, char *error, size_t error_size)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        snprintf(error, error_size, "--root %s: %s", path, strerror(errno));
    return fd;
}

/* Why this entry makes the root unsafe, or NULL. An entry the run user owns is
 * refused even when read-only (the owner may chmod it), except when prong was
 * started by that user itself: then every file is its own, and the jail's
 * read-only layers (Landlock, RLIMIT_FSIZE 0, the seccomp open filter) stand in. */
static const char *unsafe_reason(const struct stat *status, uid_t run_uid, gid_t run_gid,
                                 bool allow_owned)
{
    mode_t mode = status->st_mode;
    if (S_ISLNK(mode))
        return NULL; /* a link's own mode means nothing; its target is judged when served */
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "is a device node";
    if (mode & (S_ISUID | S_ISGID) && !S_ISDIR(mode))
        return "is setuid or setgid";
    if ((status->st_uid == run_uid && (mode & S_IWUSR)) ||
        (status->st_gid == run_gid && (mode & S_IWGRP)) || (mode & S_IWOTH))
        return "is writable by the run user";
    if (status->st_uid == run_uid && !allow_owned)
        return "is owned by the run user";
    return NULL;
}

struct walk {
    uid_t run_uid;
    gid_t run_gid;
    bool allow_owned;
    size_t entries;
    char path[4096];
    unsigned char *acl; /* ACL_VALUE_MAX bytes, mapped for the walk only */
    char *error;
    size_t error_size;
};

static int refuse_entry(struct walk *walk, const char *reason)
{
    snprintf(walk->error, walk->error_size, "refusing the document root: %s %s", walk->path,
             reason);
    return -1;
}

/* Why the access ACL of an entry makes it unsafe, or NULL: read from fd when
 * the walk holds one (the root, directories), else by walk->path with
 * lgetxattr(2), which does not follow a final link (there is no *at form
 * before Linux 6.13); the walk reached that path without following a link.
 * Only POSIX ACLs are read: an NFSv4 or CIFS server's own ACLs are not seen
 * (SECURITY.md). */
static const char *acl_reason(struct walk *walk, int fd)
{
    ssize_t length =
        fd >= 0 ? fgetxattr(fd, "system.posix_acl_access", walk->acl, ACL_VALUE_MAX)
                : lgetxattr(walk->path, "system.posix_acl_access", walk->acl, ACL_VALUE_MAX);
    if (length < 0 && (errno == ENODATA || errno == ENOTSUP))
        return NULL; /* no ACL, or a filesystem without them */
    if (length < 0)
        return "has an access control list that cannot be read";
    switch (posix_acl_grants_write(walk->acl, (size_t)length, walk->run_uid, walk->run_gid)) {
    case ACL_NO_WRITE: return NULL;
    case ACL_GRANTS_WRITE: return "is writable by the run user (access control list)";
    default: return "has an access control list that cannot be read";
    }
}

static int walk_directory(struct walk *walk, int directory_fd, int depth)
{
    if (depth > MAX_DEPTH)
        return refuse_entry(walk, "is nested too deeply to check");
    DIR *directory = fdopendir(directory_fd);
    if (!directory) {
        close(directory_fd);
        return refuse_entry(walk, "cannot be listed");
    }
    size_t base_length = strlen(walk->path);
    int result = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(directory);
        if (!entry) {
            if (errno)
                result = refuse_entry(walk, "cannot be listed completely");
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(walk->path + base_length, sizeof walk->path - base_length, "/%s",
                             entry->d_name) >= sizeof walk->path - base_length) {
            result = refuse_entry(walk, "has a path too long to check");
            break;
        }
        struct stat status;
        walk->entries++;
        if (fstatat(dirfd(directory), entry->d_name, &status, AT_SYMLINK_NOFOLLOW) != 0) {
            result = refuse_entry(walk, "cannot be examined");
            break;
        }
        const char *reason =
            unsafe_reason(&status, walk->run_uid, walk->run_gid, walk->allow_owned);
        if (!reason && S_ISREG(status.st_mode))
            reason = acl_reason(walk, -1);
        if (reason) {
            result = refuse_entry(walk, reason);
            break;
        }
        if (S_ISDIR(status.st_mode)) {
            int child = openat(dirfd(directory), entry->d_name,
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0 && errno == EACCES)
                continue; /* the run user cannot enter it either: nothing served from there */
            if (child >= 0 && (reason = acl_reason(walk, child)) != NULL) {
                close(child);
                result = refuse_entry(walk, reason);
                break;
            }
            if (child < 0 || walk_directory(walk, child, depth + 1) != 0) {
                if (child < 0)
                    result = refuse_entry(walk, "cannot be opened");
                else
                    result = -1;
                break;
            }
        }
        walk->path[base_length] = '\0';
    }
    walk->path[base_length] = '\0';
    closedir(directory);
    return result;
}

int docroot_verify(int root_fd, const char *path, uid_t run_uid, gid_t run_gid, bool allow_owned,
                   size_t *entries, char *error, size_t error_size)
{
    struct walk walk = {.run_uid = run_uid,
                        .run_gid = run_gid,
                        .allow_owned = allow_owned,
                        .error = error,
                        .error_size = error_size};
    snprintf(walk.path, sizeof walk.path, "%s", path);
    struct stat status;
    if (fstat(root_fd, &status) != 0) {
        snprintf(error, error_size, "--root %s: %s", path, strerror(errno));
        return -1;
    }
    walk.acl =
        mmap(NULL, ACL_VALUE_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (walk.acl == MAP_FAILED) {
        snprintf(error, error_size, "--root %s: no memory to check its access control lists", path);
        return -1;
    }
    int result = -1;
    const char *reason = unsafe_reason(&status, run_uid, run_gid, allow_owned);
    if (!reason)
        reason = acl_reason(&walk, root_fd);
    if (reason) {
        refuse_entry(&walk, reason);
    } else {
        int copy = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (copy < 0)
            snprintf(error, error_size, "--root %s: %s", path, strerror(errno));
        else
            result = walk_directory(&walk, copy, 0);
    }
    /* Released before the jail: the supervisor and its children need none of it. */
    if (munmap(walk.acl, ACL_VALUE_MAX) != 0 && result == 0) {
        snprintf(error, error_size, "--root %s: cannot release the memory of its check: %s", path,
                 strerror(errno));
        result = -1;
    }
    *entries = walk.entries;
    return result;
}
