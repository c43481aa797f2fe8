/* log_files.c: open, check and reopen the monitor's files (include/process/log_files.h).
 *
 * The CVE-2016-1247 pattern is what the checks are for: a log directory a less
 * privileged user can write lets that user put a link where the log was, and a
 * privileged process that reopens the log by name then writes where the link
 * points. Here nobody but root and the log user may write the directory, the
 * file is opened without following a link and checked after opening, and the
 * process that reopens it is the log user, no longer root.
 * Must not: open anything for reading, follow a link, or keep a file that failed
 * a check. */
#include "process/log_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process/trusted_directory.h"

#define FILE_FLAGS (O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

static int fail(char *error, size_t error_size, const char *flag, const char *path, const char *why)
{
    snprintf(error, error_size, "%s %s: %s", flag, path, why);
    return -1;
}

/* Whether path (which may not exist yet) lies inside the document root. */
static bool inside_root(const char *path, const char *root_path)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved)) {
        char directory[PATH_MAX];
        snprintf(directory, sizeof directory, "%s", path);
        char *slash = strrchr(directory, '/');
        if (slash)
            *(slash == directory ? slash + 1 : slash) = '\0';
        if (!realpath(directory, resolved))
            return false; /* its directory is missing: opening it fails with a clear message */
    }
    size_t root_length = strlen(root_path);
    return strncmp(resolved, root_path, root_length) == 0 &&
           (resolved[root_length] == '/' || resolved[root_length] == '\0' || root_length == 1);
}

/* A file we may write: regular, one link, root's or the log user's. */
static const char *file_problem(int fd, uid_t log_uid)
{
    struct stat status;
    if (fstat(fd, &status) != 0)
        return "cannot read the file's type and owner";
    if (!S_ISREG(status.st_mode))
        return "not a regular file";
    if (status.st_nlink != 1)
        return "the file has more than one link";
    if (status.st_uid != 0 && status.st_uid != log_uid)
        return "the file belongs to another user";
    return NULL;
}

/* The group of a log file root creates: the directory's, where its set-group-ID
 * bit says new files take it (as /var/log/prong, group adm, for the readers the
 * administrator chose); else the log user's. */
static gid_t new_file_group(int directory_fd, gid_t log_gid)
{
    struct stat directory;
    if (fstat(directory_fd, &directory) == 0 && (directory.st_mode & S_ISGID))
        return (gid_t)-1; /* keep what the kernel gave it */
    return log_gid;
}
int log_files_open(const char *flag, const char *value, bool may_be_off, const char *root_path,
                   const struct log_owner *owner, struct log_target *target, char *error,
                   size_t error_size)
{
    *target = (struct log_target){.fd = -1, .directory_fd = -1, .owner = owner->uid};
    target->off = may_be_off && strcmp(value, "off") == 0;
    if (target->off || strcmp(value, "-") == 0)
        return 0;
    if (value[0] != '/')
        return fail(error, error_size, flag, value, "give an absolute path");
    if (inside_root(value, root_path)) /* before opening: a refused start leaves nothing behind */
        return fail(error, error_size, flag, value,
                    "a file prong writes inside the document root is refused");
    target->path = value;
    target->directory_fd = trusted_directory_open(value, target->name, sizeof target->name);
    if (target->directory_fd < 0)
        return fail(error, error_size, flag, value, strerror(errno));
    const char *problem = trusted_directory_problem(target->directory_fd, owner->uid);
    if (problem)
        return fail(error, error_size, flag, value, problem);
    bool created = true;
    target->fd = openat(target->directory_fd, target->name, FILE_FLAGS | O_CREAT | O_EXCL, 0640);
    if (target->fd < 0 && errno == EEXIST) {
        created = false;
        target->fd = openat(target->directory_fd, target->name, FILE_FLAGS);
    }
    if (target->fd < 0)
        return fail(error, error_size, flag, value, strerror(errno));
    problem = file_problem(target->fd, owner->uid);
    if (!problem && created && geteuid() == 0 &&
        fchown(target->fd, owner->uid, new_file_group(target->directory_fd, owner->gid)) != 0)
        problem = "cannot give the new file to the log user";
    if (problem && created)
        unlinkat(target->directory_fd, target->name, 0); /* refused: leave nothing behind */
    return problem ? fail(error, error_size, flag, value, problem) : 0;
}

int log_files_reopen(struct log_target *target, char *error, size_t error_size)
{
    if (target->off || !target->path)
        return 0;
    int fd = openat(target->directory_fd, target->name, FILE_FLAGS | O_CREAT, 0640);
    if (fd < 0) {
        snprintf(error, error_size, "%s", strerror(errno));
        return -1;
    }
    const char *problem = file_problem(fd, target->owner); /* no geteuid: the filter has none */
    if (problem) {
        close(fd);
        snprintf(error, error_size, "%s", problem);
        return -1;
    }
    close(target->fd);
    target->fd = fd;
    return 1;
}

int log_files_fd(const struct log_target *target)
{
    if (target->off)
        return -1;
    return target->path ? target->fd : STDERR_FILENO;
}

int log_files_write_pid(const char *path, const char *root_path, char *error, size_t error_size)
{
    if (!path)
        return 0;
    if (inside_root(path, root_path))
        return fail(error, error_size, "--pid-file", path,
                    "a file prong writes inside the document root is refused");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    char line[32];
    int length = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (fd < 0 || write(fd, line, (size_t)length) != length || close(fd) != 0)
        return fail(error, error_size, "--pid-file", path, strerror(errno));
    return 0;
}
