/* trusted_directory.c: open and judge the directory a file goes into
 * (include/process/trusted_directory.h).
 *
 * Why: a process running as root that creates, replaces or re-owns a file by
 * name in a directory another user may write can be made to act on another
 * file (a link put at the name between two calls: CVE-2016-1247 for logs, and
 * the same for a socket chown'd after bind). Judging the directory once and
 * then working on its descriptor with *at() calls closes that: only root and
 * the trusted user can change what a name in it means.
 * Must not: create, change or unlink anything. */
#include "process/trusted_directory.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "jail/posix_acl.h"

#define ACL_VALUE_MAX 4096 /* a directory's access ACL: far more entries than any real one */

int trusted_directory_open(const char *path, char *name, size_t name_size)
{
    char directory[PATH_MAX];
    if (snprintf(directory, sizeof directory, "%s", path) >= (int)sizeof directory) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(directory, '/');
    size_t length = slash ? strlen(slash + 1) : 0;
    if (!slash || length == 0 || length > NAME_MAX || length >= name_size) {
        errno = EINVAL;
        return -1;
    }
    memcpy(name, slash + 1, length + 1);
    if (slash == directory)
        slash[1] = '\0';
    else
        *slash = '\0';
    /* O_RDONLY, not O_PATH: fgetxattr(2) needs a descriptor opened for reading. */
    return open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

const char *trusted_directory_problem(int directory_fd, uid_t trusted_uid)
{
    struct stat status;
    if (fstat(directory_fd, &status) != 0)
        return "cannot read its directory's owner";
    if (status.st_uid != 0 && status.st_uid != trusted_uid)
        return "its directory belongs to another user (it must be root's or that of the user "
               "the file is created for)";
    if (status.st_mode & (S_IWGRP | S_IWOTH))
        return "its directory is writable by its group or by others (so another user could "
               "replace a name in it)";
    unsigned char acl[ACL_VALUE_MAX];
    ssize_t length = fgetxattr(directory_fd, "system.posix_acl_access", acl, sizeof acl);
    if (length < 0)
        return errno == ENODATA || errno == ENOTSUP ? NULL : "cannot read its directory's ACL";
    if (posix_acl_grants_write_to_others(acl, (size_t)length, trusted_uid) != ACL_NO_WRITE)
        return "its directory's ACL lets another user or group write it";
    return NULL;
}
