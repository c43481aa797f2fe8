/* unix_socket.c: bind a unix listening socket's file safely (include/process/unix_socket.h).
 *
 * The attack (the CVE-2016-1247 family): root binds a socket by name, then
 * sets its mode and owner by name; whoever may write the directory replaces
 * the name with a link between the two, and root's chmod or chown changes the
 * link's target (/etc/shadow). Here the directory is opened and judged first
 * (only root and the starting user may change its entries) and every step but
 * bind(2), which only takes a path, works on that descriptor and on the name
 * without following a link: the stale-socket check and its unlink, the check
 * that bind's file is a socket in that directory (a swapped directory above it
 * could only have sent bind elsewhere), and the owner. The mode is set at
 * creation (bind gives 0777 & ~umask), then checked: a default ACL on the
 * directory overrides the umask (acl(5)), and fchmodat fixes it then, on the
 * socket just checked in a directory nobody else may write.
 * Why not fchown(2) or fchmod(2) on the socket before bind: on Linux they change
 * the socket's own inode, not the file bind creates (which takes the caller's
 * fsuid, fsgid and umask), and have no effect on who may connect (unix(7)).
 * Must not: chmod or chown by path, follow a link at the name, unlink anything
 * but a socket, listen or accept. */
#include "process/unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process/trusted_directory.h"

/* Only a stale socket from an earlier run is replaced. */
static int clear_stale(const char *label, int directory_fd, const char *name, const char *path,
                       char *error, size_t error_size)
{
    struct stat status;
    if (fstatat(directory_fd, name, &status, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(error, error_size, "%s: %s", label, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(status.st_mode)) {
        snprintf(error, error_size, "%s: %s exists and is not a socket%s", label, path,
                 S_ISLNK(status.st_mode) ? " (a symbolic link: not followed)" : "");
        return -1;
    }
    if (unlinkat(directory_fd, name, 0) != 0) {
        snprintf(error, error_size, "%s: cannot replace the stale socket: %s", label,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* bind(2) with the mode in the umask: the file is never more open than asked. */
static int bind_with_mode(const char *label, int fd, const struct listener *listener, char *error,
                          size_t error_size)
{
    mode_t previous = umask((mode_t)(~listener->mode & 0777));
    int bound = bind(fd, (const struct sockaddr *)&listener->address, listener->address_length);
    int bind_errno = errno;
    umask(previous);
    if (bound != 0) {
        snprintf(error, error_size, "%s: cannot bind: %s", label, strerror(bind_errno));
        return -1;
    }
    return 0;
}

/* The socket bind made, in the directory judged: its mode exact, its owner set. */
static int finish_file(const char *label, int directory_fd, const char *name,
                       const struct listener *listener, char *error, size_t error_size)
{
    struct stat status;
    if (fstatat(directory_fd, name, &status, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISSOCK(status.st_mode)) {
        snprintf(error, error_size,
                 "%s: the socket is not in the directory checked (was a directory on the path "
                 "replaced?)",
                 label);
        return -2; /* not ours to unlink */
    }
    /* No AT_SYMLINK_NOFOLLOW for fchmodat before Linux 6.6: none is needed for a
     * socket just checked, in a directory only root or we may change. */
    if ((status.st_mode & 07777) != listener->mode &&
        fchmodat(directory_fd, name, listener->mode, 0) != 0) {
        snprintf(error, error_size, "%s: cannot set its mode: %s", label, strerror(errno));
        return -1;
    }
    if ((listener->owner != (uid_t)-1 || listener->group != (gid_t)-1) &&
        fchownat(directory_fd, name, listener->owner, listener->group, AT_SYMLINK_NOFOLLOW) != 0) {
        snprintf(error, error_size, "%s: cannot set its owner or group: %s", label,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int unix_socket_bind(const char *label, int fd, const struct listener *listener, char *error,
                     size_t error_size)
{
    const char *path = ((const struct sockaddr_un *)&listener->address)->sun_path;
    char name[NAME_MAX + 1];
    int directory_fd = trusted_directory_open(path, name, sizeof name);
    if (directory_fd < 0) {
        snprintf(error, error_size, "%s: its directory: %s", label,
                 errno == EINVAL ? "the path must end in a file name" : strerror(errno));
        return -1;
    }
    const char *problem = trusted_directory_problem(directory_fd, geteuid());
    int result = -1;
    if (problem)
        snprintf(error, error_size,
                 "%s: %s; use a directory only root or the starting user may "
                 "write, such as /run/prong",
                 label, problem);
    else if (clear_stale(label, directory_fd, name, path, error, error_size) == 0 &&
             bind_with_mode(label, fd, listener, error, error_size) == 0) {
        result = finish_file(label, directory_fd, name, listener, error, error_size);
        if (result == -1)
            (void)unlinkat(directory_fd, name, 0); /* the socket just checked: best effort */
    }
    close(directory_fd);
    return result == 0 ? 0 : -1;
}
