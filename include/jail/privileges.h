/* privileges.h: who each process runs as, and the capabilities it keeps.
 *
 * Contract: privilege only shrinks. privileges_resolve_user() looks the run
 * user up before any drop (NSS is out of reach afterwards). The supervisor calls
 * privileges_drop_to_user() (setgroups(0), setresgid, setresuid; CAP_SYS_CHROOT
 * kept, the bounding set cleared when root) and, once in the jail,
 * privileges_drop_all(); the monitor calls privileges_become_log_user(), a uid
 * of its own. Each function verifies its result through capget/getres*id and fails
 * closed: a caller that sees -1 must end the process.
 * Must not: raise any privilege, or report success without checking. */
#ifndef PRONG_PRIVILEGES_H
#define PRONG_PRIVILEGES_H

#include <stddef.h>
#include <sys/types.h>

struct run_user {
    uid_t uid;
    gid_t gid;
    char name[64];
};

/* The run user: name given (looked up), or "UID:GID" (taken as is, no lookup),
 * else "nobody" when root, else the current user. Refuses uid 0 or gid 0. 0 on
 * success, -1 with a one-line reason. */
int privileges_resolve_user(const char *name, struct run_user *user, char *error,
                            size_t error_size);

/* Pure: "UID:GID" with decimal ids. 1 with *uid and *gid set; 0 when text is
 * not of that form (then it is a name); -1 when an id is 0, (id_t)-1 or larger. */
int privileges_parse_numeric_user(const char *text, uid_t *uid, gid_t *gid);

/* Become the run user keeping only CAP_SYS_CHROOT (effective and permitted).
 * Started as an ordinary user, the ids stay and only CAP_SYS_CHROOT is kept if
 * it is held at all. 0 on success, -1 with the reason. */
int privileges_drop_to_user(const struct run_user *user, char *error, size_t error_size);

/* Drop every capability: effective, permitted, inheritable, ambient, and the
 * bounding set when CAP_SETPCAP allows it. 0 on success, -1 with the reason. */
int privileges_drop_all(char *error, size_t error_size);

/* 1 if this process holds CAP_SYS_CHROOT in its effective set. */
int privileges_can_chroot(void);

/* 1 if it holds CAP_SETUID and CAP_SETGID (a service started as its log user). */
int privileges_can_change_ids(void);

/* Who the monitor becomes (--log-user): the named user; without one,
 * DEFAULT_LOG_USER if it exists, else FALLBACK_LOG_ID, which no account may
 * hold. Never root, never the run user. Started as an ordinary user (or a
 * service user), the monitor stays who it is. 0, or -1 with the reason. */
int privileges_resolve_log_user(const char *name, const struct run_user *run_user,
                                struct run_user *log_user, char *error, size_t error_size);

/* The monitor's drop: setgroups(0), setresgid, setresuid to the log user, no
 * capability, bounding set cleared; or, not started as root, every capability
 * dropped. Verified; 0, or -1 with the reason. */
int privileges_become_log_user(const struct run_user *log_user, char *error, size_t error_size);

#endif
