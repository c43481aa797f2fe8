/* path_resolve.h: open a path beneath the document root under the --symlinks policy.
 *
 * Contract: path_resolve_open() opens `relative` (no leading '/'; "." is the
 * root) beneath the process's working directory, which is the document root
 * (the chroot's "/"), for reading only: O_RDONLY | O_NONBLOCK | O_NOCTTY |
 * O_CLOEXEC (O_NONBLOCK: opening a FIFO never waits for a writer), and
 * O_DIRECTORY when asked. Resolution can never leave the root, whatever the
 * policy, even if links or directories are swapped during the call:
 *   SYMLINKS_NONE    openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: any link fails;
 *   SYMLINKS_FOLLOW  openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: links whose
 *                    targets stay beneath the root (absolute targets never do);
 *   SYMLINKS_OWNER   a walk, one component at a time, each opened with
 *                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; a link is followed
 *                    (its text read with readlinkat and walked the same way)
 *                    only when the link and what it finally resolves to have the
 *                    same owner, like Apache's SymLinksIfOwnerMatch.
 * Under follow and owner, when a link was followed, the path resolution
 * arrived at obeys the dotfile rule too (no component starting with '.', except
 * a first ".well-known"): a link to ".htpasswd" or into ".git" fails with
 * PATH_RESOLVE_HIDDEN. (The request path itself is checked by the caller; under
 * none no link is followed, so the path opened is the one asked for.)
 * On failure: -1 and errno: ENOENT or ENOTDIR (no such file), ELOOP (a link the
 * policy refuses, too many links, or an owner mismatch), EXDEV (a link leading
 * outside the root), PATH_RESOLVE_HIDDEN, EACCES (not readable), ENXIO (a
 * socket), ENAMETOOLONG, EMFILE/ENFILE, or another errno of openat2.
 * path_resolve_open_beneath() does the same from root_fd instead of the working
 * directory (start-up checks, before the chroot).
 * Must not: open for writing, follow a link the policy refuses, resolve outside
 * the root, or hold more than three descriptors at once. */
#ifndef PRONG_PATH_RESOLVE_H
#define PRONG_PATH_RESOLVE_H

#include <errno.h>
#include <stdbool.h>

#include "config.h"

/* The errno of a path refused by the dotfile rule after resolution: one that
 * no open(2) of a local file returns, so it cannot be mistaken for another cause. */
#define PATH_RESOLVE_HIDDEN EBADSLT

int path_resolve_open(const char *relative, bool directory_only, enum symlink_policy policy);
int path_resolve_open_beneath(int root_fd, const char *relative, bool directory_only,
                              enum symlink_policy policy);

#endif
