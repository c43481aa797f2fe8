/* privileges.c: user and capability changes, each one checked after it is made.
 *
 * libcap-ng does the work (capng_change_id clears supplementary groups and the
 * bounding set while keeping the capabilities we name); the results are read
 * back with capget(2), getresuid(2), getresgid(2) and getgroups(2) rather than
 * trusted, because a silently failed drop is the one mistake a hardened server
 * cannot make. capget is used instead of /proc because these checks also run
 * inside the chroot. Must not: raise a privilege or continue after a failed check. */
#include "jail/privileges.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"

/* "UID:GID", both decimal, neither 0 nor (id_t)-1 (which setresuid reads as
 * "unchanged"): 1 with the ids, 0 when text is not of that form (a name), -1
 * when it is but an id is out of range. */
int privileges_parse_numeric_user(const char *text, uid_t *uid, gid_t *gid)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text || !colon[1])
        return 0;
    unsigned long long ids[2] = {0, 0};
    const char *parts[2] = {text, colon + 1};
    const size_t lengths[2] = {(size_t)(colon - text), strlen(colon + 1)};
    for (size_t i = 0; i < 2; i++) {
        if (lengths[i] > 10 || strspn(parts[i], "0123456789") != lengths[i])
            return 0;
        ids[i] = 0;
        for (size_t j = 0; j < lengths[i]; j++)
            ids[i] = ids[i] * 10 + (unsigned long long)(parts[i][j] - '0');
        if (ids[i] == 0 || ids[i] >= 0xffffffffull)
            return -1;
    }
    *uid = (uid_t)ids[0];
    *gid = (gid_t)ids[1];
    return 1;
}

/* --user UID:GID: no lookup at all (no NSS, no /etc/passwd), so a static binary
 * on an LDAP or sssd host, or a container without those files, can still run
 * as a dedicated account. Its name is the ids themselves. */
static int resolve_numeric_user(const char *name, struct run_user *user, char *error,
                                size_t error_size)
{
    /* A name never holds ':' (passwd's separator): a digit, then one, is UID:GID. */
    if (privileges_parse_numeric_user(name, &user->uid, &user->gid) != 1) {
        snprintf(error, error_size,
                 "--user %s: expected UID:GID with decimal ids from 1 to 4294967294 (never 0: "
                 "root)",
                 name);
        return -1;
    }
    if (geteuid() != 0 && (user->uid != geteuid() || user->gid != getegid()) &&
        !privileges_can_change_ids()) {
        snprintf(error, error_size,
                 "--user %s needs root or CAP_SETUID and CAP_SETGID: started as uid %ld gid %ld",
                 name, (long)geteuid(), (long)getegid());
        return -1;
    }
    snprintf(user->name, sizeof user->name, "%s", name);
    return 0;
}

int privileges_resolve_user(const char *name, struct run_user *user, char *error, size_t error_size)
{
    struct passwd *entry;
    memset(user, 0, sizeof *user);
    if (name && name[0] >= '0' && name[0] <= '9' && strchr(name, ':'))
        return resolve_numeric_user(name, user, error, error_size);
    errno = 0;
    if (name)
        entry = getpwnam(name);
    else if (geteuid() == 0)
        entry = getpwnam("nobody");
    else
        entry = getpwuid(geteuid());
    if (!entry) {
        snprintf(error, error_size, "unknown user '%s'%s%s", name ? name : "nobody",
                 errno ? ": " : "", errno ? strerror(errno) : "");
        return -1;
    }
    if (entry->pw_uid == 0 || entry->pw_gid == 0) {
        snprintf(error, error_size,
                 "refusing to run as user '%s': its uid or gid is 0 (use --user)", entry->pw_name);
        return -1;
    }
    if (geteuid() != 0 && entry->pw_uid != geteuid() && !privileges_can_change_ids()) {
        snprintf(error, error_size,
                 "--user %s needs root or CAP_SETUID and CAP_SETGID: started as uid %ld",
                 entry->pw_name, (long)geteuid());
        return -1;
    }
    user->uid = entry->pw_uid;
    user->gid = entry->pw_gid;
    snprintf(user->name, sizeof user->name, "%s", entry->pw_name);
    return 0;
}

/* The three capability sets as the kernel reports them (capget, version 3). */
struct capability_sets {
    uint64_t effective, permitted, inheritable;
};

static int read_capability_sets(struct capability_sets *sets)
{
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0)
        return -1;
    sets->effective = data[0].effective | ((uint64_t)data[1].effective << 32);
    sets->permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
    sets->inheritable = data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
    return 0;
}

static int ambient_is_empty(void)
{
    for (int capability = 0; capability <= CAP_LAST_CAP; capability++) {
        int set = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability, 0, 0);
        if (set != 0)
            return 0; /* set, or the query failed: not provably empty */
    }
    return 1;
}

int privileges_can_chroot(void)
{
    struct capability_sets sets;
    return read_capability_sets(&sets) == 0 && (sets.effective & (1ull << CAP_SYS_CHROOT));
}

static int verify_ids(const struct run_user *user, bool require_no_groups, char *error,
                      size_t error_size)
{
    uid_t real_uid, effective_uid, saved_uid;
    gid_t real_gid, effective_gid, saved_gid;
    if (getresuid(&real_uid, &effective_uid, &saved_uid) != 0 ||
        getresgid(&real_gid, &effective_gid, &saved_gid) != 0) {
        snprintf(error, error_size, "cannot read back the process ids: %s", strerror(errno));
        return -1;
    }
    if (real_uid != user->uid || effective_uid != user->uid || saved_uid != user->uid ||
        real_gid != user->gid || effective_gid != user->gid || saved_gid != user->gid) {
        snprintf(error, error_size,
                 "the drop to %s did not take: uids %ld/%ld/%ld gids %ld/%ld/%ld", user->name,
                 (long)real_uid, (long)effective_uid, (long)saved_uid, (long)real_gid,
                 (long)effective_gid, (long)saved_gid);
        return -1;
    }
    gid_t groups[1];
    int group_count = getgroups(0, groups);
    if (!require_no_groups)
        return 0; /* an ordinary user keeps its own groups: it cannot shed them */
    if (group_count < 0 || (group_count > 0 && !(group_count == 1 && getgroups(1, groups) == 1 &&
                                                 groups[0] == user->gid))) {
        snprintf(error, error_size, "supplementary groups remain after the drop (%d)", group_count);
        return -1;
    }
    return 0;
}

int privileges_drop_to_user(const struct run_user *user, char *error, size_t error_size)
{
    int started_as_root = geteuid() == 0;
    int holds_chroot = privileges_can_chroot();
    bool change_ids = started_as_root || user->uid != geteuid() || user->gid != getegid();
    capng_clear(CAPNG_SELECT_BOTH);
    if (holds_chroot && capng_update(CAPNG_ADD, (capng_type_t)(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                                     CAP_SYS_CHROOT) != 0) {
        snprintf(error, error_size, "cannot prepare the capability set");
        return -1;
    }
    if (change_ids) {
        /* Clearing the bounding set needs CAP_SETPCAP, which only root holds here;
         * a service started with CAP_SETUID and CAP_SETGID has its unit's bounding set. */
        capng_flags_t flags = (capng_flags_t)(CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT |
                                              (started_as_root ? CAPNG_CLEAR_BOUNDING : 0));
        int result = capng_change_id((int)user->uid, (int)user->gid, flags);
        if (result != 0) {
            snprintf(error, error_size, "cannot become user %s (libcap-ng error %d): %s",
                     user->name, result, strerror(errno));
            return -1;
        }
    } else if (capng_apply((capng_select_t)(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT)) != 0) {
        snprintf(error, error_size, "cannot drop capabilities: %s", strerror(errno));
        return -1;
    }
    if (verify_ids(user, change_ids, error, error_size) != 0)
        return -1;
    struct capability_sets sets;
    uint64_t allowed = holds_chroot ? (1ull << CAP_SYS_CHROOT) : 0;
    if (read_capability_sets(&sets) != 0 || (sets.effective & ~allowed) ||
        (sets.permitted & ~allowed) || sets.inheritable || !ambient_is_empty()) {
        snprintf(error, error_size, "capabilities other than CAP_SYS_CHROOT remain after the drop");
        return -1;
    }
    if (started_as_root && prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) {
        snprintf(error, error_size, "the capability bounding set was not cleared");
        return -1;
    }
    return 0;
}

int privileges_can_change_ids(void)
{
    struct capability_sets sets;
    uint64_t needed = (1ull << CAP_SETUID) | (1ull << CAP_SETGID);
    return read_capability_sets(&sets) == 0 && (sets.effective & needed) == needed;
}

int privileges_resolve_log_user(const char *name, const struct run_user *run_user,
                                struct run_user *log_user, char *error, size_t error_size)
{
    memset(log_user, 0, sizeof *log_user);
    if (geteuid() != 0) {
        /* An ordinary user, or a service started as its log user: it stays who it is. */
        if (name) {
            snprintf(error, error_size, "--log-user %s needs root: started as uid %ld", name,
                     (long)geteuid());
            return -1;
        }
        log_user->uid = geteuid();
        log_user->gid = getegid();
        snprintf(log_user->name, sizeof log_user->name, "uid %ld (as started)", (long)geteuid());
        return 0;
    }
    if (name || getpwnam(DEFAULT_LOG_USER)) {
        if (privileges_resolve_user(name ? name : DEFAULT_LOG_USER, log_user, error, error_size) !=
            0)
            return -1;
    } else {
        struct passwd *taken = getpwuid(FALLBACK_LOG_ID);
        if (taken) {
            snprintf(error, error_size,
                     "the monitor's fallback uid %d belongs to '%s': give --log-user (there is no "
                     "user " DEFAULT_LOG_USER ")",
                     FALLBACK_LOG_ID, taken->pw_name);
            return -1;
        }
        log_user->uid = FALLBACK_LOG_ID;
        log_user->gid = FALLBACK_LOG_ID;
        snprintf(log_user->name, sizeof log_user->name, "uid %d (unallocated)", FALLBACK_LOG_ID);
    }
    if (log_user->uid == run_user->uid) {
        snprintf(error, error_size,
                 "--log-user %s: the monitor must not run as the run user (%s), whose processes "
                 "it must not share a uid with",
                 log_user->name, run_user->name);
        return -1;
    }
    return 0;
}

int privileges_become_log_user(const struct run_user *log_user, char *error, size_t error_size)
{
    if (geteuid() != 0)
        return privileges_drop_all(error, error_size);
    capng_clear(CAPNG_SELECT_BOTH);
    int result = capng_change_id(
        (int)log_user->uid, (int)log_user->gid,
        (capng_flags_t)(CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT));
    if (result != 0) {
        snprintf(error, error_size, "cannot become the log user %s (libcap-ng error %d): %s",
                 log_user->name, result, strerror(errno));
        return -1;
    }
    if (verify_ids(log_user, true, error, error_size) != 0)
        return -1;
    struct capability_sets sets;
    if (read_capability_sets(&sets) != 0 || sets.effective || sets.permitted || sets.inheritable ||
        !ambient_is_empty()) {
        snprintf(error, error_size, "capabilities remain after becoming the log user");
        return -1;
    }
    return 0;
}

int privileges_drop_all(char *error, size_t error_size)
{
    struct capability_sets before;
    if (read_capability_sets(&before) != 0) {
        snprintf(error, error_size, "cannot read the capability sets: %s", strerror(errno));
        return -1;
    }
    /* Clearing the bounding set needs CAP_SETPCAP (capabilities(7)); without it
     * (systemd's non-root mode) the unit's CapabilityBoundingSet= bounds it. */
    int may_clear_bounding = (before.effective & (1ull << CAP_SETPCAP)) != 0;
    capng_clear(CAPNG_SELECT_ALL);
    capng_select_t sets = (capng_select_t)(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT |
                                           (may_clear_bounding ? CAPNG_SELECT_BOUNDS : 0));
    if (capng_apply(sets) != 0) {
        snprintf(error, error_size, "cannot drop every capability: %s", strerror(errno));
        return -1;
    }
    struct capability_sets held;
    if (read_capability_sets(&held) != 0 || held.effective || held.permitted || held.inheritable ||
        !ambient_is_empty()) {
        snprintf(error, error_size, "capabilities remain after dropping them all");
        return -1;
    }
    return 0;
}
