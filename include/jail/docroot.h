/* docroot.h: open the document root and refuse an unsafe one.
 *
 * Contract: docroot_open() opens the root as a directory descriptor before any
 * drop (the jail is entered through it with fchdir, so a root below a directory
 * the run user cannot search still works). docroot_verify() walks the whole tree
 * without following symlinks and refuses, with the first offending path: an
 * entry the run user can write (mode bits, or a file's or directory's access
 * ACL) or (unless allow_owned) owns, a device node, a setuid or setgid file.
 * Must not: follow a symlink, or accept a tree it could not read completely. */
#ifndef PRONG_DOCROOT_H
#define PRONG_DOCROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The open descriptor, or -1 with the reason. */
int docroot_open(const char *path, char *error, size_t error_size);

/* 0 if safe, else -1 with the reason. entries gets the number of entries seen. */
int docroot_verify(int root_fd, const char *path, uid_t run_uid, gid_t run_gid, bool allow_owned,
                   size_t *entries, char *error, size_t error_size);

#endif
