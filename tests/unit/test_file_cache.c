/* test_file_cache.c: unit tests of the file cache's two decisions (include/static/file_cache.h).
 *
 * What it does: file_cache_same_file() must say "changed" when any one of
 * device, inode, mode, size, mtime or ctime differs (each field alone, down
 * to one nanosecond), and "same" only when none does; file_cache_settled()
 * must take a regular, non-empty file no larger than the bound whose mtime
 * and ctime are both at least FILE_CACHE_SETTLED_NS old: checked at the exact
 * boundary, one nanosecond inside it, in the future, and for the other kinds.
 * The live side (a file changed on disk is served fresh) is
 * tests/live/test_static_cache.py.
 * Contract: only include/static/file_cache.h's pure functions are used.
 * Must not: touch the file system. */
#include <string.h>
#include <sys/stat.h>

#include "static/file_cache.h"
#include "unit.h"
#include "unit_suites.h"

static struct stat a_file(void)
{
    struct stat status;
    memset(&status, 0, sizeof status);
    status.st_dev = 2049;
    status.st_ino = 131077;
    status.st_mode = S_IFREG | 0644;
    status.st_size = 1024;
    status.st_mtim = (struct timespec){1700000000, 123456789};
    status.st_ctim = (struct timespec){1700000100, 987654321};
    return status;
}

static void check_one_field_changes(void)
{
    struct stat before = a_file(), now = a_file();
    CHECK(file_cache_same_file(&before, &now), "identical stats are the same file");
    now.st_atim.tv_sec += 5; /* reading the file is no change */
    CHECK(file_cache_same_file(&before, &now), "atime alone is no change");
    struct stat changed[8];
    const char *what[8] = {"device",  "inode",    "mode",    "size",
                           "mtime s", "mtime ns", "ctime s", "ctime ns"};
    for (size_t i = 0; i < 8; i++)
        changed[i] = a_file();
    changed[0].st_dev++;
    changed[1].st_ino++;
    changed[2].st_mode = S_IFREG | 0600;
    changed[3].st_size++;
    changed[4].st_mtim.tv_sec++;
    changed[5].st_mtim.tv_nsec++;
    changed[6].st_ctim.tv_sec--;
    changed[7].st_ctim.tv_nsec--;
    for (size_t i = 0; i < 8; i++)
        CHECK(!file_cache_same_file(&before, &changed[i]), "a changed %s is a changed file",
              what[i]);
}

static long long nanoseconds(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static void check_settling(void)
{
    struct stat status = a_file();
    long long newest = nanoseconds(status.st_ctim); /* ctime is the later one here */
    long long settled = newest + FILE_CACHE_SETTLED_NS;
    CHECK(file_cache_settled(&status, settled, 16384), "exactly settled");
    CHECK(!file_cache_settled(&status, settled - 1, 16384), "one nanosecond short (ctime)");
    status.st_mtim = status.st_ctim;
    status.st_ctim = a_file().st_mtim; /* now mtime is the later one */
    CHECK(!file_cache_settled(&status, settled - 1, 16384), "one nanosecond short (mtime)");
    CHECK(file_cache_settled(&status, settled, 16384), "exactly settled (mtime)");
    status = a_file();
    CHECK(!file_cache_settled(&status, nanoseconds(status.st_mtim) - 1, 16384),
          "a timestamp in the future never settles");
    CHECK(file_cache_settled(&status, settled, 1024), "size at the bound");
    CHECK(!file_cache_settled(&status, settled, 1023), "size over the bound");
    status.st_size = 0;
    CHECK(!file_cache_settled(&status, settled, 16384), "an empty file is not taken");
    status = a_file();
    status.st_mode = S_IFDIR | 0755;
    CHECK(!file_cache_settled(&status, settled, 16384), "a directory is not taken");
    status.st_mode = S_IFIFO | 0644;
    CHECK(!file_cache_settled(&status, settled, 16384), "a FIFO is not taken");
}

void test_file_cache(void)
{
    check_one_field_changes();
    check_settling();
}
