/* autoindex.h: read a directory and render its listing (--autoindex).
 *
 * Contract: autoindex_build() reads at most AUTOINDEX_MAX_ENTRIES visible
 * entries of an open directory (getdents64 and one fstatat each, links not
 * followed), hides every name starting with '.', lists directories, regular
 * files and (when list_symlinks) symbolic links, sorts them and renders the
 * whole document into one heap block the caller frees. Memory is bounded: the
 * entry table and name arena are sized for the cap (about 3 MB at most) and the
 * document is sized exactly before it is written. More entries than the cap:
 * the first ones read are listed and the document says it was cut.
 * Must not: follow a link, open an entry, allocate without bound, or use a
 * library call whose syscalls the jail does not allow (no opendir, no qsort). */
#ifndef PRONG_AUTOINDEX_H
#define PRONG_AUTOINDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "fixed_limits.h"
#include "static/listing.h"

/* 0 with *body (malloc'd) and *length, or -1 with errno set. */
int autoindex_build(int directory_fd, const char *path, size_t path_length,
                    enum listing_format format, bool list_symlinks, char **body, size_t *length);

#endif
