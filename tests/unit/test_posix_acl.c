/* test_posix_acl.c: unit tests of src/jail/posix_acl.c (include/jail/posix_acl.h).
 *
 * What it does: builds access-ACL values by hand in the kernel's xattr layout
 * and checks the verdict: minimal ACLs (mode bits only) grant nothing; a named
 * user or group entry for the run user's uid or gid with write grants it only
 * when the mask lets write through, whatever the entry order; entries for
 * other ids, or a user entry whose id equals the gid, grant nothing; malformed
 * values (short, wrong version, partial entry, unknown tag, two masks, a named
 * entry without a mask) are refused, including every truncation of a valid
 * value that is not whole entries. Then 20,000 random well-formed ACLs against
 * a model written here, and random bytes of random lengths, each value an
 * exact heap copy so AddressSanitizer sees any read past its length.
 * Contract: only include/jail/posix_acl.h is used. Must not: touch a file. */
#include <stdlib.h>
#include <string.h>

#include "jail/posix_acl.h"
#include "unit.h"
#include "unit_suites.h"

#define RUN_UID 65534u
#define RUN_GID 65533u
#define ANY 0xffffffffu

enum { USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, GROUP = 0x08, MASK = 0x10, OTHER = 0x20 };

struct entry {
    unsigned tag, permission, id;
};

/* The xattr value of entries: version 2, then tag, permission, id (little-endian). */
static size_t encode(const struct entry *entries, size_t count, unsigned char *out)
{
    out[0] = 2, out[1] = 0, out[2] = 0, out[3] = 0;
    size_t at = 4;
    for (size_t i = 0; i < count; i++, at += 8) {
        out[at] = (unsigned char)entries[i].tag, out[at + 1] = (unsigned char)(entries[i].tag >> 8);
        out[at + 2] = (unsigned char)entries[i].permission,
                 out[at + 3] = (unsigned char)(entries[i].permission >> 8);
        for (unsigned b = 0; b < 4; b++)
            out[at + 4 + b] = (unsigned char)(entries[i].id >> (8 * b));
    }
    return at;
}

static enum posix_acl_verdict judge_bytes(const unsigned char *value, size_t length)
{
    char *copy = unit_exact_copy((const char *)value, length);
    enum posix_acl_verdict verdict =
        posix_acl_grants_write((const unsigned char *)copy, length, RUN_UID, RUN_GID);
    free(copy);
    return verdict;
}

static enum posix_acl_verdict judge(const struct entry *entries, size_t count)
{
    unsigned char value[4 + 8 * 64];
    return judge_bytes(value, encode(entries, count, value));
}

#define JUDGE(expected, description, ...)                                                  \
    do {                                                                                   \
        const struct entry entries_[] = {__VA_ARGS__};                                     \
        CHECK_INT(judge(entries_, sizeof entries_ / sizeof entries_[0]), (expected), "%s", \
                  (description));                                                          \
    } while (0)

static void fixed_cases(void)
{
    JUDGE(ACL_NO_WRITE, "minimal ACL", {USER_OBJ, 7, ANY}, {GROUP_OBJ, 7, ANY}, {OTHER, 7, ANY});
    JUDGE(ACL_GRANTS_WRITE, "named user, rw, mask rw", {USER_OBJ, 6, ANY}, {USER, 6, RUN_UID},
          {GROUP_OBJ, 4, ANY}, {MASK, 6, ANY}, {OTHER, 4, ANY});
    JUDGE(ACL_GRANTS_WRITE, "named user, write only, mask write only", {USER_OBJ, 6, ANY},
          {USER, 2, RUN_UID}, {GROUP_OBJ, 4, ANY}, {MASK, 2, ANY}, {OTHER, 4, ANY});
    JUDGE(ACL_NO_WRITE, "named user, rw, mask r", {USER_OBJ, 6, ANY}, {USER, 6, RUN_UID},
          {GROUP_OBJ, 4, ANY}, {MASK, 4, ANY}, {OTHER, 4, ANY});
    JUDGE(ACL_NO_WRITE, "named user, r, mask rw", {USER_OBJ, 6, ANY}, {USER, 4, RUN_UID},
          {GROUP_OBJ, 4, ANY}, {MASK, 6, ANY}, {OTHER, 4, ANY});
    JUDGE(
        ACL_GRANTS_WRITE,
        "mask before the named entry (the kernel sorts entries; the verdict must not depend on it)",
        {MASK, 7, ANY}, {USER, 7, RUN_UID}, {USER_OBJ, 7, ANY}, {GROUP_OBJ, 5, ANY},
        {OTHER, 5, ANY});
    JUDGE(ACL_GRANTS_WRITE, "named group of the run gid", {USER_OBJ, 7, ANY}, {GROUP_OBJ, 5, ANY},
          {GROUP, 7, RUN_GID}, {MASK, 7, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_NO_WRITE, "named user and group of other ids", {USER_OBJ, 7, ANY}, {USER, 7, 1000},
          {GROUP_OBJ, 5, ANY}, {GROUP, 7, 1000}, {MASK, 7, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_NO_WRITE, "a user entry whose id is the run gid", {USER_OBJ, 7, ANY},
          {USER, 7, RUN_GID}, {GROUP_OBJ, 5, ANY}, {MASK, 7, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_NO_WRITE, "a group entry whose id is the run uid", {USER_OBJ, 7, ANY},
          {GROUP, 7, RUN_UID}, {GROUP_OBJ, 5, ANY}, {MASK, 7, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_GRANTS_WRITE, "the writer after a reader of the same uid", {USER_OBJ, 7, ANY},
          {USER, 4, RUN_UID}, {USER, 6, RUN_UID}, {GROUP_OBJ, 5, ANY}, {MASK, 7, ANY},
          {OTHER, 5, ANY});
    JUDGE(ACL_NO_WRITE, "owner, owning group and other with write (the mode bits' part)",
          {USER_OBJ, 7, ANY}, {GROUP_OBJ, 7, ANY}, {MASK, 7, ANY}, {OTHER, 7, ANY});
    JUDGE(ACL_MALFORMED, "a named entry without a mask", {USER_OBJ, 7, ANY}, {USER, 7, RUN_UID},
          {GROUP_OBJ, 5, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_MALFORMED, "two masks", {USER_OBJ, 7, ANY}, {USER, 7, RUN_UID}, {GROUP_OBJ, 5, ANY},
          {MASK, 7, ANY}, {MASK, 7, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_MALFORMED, "an unknown tag", {USER_OBJ, 7, ANY}, {0x40, 7, RUN_UID},
          {GROUP_OBJ, 5, ANY}, {OTHER, 5, ANY});
    JUDGE(ACL_MALFORMED, "tag 0", {0, 7, RUN_UID});
    JUDGE(ACL_MALFORMED, "two tag bits at once", {USER | GROUP, 7, RUN_UID}, {MASK, 7, ANY});

    static const unsigned char empty_v2[] = {2, 0, 0, 0}, version_1[] = {1, 0, 0, 0},
                               big_endian[] = {0, 0, 0, 2};
    CHECK_INT(judge_bytes(empty_v2, sizeof empty_v2), ACL_NO_WRITE, "a header and no entries");
    CHECK_INT(judge_bytes(version_1, sizeof version_1), ACL_MALFORMED, "version 1");
    CHECK_INT(judge_bytes(big_endian, sizeof big_endian), ACL_MALFORMED, "a big-endian version");
    CHECK_INT(judge_bytes(empty_v2, 0), ACL_MALFORMED, "an empty value");

    /* Every truncation of a value that grants: partial entries are malformed;
     * whole-entry prefixes are judged on what they hold. */
    const struct entry granting[] = {
        {USER_OBJ, 7, ANY}, {MASK, 7, ANY}, {USER, 7, RUN_UID}, {GROUP_OBJ, 5, ANY}};
    unsigned char value[64];
    size_t length = encode(granting, 4, value);
    for (size_t cut = 0; cut <= length; cut++) {
        enum posix_acl_verdict expected = cut < 4 || (cut - 4) % 8 != 0 ? ACL_MALFORMED
                                          : cut >= 4 + 3 * 8            ? ACL_GRANTS_WRITE
                                                                        : ACL_NO_WRITE;
        CHECK_INT(judge_bytes(value, cut), expected, "the granting value cut to %zu of %zu bytes",
                  cut, length);
    }
}

/* The model: acl(5)'s rule for write by a named entry, written out plainly. */
static enum posix_acl_verdict model(const struct entry *entries, size_t count)
{
    int masks = 0, named = 0, mask_write = 0, writer = 0;
    for (size_t i = 0; i < count; i++) {
        const struct entry *e = &entries[i];
        if (e->tag == MASK)
            masks++, mask_write = (e->permission & 2) != 0;
        if (e->tag == USER || e->tag == GROUP)
            named++;
        if ((e->tag == USER && e->id == RUN_UID) || (e->tag == GROUP && e->id == RUN_GID))
            writer |= (e->permission & 2) != 0;
    }
    if (masks > 1 || (named && !masks))
        return ACL_MALFORMED;
    return writer && mask_write ? ACL_GRANTS_WRITE : ACL_NO_WRITE;
}

static void random_cases(void)
{
    static const unsigned TAGS[] = {USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER};
    static const unsigned IDS[] = {RUN_UID, RUN_GID, 0, 1000, ANY};
    uint64_t state = unit_random_state(0xac1u);
    for (int round = 0; round < 20000; round++) {
        struct entry entries[12];
        size_t count = (size_t)unit_random_below(&state, 12);
        for (size_t i = 0; i < count; i++)
            entries[i] = (struct entry){TAGS[unit_random_below(&state, 6)],
                                        (unsigned)unit_random_below(&state, 8),
                                        IDS[unit_random_below(&state, 5)]};
        CHECK_INT(judge(entries, count), model(entries, count), "random ACL %d (%zu entries)",
                  round, count);
    }
    for (int round = 0; round < 20000; round++) {
        unsigned char bytes[80];
        size_t length = (size_t)unit_random_below(&state, sizeof bytes + 1);
        for (size_t i = 0; i < length; i++)
            bytes[i] = (unsigned char)unit_random(&state);
        if (length >= 4 && unit_random_below(&state, 2))
            bytes[0] = 2,
            bytes[1] = bytes[2] = bytes[3] = 0; /* a valid header: the entries get read */
        enum posix_acl_verdict verdict = judge_bytes(bytes, length);
        CHECK(verdict == ACL_NO_WRITE || verdict == ACL_GRANTS_WRITE || verdict == ACL_MALFORMED,
              "random bytes %d: a verdict", round);
    }
}

void test_posix_acl(void)
{
    fixed_cases();
    random_cases();
}
