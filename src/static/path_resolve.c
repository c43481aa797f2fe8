/* path_resolve.c: resolution beneath the root with openat2(2), and the owner walk.
 *
 * none is one openat2 call: the kernel resolves the whole path atomically with
 * RESOLVE_BENEATH, so no swap of a link or directory can make it leave the
 * starting directory (the root), and the chroot is a second, independent layer.
 * follow is the same call with RESOLVE_NO_SYMLINKS first (a path without a link
 * needs nothing more); when that fails with ELOOP a link is on the path, and
 * the kernel resolves it (RESOLVE_BENEATH, still atomic), then the walk below,
 * without owner checks, names the path it arrived at: the object the walk
 * reaches must be the one the kernel opened (device and inode), and no
 * component of that path may be a dotfile, so a link cannot serve ".htpasswd"
 * or reach into ".git" (the request path alone was checked before).
 *
 * owner walks the path itself. Each step opens one name with O_PATH|O_NOFOLLOW
 * and RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS beneath the directory reached so far,
 * so the kernel never follows a link on its own; a link is read (readlinkat on
 * the O_PATH descriptor of that very link) and its text is walked in its place.
 * When the walk has consumed a link's whole text, the object reached is the
 * link's target; its owner must be the link's owner (a link inside a link is
 * checked against its own target). An absolute link text is refused (it names a
 * path of the host, not of the jail), and ".." never climbs above the root
 * (EXDEV). The path the walk arrives at contains no link at all; when a link
 * was followed, none of its components may start with '.' (".well-known" first
 * excepted, as for request paths); it is reopened for reading from the root
 * with RESOLVE_NO_SYMLINKS and compared (device and inode) with what the walk
 * examined.
 *
 * Race limits of owner: someone who can write inside the root may rename a
 * checked target away and put another file in its place between the owner
 * check and the final open; the final open still cannot cross a link or leave
 * the root (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, the chroot), and a swapped
 * final object is detected by the device/inode comparison (ELOOP). The worst
 * case is therefore serving another file from inside the root, never one
 * outside it.
 * Must not: open anything for writing, follow a link through the kernel under
 * none or owner, or hold more than three descriptors at once. */
#include "static/path_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http/http_parser.h"

#define READ_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define MAX_LINKS 40    /* the kernel's own limit on links in one resolution */
#define WALK_BYTES 8192 /* the remaining path: request path plus expanded link texts */

static int open_how(int directory_fd, const char *path, uint64_t flags, uint64_t resolve)
{
    struct open_how how = {.flags = flags, .resolve = resolve};
    return (int)syscall(SYS_openat2, directory_fd, path, &how, sizeof how);
}

/* ---------------------------------------------------------------- owner walk */

struct pending_link {
    uid_t owner;
    size_t resume; /* the position in rest where the link's text ends */
};

struct walk {
    char rest[WALK_BYTES]; /* what is left to walk is rest[position, WALK_BYTES) */
    size_t position;
    char canonical[HTTP_MAX_PATH + 1]; /* the link-free path reached so far, "" for the root */
    size_t canonical_length;
    struct pending_link links[MAX_LINKS];
    size_t link_count, links_followed;
    int base_fd;         /* the root: AT_FDCWD in the jail, a descriptor at start-up */
    bool compare_owners; /* owner; follow walks only to name the path */
    int directory_fd;    /* O_PATH descriptor of canonical */
    struct stat current; /* what canonical names */
};

static int fail(struct walk *walk, int error)
{
    if (walk->directory_fd >= 0)
        close(walk->directory_fd);
    walk->directory_fd = -1;
    errno = error;
    return -1;
}

/* Put text in front of what is left to walk, with a '/' between them when
 * something is left (so "link" → "a.txt" does not become "a.txt/"). */
static int prepend(struct walk *walk, const char *text, size_t length)
{
    size_t separator = walk->position < WALK_BYTES ? 1 : 0;
    if (length + separator > walk->position)
        return -1;
    walk->position -= length + separator;
    memcpy(walk->rest + walk->position, text, length);
    if (separator)
        walk->rest[walk->position + length] = '/';
    return 0;
}

/* The next component of rest (skipping '/'), or length 0 at the end; *trailing
 * says the end came after a '/' (the last object must be a directory). */
static size_t next_component(struct walk *walk, const char **component, bool *trailing)
{
    size_t before = walk->position;
    while (walk->position < WALK_BYTES && walk->rest[walk->position] == '/')
        walk->position++;
    *trailing = walk->position == WALK_BYTES && walk->position > before;
    size_t start = walk->position;
    while (walk->position < WALK_BYTES && walk->rest[walk->position] != '/')
        walk->position++;
    *component = walk->rest + start;
    return walk->position - start;
}

/* Links whose text has been walked completely: their target is walk->current. */
static int check_finished_links(struct walk *walk)
{
    size_t position = walk->position;
    while (position < WALK_BYTES && walk->rest[position] == '/')
        position++;
    while (walk->link_count > 0 && walk->links[walk->link_count - 1].resume <= position) {
        if (walk->compare_owners && walk->links[walk->link_count - 1].owner != walk->current.st_uid)
            return -1;
        walk->link_count--;
    }
    return 0;
}

/* Reopen the canonical path (link-free) as the directory to continue from. */
static int reopen_canonical(struct walk *walk)
{
    const char *path = walk->canonical_length ? walk->canonical : ".";
    int fd = open_how(walk->base_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC,
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return -1;
    if (walk->directory_fd >= 0)
        close(walk->directory_fd);
    walk->directory_fd = fd;
    return fstat(fd, &walk->current);
}

static int step_up(struct walk *walk)
{
    if (walk->canonical_length == 0)
        return fail(walk, EXDEV); /* ".." above the root */
    while (walk->canonical_length > 0 && walk->canonical[walk->canonical_length - 1] != '/')
        walk->canonical_length--;
    if (walk->canonical_length > 0)
        walk->canonical_length--; /* the '/' */
    walk->canonical[walk->canonical_length] = '\0';
    return reopen_canonical(walk) == 0 ? 0 : fail(walk, errno);
}

/* A link at fd (O_PATH): walk its text in its place. */
static int expand_link(struct walk *walk, int fd, const struct stat *link_status)
{
    char text[HTTP_MAX_PATH];
    ssize_t length = readlinkat(fd, "", text, sizeof text);
    close(fd);
    if (length <= 0 || (size_t)length >= sizeof text)
        return fail(walk, length < 0 ? errno : ENAMETOOLONG);
    if (text[0] == '/')
        return fail(walk, EXDEV); /* a host path: never inside the jail */
    if (++walk->links_followed > MAX_LINKS || walk->link_count == MAX_LINKS)
        return fail(walk, ELOOP);
    walk->links[walk->link_count++] = (struct pending_link){link_status->st_uid, walk->position};
    if (prepend(walk, text, (size_t)length) != 0)
        return fail(walk, ENAMETOOLONG);
    return 0;
}

static int step_into(struct walk *walk, const char *component, size_t length)
{
    char name[HTTP_MAX_SEGMENT + 1];
    if (length > HTTP_MAX_SEGMENT)
        return fail(walk, ENAMETOOLONG);
    memcpy(name, component, length);
    name[length] = '\0';
    int fd = open_how(walk->directory_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0) {
        int error = errno;
        if (fd >= 0)
            close(fd);
        return fail(walk, error);
    }
    if (S_ISLNK(status.st_mode))
        return expand_link(walk, fd, &status);
    if (walk->canonical_length + 1 + length >= sizeof walk->canonical) {
        close(fd);
        return fail(walk, ENAMETOOLONG);
    }
    if (walk->canonical_length > 0)
        walk->canonical[walk->canonical_length++] = '/';
    memcpy(walk->canonical + walk->canonical_length, name, length + 1);
    walk->canonical_length += length;
    close(walk->directory_fd);
    walk->directory_fd = fd; /* a directory to continue from, or the last object */
    walk->current = status;
    return 0;
}

/* Walk relative from the root: 0 with walk->canonical (link-free) naming
 * walk->current, or -1 with errno. No descriptor is left open either way. */
static int walk_path(struct walk *walk, int base_fd, const char *relative, bool compare_owners)
{
    walk->position = WALK_BYTES;
    walk->canonical_length = 0;
    walk->canonical[0] = '\0';
    walk->link_count = walk->links_followed = 0;
    walk->base_fd = base_fd;
    walk->compare_owners = compare_owners;
    walk->directory_fd = -1;
    if (prepend(walk, relative, strlen(relative)) != 0)
        return fail(walk, ENAMETOOLONG);
    if (reopen_canonical(walk) != 0)
        return fail(walk, errno);
    for (;;) {
        const char *component;
        bool trailing = false;
        size_t length = next_component(walk, &component, &trailing);
        if (length == 0) {
            if (trailing && !S_ISDIR(walk->current.st_mode))
                return fail(walk, ENOTDIR); /* "file.txt/" */
            break;
        }
        if (!S_ISDIR(walk->current.st_mode))
            return fail(walk, ENOTDIR);
        int result = 0;
        if (length == 2 && component[0] == '.' && component[1] == '.')
            result = step_up(walk);
        else if (!(length == 1 && component[0] == '.'))
            result = step_into(walk, component, length);
        if (result != 0)
            return -1;
        if (check_finished_links(walk) != 0)
            return fail(walk, ELOOP); /* owner mismatch */
    }
    close(walk->directory_fd);
    walk->directory_fd = -1;
    return 0;
}

/* The dotfile rule on a resolved, link-free path ("a/b", "" for the root): a
 * component starting with '.' is hidden, except a first ".well-known" (RFC 8615). */
static bool resolved_path_is_hidden(const char *path, size_t length)
{
    static const char WELL_KNOWN[] = ".well-known";
    for (size_t start = 0; start < length;) {
        size_t end = start;
        while (end < length && path[end] != '/')
            end++;
        bool well_known = start == 0 && end == sizeof WELL_KNOWN - 1 &&
                          memcmp(path, WELL_KNOWN, sizeof WELL_KNOWN - 1) == 0;
        if (path[start] == '.' && !well_known)
            return true;
        start = end + 1;
    }
    return false;
}

static struct walk walk; /* one request at a time per process; too large for the stack */

static int open_owner(int base_fd, const char *relative, bool directory_only)
{
    if (walk_path(&walk, base_fd, relative, true) != 0)
        return -1;
    if (walk.links_followed > 0 && resolved_path_is_hidden(walk.canonical, walk.canonical_length)) {
        errno = PATH_RESOLVE_HIDDEN;
        return -1;
    }
    struct stat examined = walk.current;
    if (!S_ISREG(examined.st_mode) && !S_ISDIR(examined.st_mode)) {
        errno = ENXIO; /* never open a FIFO or socket: report it as not a file */
        return -1;
    }
    const char *path = walk.canonical_length ? walk.canonical : ".";
    int fd = open_how(base_fd, path, READ_FLAGS | (directory_only ? O_DIRECTORY : 0),
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    struct stat opened;
    if (fd < 0)
        return -1;
    if (fstat(fd, &opened) != 0 || opened.st_dev != examined.st_dev ||
        opened.st_ino != examined.st_ino) {
        close(fd);
        errno = ELOOP; /* replaced between the walk and the open */
        return -1;
    }
    return fd;
}

/* A path without links is opened at once; with one, the kernel's open decides
 * what is served and the walk only names where it led (and must agree). */
static int open_follow(int base_fd, const char *relative, uint64_t flags)
{
    int fd = open_how(base_fd, relative, flags,
                      RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
    if (fd >= 0 || errno != ELOOP)
        return fd;
    fd = open_how(base_fd, relative, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    if (fd < 0)
        return -1;
    struct stat opened;
    int error = 0;
    if (walk_path(&walk, base_fd, relative, false) != 0 || fstat(fd, &opened) != 0)
        error = errno;
    else if (opened.st_dev != walk.current.st_dev || opened.st_ino != walk.current.st_ino)
        error = ELOOP; /* changed while it was resolved twice */
    else if (resolved_path_is_hidden(walk.canonical, walk.canonical_length))
        error = PATH_RESOLVE_HIDDEN;
    if (error == 0)
        return fd;
    close(fd);
    errno = error;
    return -1;
}

/* ---------------------------------------------------------------- entry */

int path_resolve_open_beneath(int root_fd, const char *relative, bool directory_only,
                              enum symlink_policy policy)
{
    uint64_t flags = READ_FLAGS | (directory_only ? O_DIRECTORY : 0);
    switch (policy) {
    case SYMLINKS_OWNER: return open_owner(root_fd, relative, directory_only);
    case SYMLINKS_FOLLOW: return open_follow(root_fd, relative, flags);
    case SYMLINKS_NONE: break;
    }
    return open_how(root_fd, relative, flags,
                    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
}

int path_resolve_open(const char *relative, bool directory_only, enum symlink_policy policy)
{
    return path_resolve_open_beneath(AT_FDCWD, relative, directory_only, policy);
}
