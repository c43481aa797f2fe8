/* trusted_directory.h: the directory a file prong creates as root goes into, opened and judged.
 *
 * Contract: trusted_directory_open() opens the directory holding an absolute
 * path (a link to a directory is followed: what is judged is the directory
 * reached, and every later step works on that descriptor) and copies the last
 * name; -1 with errno (EINVAL: no name after the last '/', or a name longer
 * than NAME_MAX or than name_size). trusted_directory_problem() answers whether
 * anyone but root and trusted_uid could change that directory's entries: NULL
 * when it belongs to root or to trusted_uid and neither its mode bits (group or
 * other write; the sticky bit is no excuse: others could still create the name
 * first) nor its access ACL let another user or a group write it; else the
 * reason, a constant sentence about "its directory".
 * Used for the log files (trusted_uid: the log user) and the unix sockets of
 * --listen and --metrics (trusted_uid: the user starting prong).
 * Must not: follow a link at the last name, create or change anything. */
#ifndef PRONG_TRUSTED_DIRECTORY_H
#define PRONG_TRUSTED_DIRECTORY_H

#include <stddef.h>
#include <sys/types.h>

int trusted_directory_open(const char *path, char *name, size_t name_size);

const char *trusted_directory_problem(int directory_fd, uid_t trusted_uid);

#endif
