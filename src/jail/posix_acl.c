/* posix_acl.c: read a "system.posix_acl_access" value and say whether it lets a
 * given user or group write (include/jail/posix_acl.h).
 *
 * The layout is the kernel's (include/uapi/linux/posix_acl_xattr.h): a 32-bit
 * version (2), then 8-byte entries of a 16-bit tag, a 16-bit permission and a
 * 32-bit id, all little-endian. Named entries (ACL_USER, ACL_GROUP) and the
 * owning group's entry are limited by ACL_MASK (acl(5)); a value with a named
 * entry must have a mask, so one without is refused as malformed, as is any
 * unknown tag or a length that is not whole entries.
 * Must not: read past the length given, or allocate. */
#include "jail/posix_acl.h"

#include <stdbool.h>
#include <stdint.h>

#define ACL_XATTR_VERSION 2u
#define ACL_HEADER_BYTES 4u
#define ACL_ENTRY_BYTES 8u

/* Tags and the write bit, as acl(5) and the kernel define them. */
#define TAG_USER_OBJ 0x01u
#define TAG_USER 0x02u
#define TAG_GROUP_OBJ 0x04u
#define TAG_GROUP 0x08u
#define TAG_MASK 0x10u
#define TAG_OTHER 0x20u
#define PERMISSION_WRITE 0x02u

static uint32_t little_endian_32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

static uint16_t little_endian_16(const unsigned char *bytes)
{
    return (uint16_t)(bytes[0] | bytes[1] << 8);
}

/* Which named entries count as writers: those for uid/gid, or (others) every
 * one but a user entry for uid. */
struct writer_query {
    uid_t uid;
    gid_t gid;
    bool others;
};

static bool counts(const struct writer_query *query, uint16_t tag, uint32_t id)
{
    if (query->others)
        return !(tag == TAG_USER && id == (uint32_t)query->uid);
    return tag == TAG_USER ? id == (uint32_t)query->uid : id == (uint32_t)query->gid;
}

static enum posix_acl_verdict scan(const unsigned char *value, size_t length,
                                   const struct writer_query *query)
{
    if (length < ACL_HEADER_BYTES || (length - ACL_HEADER_BYTES) % ACL_ENTRY_BYTES != 0 ||
        little_endian_32(value) != ACL_XATTR_VERSION)
        return ACL_MALFORMED;
    bool named_writer = false, named_entries = false, has_mask = false, mask_writes = false;
    for (size_t at = ACL_HEADER_BYTES; at < length; at += ACL_ENTRY_BYTES) {
        uint16_t tag = little_endian_16(value + at);
        bool writes = (little_endian_16(value + at + 2) & PERMISSION_WRITE) != 0;
        uint32_t id = little_endian_32(value + at + 4);
        switch (tag) {
        case TAG_USER:
        case TAG_GROUP:
            named_entries = true;
            named_writer = named_writer || (writes && counts(query, tag, id));
            break;
        case TAG_MASK:
            if (has_mask)
                return ACL_MALFORMED;
            has_mask = true;
            mask_writes = writes;
            break;
        case TAG_USER_OBJ:
        case TAG_GROUP_OBJ:
        case TAG_OTHER: break; /* the mode bits: judged by the caller */
        default: return ACL_MALFORMED;
        }
    }
    if (named_entries && !has_mask)
        return ACL_MALFORMED;
    return named_writer && mask_writes ? ACL_GRANTS_WRITE : ACL_NO_WRITE;
}

enum posix_acl_verdict posix_acl_grants_write(const unsigned char *value, size_t length, uid_t uid,
                                              gid_t gid)
{
    struct writer_query query = {uid, gid, false};
    return scan(value, length, &query);
}

enum posix_acl_verdict posix_acl_grants_write_to_others(const unsigned char *value, size_t length,
                                                        uid_t uid)
{
    struct writer_query query = {uid, 0, true};
    return scan(value, length, &query);
}
