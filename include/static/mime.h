/* mime.h: Content-Type by file extension.
 *
 * Contract: mime_load_file() reads a mime.types file ("type ext ext ...", '#'
 * comments) before the jail; its entries win over the built-in table.
 * mime_type_for() answers for a file name, matching its last extension without
 * regard to case, and "application/octet-stream" when nothing matches.
 * Must not: open files after start-up, or return a type with bytes a header
 * cannot carry (loaded types are checked when read). */
#ifndef PRONG_MIME_H
#define PRONG_MIME_H

#include <stddef.h>

/* 0, or -1 with a one-line reason. */
int mime_load_file(const char *path, char *error, size_t error_size);

const char *mime_type_for(const char *name, size_t length);

#endif
