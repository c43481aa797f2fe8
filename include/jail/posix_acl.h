/* posix_acl.h: does a POSIX access ACL grant write access to a user or group?
 *
 * Contract: posix_acl_grants_write() reads the value of a file's
 * "system.posix_acl_access" extended attribute, as getxattr(2) returns it (the
 * kernel's little-endian posix_acl_xattr layout: a version word, then tag,
 * permission, id entries), and answers whether a named user entry for uid or a
 * named group entry for gid holds write permission that the mask, when there
 * is one, lets through (acl(5), "ACCESS CHECK ALGORITHM"). The owner, owning
 * group and other entries are the mode bits, which the caller judges itself.
 * Must not: read past length, or accept a value it cannot read completely. */
#ifndef PRONG_POSIX_ACL_H
#define PRONG_POSIX_ACL_H

#include <stddef.h>
#include <sys/types.h>

enum posix_acl_verdict { ACL_NO_WRITE, ACL_GRANTS_WRITE, ACL_MALFORMED };

enum posix_acl_verdict posix_acl_grants_write(const unsigned char *value, size_t length, uid_t uid,
                                              gid_t gid);

/* The same for anyone but uid: does a named user entry for another user, or
 * any named group entry, hold write permission the mask lets through? (For a
 * log directory, which only its owner may write.) */
enum posix_acl_verdict posix_acl_grants_write_to_others(const unsigned char *value, size_t length,
                                                        uid_t uid);

#endif
