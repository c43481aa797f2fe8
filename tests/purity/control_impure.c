/* control_impure.c: the purity check's positive control (mk/purity.mk).
 *
 * A module that looks pure but reads a descriptor and the clock: the check
 * must refuse it, naming read (never allowed) and time (allowed in
 * http_date.o alone). Must not: be linked into anything; it is only compiled. */
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

size_t control_impure(char *buffer, size_t size);

size_t control_impure(char *buffer, size_t size)
{
    ssize_t got = read(0, buffer, size);
    memset(buffer, 0, size);
    return got > 0 && time(NULL) > 0 ? (size_t)got : 0;
}
