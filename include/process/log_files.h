/* log_files.h: the files the monitor writes: the access and error logs, the pid file.
 *
 * Contract: log_files_open() runs at start-up, with the privileges prong was
 * started with, before any drop. It refuses a file inside the document root,
 * and a log directory that anyone but root or the log user (the monitor's uid
 * after its drop) could write: by its owner, its group or other write bits, or
 * a POSIX access ACL. It opens the directory (kept, to reopen by name) and the
 * file in it, append-only, never through a symbolic link (O_NOFOLLOW), never a
 * FIFO or device (O_NONBLOCK, then fstat: a regular file with one link, owned by
 * root or the log user); a file it creates is given to the log user, so the
 * monitor can reopen it after its drop. log_files_reopen() does the same by name
 * through the kept directory, as the log user, on SIGHUP: what it opened
 * replaces the old file only if it passes the same checks. log_files_write_pid()
 * writes --pid-file once, refusing it inside the root too.
 * Must not: follow a link, write a file it did not check, or leave a refused
 * file behind. */
#ifndef PRONG_LOG_FILES_H
#define PRONG_LOG_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct log_target {
    const char *path; /* NULL: standard error (or nowhere when off) */
    bool off;
    int fd;
    int directory_fd;        /* the file's directory, kept to reopen by name; -1 */
    char name[NAME_MAX + 1]; /* the file's name in it */
    uid_t owner;             /* the log user: who may own the file besides root */
};

/* Who the monitor becomes: the owner a log file or directory may have besides root. */
struct log_owner {
    uid_t uid;
    gid_t gid;
};

/* Open --access-log or --error-log (value "-", "off" where may_be_off, or an
 * absolute path). 0, or -1 with one line naming the flag. */
int log_files_open(const char *flag, const char *value, bool may_be_off, const char *root_path,
                   const struct log_owner *owner, struct log_target *target, char *error,
                   size_t error_size);

/* Reopen by name as the monitor is now: 1 reopened, 0 not a file target, -1
 * failed (the old file stays; error says why). */
int log_files_reopen(struct log_target *target, char *error, size_t error_size);

/* The descriptor to write to: the file, standard error, or -1 when off. */
int log_files_fd(const struct log_target *target);

/* --pid-file: the monitor's pid. 0, or -1 with the reason. */
int log_files_write_pid(const char *path, const char *root_path, char *error, size_t error_size);

#endif
