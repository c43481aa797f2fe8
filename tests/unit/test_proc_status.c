/* test_proc_status.c: unit tests of src/jail/proc_status.c (include/jail/proc_status.h).
 *
 * What it does: reads this process's real /proc/self/status through
 * proc_status_read() and compares every field with what the kernel says
 * through other calls (getresuid, getresgid, setfsuid/setfsgid(-1), getgroups,
 * capget, PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET, PR_GET_NO_NEW_PRIVS,
 * PR_GET_SECCOMP); reads a forked child that set no_new_privs (so the pid is
 * honoured); then parses synthetic texts: complete, empty, each field missing
 * in turn (it must stay unknown: -1 or UINT64_MAX), Groups empty, several,
 * and longer than any line buffer, and malformed values (unknown, never a
 * value that could pass a check).
 *
 * Contract: synthetic texts are exact heap copies without a terminating NUL.
 * Must not: change this process's credentials or security state (the child
 * that sets no_new_privs is killed and reaped). */
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/proc_status.h"
#include "unit.h"
#include "unit_suites.h"

#define UNKNOWN_CAPS UINT64_MAX

static void parse_exact(const char *text, size_t length, struct proc_status *status)
{
    char *copy = unit_exact_copy(text, length);
    memset(status, 0x5A, sizeof *status); /* every field must be written */
    proc_status_parse(copy, length, status);
    free(copy);
}

static void parse_text(const char *text, struct proc_status *status)
{
    parse_exact(text, strlen(text), status);
}

/* ------------------------------------------------------------------ the real file */

static uint64_t capability_word(const struct __user_cap_data_struct data[2], int which)
{
    uint32_t low = which == 0   ? data[0].effective
                   : which == 1 ? data[0].permitted
                                : data[0].inheritable;
    uint32_t high = which == 0   ? data[1].effective
                    : which == 1 ? data[1].permitted
                                 : data[1].inheritable;
    return (uint64_t)high << 32 | low;
}

static void test_real_self(void)
{
    struct proc_status status;
    memset(&status, 0x5A, sizeof status);
    if (!CHECK(proc_status_read((long)getpid(), &status) == 0, "proc_status_read(getpid())"))
        return;
    uid_t uids[3];
    gid_t gids[3];
    getresuid(&uids[0], &uids[1], &uids[2]);
    getresgid(&gids[0], &gids[1], &gids[2]);
    long fsuid = (long)setfsuid((uid_t)-1), fsgid = (long)setfsgid((gid_t)-1); /* -1: query only */
    static const char *const WHICH[4] = {"real", "effective", "saved", "file-system"};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(status.uid[i], (long)uids[i], "%s uid", WHICH[i]);
        CHECK_INT(status.gid[i], (long)gids[i], "%s gid", WHICH[i]);
    }
    CHECK_INT(status.uid[3], fsuid, "file-system uid");
    CHECK_INT(status.gid[3], fsgid, "file-system gid");
    CHECK_INT(status.group_count, getgroups(0, NULL), "supplementary group count");

    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (CHECK(syscall(SYS_capget, &header, data) == 0, "capget")) {
        CHECK_UINT(status.cap_effective, capability_word(data, 0), "CapEff");
        CHECK_UINT(status.cap_permitted, capability_word(data, 1), "CapPrm");
        CHECK_UINT(status.cap_inheritable, capability_word(data, 2), "CapInh");
    }
    uint64_t bounding = 0, ambient = 0;
    for (unsigned long capability = 0; capability < 64; capability++) {
        if (prctl(PR_CAPBSET_READ, capability, 0, 0, 0) == 1)
            bounding |= (uint64_t)1 << capability;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability, 0, 0) == 1)
            ambient |= (uint64_t)1 << capability;
    }
    CHECK_UINT(status.cap_bounding, bounding, "CapBnd");
    CHECK_UINT(status.cap_ambient, ambient, "CapAmb");
    CHECK_INT(status.no_new_privs, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), "NoNewPrivs");
    CHECK_INT(status.seccomp, prctl(PR_GET_SECCOMP, 0, 0, 0, 0), "Seccomp");
    CHECK(status.seccomp_filters >= 0 && (status.seccomp_filters > 0) == (status.seccomp == 2),
          "Seccomp_filters %d is known and agrees with Seccomp %d", status.seccomp_filters,
          status.seccomp);

    memset(&status, 0x5A, sizeof status);
    CHECK_INT(proc_status_read(0, &status), -1,
              "proc_status_read(0): /proc/0/status does not exist");
    CHECK_INT(proc_status_read(-5, &status), -1, "proc_status_read(-5)");
}

/* A child that sets no_new_privs: read through its pid, not ours. */
static void test_real_child(void)
{
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
        return; /* already set here: the child would not differ from us */
    int ready[2];
    if (!CHECK(pipe(ready) == 0, "pipe"))
        return;
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        int set = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
        char byte = set ? '1' : '0';
        if (write(ready[1], &byte, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char byte = 0;
    bool child_ready = child > 0 && read(ready[0], &byte, 1) == 1 && byte == '1';
    close(ready[0]);
    if (CHECK(child_ready, "a child that set no_new_privs")) {
        struct proc_status status;
        CHECK_INT(proc_status_read((long)child, &status), 0, "proc_status_read(child)");
        CHECK_INT(status.no_new_privs, 1, "the child's NoNewPrivs");
        struct proc_status own;
        proc_status_read((long)getpid(), &own);
        CHECK_INT(own.no_new_privs, 0, "ours is unchanged");
    }
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
}

/* ------------------------------------------------------------------ synthetic texts */

static const char *const COMPLETE_LINES[] = {
    "Name:\tprong\n",
    "Umask:\t0022\n",
    "State:\tS (sleeping)\n",
    "Uid:\t1000\t1001\t1002\t1003\n",
    "Gid:\t2000\t2001\t2002\t2003\n",
    "FDSize:\t64\n",
    "Groups:\t4 24 27 \n",
    "CapInh:\t0000000000000001\n",
    "CapPrm:\t000001ffffffffff\n",
    "CapEff:\t0000000000003000\n",
    "CapBnd:\t000001fffffffffe\n",
    "CapAmb:\t0000000000000000\n",
    "NoNewPrivs:\t1\n",
    "Seccomp:\t2\n",
    "Seccomp_filters:\t3\n",
    "Speculation_Store_Bypass:\tthread vulnerable\n",
};
#define COMPLETE_LINE_COUNT (sizeof COMPLETE_LINES / sizeof COMPLETE_LINES[0])

/* Which field a complete line sets (index into the checks below), or -1. */
enum field {
    FIELD_NONE = -1,
    FIELD_UID,
    FIELD_GID,
    FIELD_GROUPS,
    FIELD_CAP_INH,
    FIELD_CAP_PRM,
    FIELD_CAP_EFF,
    FIELD_CAP_BND,
    FIELD_CAP_AMB,
    FIELD_NO_NEW_PRIVS,
    FIELD_SECCOMP,
    FIELD_SECCOMP_FILTERS,
};

static enum field field_of_line(size_t line)
{
    static const enum field FIELDS[COMPLETE_LINE_COUNT] = {
        FIELD_NONE,    FIELD_NONE,    FIELD_NONE,         FIELD_UID,     FIELD_GID,
        FIELD_NONE,    FIELD_GROUPS,  FIELD_CAP_INH,      FIELD_CAP_PRM, FIELD_CAP_EFF,
        FIELD_CAP_BND, FIELD_CAP_AMB, FIELD_NO_NEW_PRIVS, FIELD_SECCOMP, FIELD_SECCOMP_FILTERS,
        FIELD_NONE};
    return FIELDS[line];
}

/* The complete text's values, or unknown for the field that is missing. */
static void check_fields(const struct proc_status *status, enum field missing, const char *what)
{
    for (int i = 0; i < 4; i++) {
        CHECK_INT(status->uid[i], missing == FIELD_UID ? -1 : 1000 + i, "%s: uid[%d]", what, i);
        CHECK_INT(status->gid[i], missing == FIELD_GID ? -1 : 2000 + i, "%s: gid[%d]", what, i);
    }
    CHECK_INT(status->group_count, missing == FIELD_GROUPS ? -1 : 3, "%s: group_count", what);
    CHECK_UINT(status->cap_inheritable, missing == FIELD_CAP_INH ? UNKNOWN_CAPS : 0x1, "%s: CapInh",
               what);
    CHECK_UINT(status->cap_permitted, missing == FIELD_CAP_PRM ? UNKNOWN_CAPS : 0x1ffffffffffull,
               "%s: CapPrm", what);
    CHECK_UINT(status->cap_effective, missing == FIELD_CAP_EFF ? UNKNOWN_CAPS : 0x3000,
               "%s: CapEff", what);
    CHECK_UINT(status->cap_bounding, missing == FIELD_CAP_BND ? UNKNOWN_CAPS : 0x1fffffffffeull,
               "%s: CapBnd", what);
    CHECK_UINT(status->cap_ambient, missing == FIELD_CAP_AMB ? UNKNOWN_CAPS : 0, "%s: CapAmb",
               what);
    CHECK_INT(status->no_new_privs, missing == FIELD_NO_NEW_PRIVS ? -1 : 1, "%s: NoNewPrivs", what);
    CHECK_INT(status->seccomp, missing == FIELD_SECCOMP ? -1 : 2, "%s: Seccomp", what);
    CHECK_INT(status->seccomp_filters, missing == FIELD_SECCOMP_FILTERS ? -1 : 3,
              "%s: Seccomp_filters", what);
}

static void check_all_unknown(const struct proc_status *status, const char *what)
{
    for (int i = 0; i < 4; i++) {
        CHECK_INT(status->uid[i], -1, "%s: uid[%d]", what, i);
        CHECK_INT(status->gid[i], -1, "%s: gid[%d]", what, i);
    }
    CHECK_INT(status->group_count, -1, "%s: group_count", what);
    CHECK_UINT(status->cap_inheritable, UNKNOWN_CAPS, "%s: CapInh", what);
    CHECK_UINT(status->cap_permitted, UNKNOWN_CAPS, "%s: CapPrm", what);
    CHECK_UINT(status->cap_effective, UNKNOWN_CAPS, "%s: CapEff", what);
    CHECK_UINT(status->cap_bounding, UNKNOWN_CAPS, "%s: CapBnd", what);
    CHECK_UINT(status->cap_ambient, UNKNOWN_CAPS, "%s: CapAmb", what);
    CHECK_INT(status->no_new_privs, -1, "%s: NoNewPrivs", what);
    CHECK_INT(status->seccomp, -1, "%s: Seccomp", what);
    CHECK_INT(status->seccomp_filters, -1, "%s: Seccomp_filters", what);
}

static void test_complete_and_missing(void)
{
    char text[2048];
    struct proc_status status;
    for (size_t skip = 0; skip <= COMPLETE_LINE_COUNT; skip++) {
        size_t length = 0;
        for (size_t i = 0; i < COMPLETE_LINE_COUNT; i++)
            if (i != skip)
                length +=
                    (size_t)snprintf(text + length, sizeof text - length, "%s", COMPLETE_LINES[i]);
        char what[96];
        if (skip == COMPLETE_LINE_COUNT)
            snprintf(what, sizeof what, "a complete status");
        else
            snprintf(what, sizeof what, "without line %zu (%.*s)", skip,
                     (int)strcspn(COMPLETE_LINES[skip], ":"), COMPLETE_LINES[skip]);
        parse_exact(text, length, &status);
        check_fields(&status, skip == COMPLETE_LINE_COUNT ? FIELD_NONE : field_of_line(skip), what);
        /* The same without the final newline. */
        parse_exact(text, length - 1, &status);
        check_fields(&status, skip == COMPLETE_LINE_COUNT ? FIELD_NONE : field_of_line(skip), what);
    }

    parse_exact("", 0, &status);
    check_all_unknown(&status, "an empty text");
    parse_text("Name:\tx\nState:\tR (running)\n", &status);
    check_all_unknown(&status, "a text without any of the fields");
    /* Names must match whole: prefixes, suffixes and other case are other fields. */
    parse_text("Ui:\t0\t0\t0\t0\nUidX:\t0\t0\t0\t0\nuid:\t0\t0\t0\t0\nCapEffX:\t0\nNoNewPriv:"
               "\t1\nSeccomp_filter:\t0\n"
               "seccomp:\t2\n Gid:\t0\t0\t0\t0\n",
               &status);
    check_all_unknown(&status, "near-miss field names");
    /* The length is honoured: a field after it is not read. */
    static const char CUT[] = "NoNewPrivs:\t1\nSeccomp:\t2\n";
    parse_exact(CUT, strlen("NoNewPrivs:\t1\n"), &status);
    CHECK_INT(status.no_new_privs, 1, "NoNewPrivs before the cut");
    CHECK_INT(status.seccomp, -1, "Seccomp after the cut is not read");
}

static void test_groups(void)
{
    struct proc_status status;
    parse_text("Groups:\t\n", &status);
    CHECK_INT(status.group_count, 0, "Groups: with no group");
    parse_text("Groups:", &status);
    CHECK_INT(status.group_count, 0, "Groups: at the very end, no newline");
    parse_text("Groups:\t0\n", &status);
    CHECK_INT(status.group_count, 1, "one group (root's, which is still a group)");
    parse_text("Groups:\t4 24 27 30 46 100 118 \n", &status);
    CHECK_INT(status.group_count, 7, "seven groups");
    parse_text("Groups:\t4\t24  27\n", &status);
    CHECK_INT(status.group_count, 3, "groups separated by tabs and double spaces");

    /* NGROUPS_MAX is 65536: a Groups line can be far longer than any line buffer. */
    static const int MANY[] = {100, 1000, 65536};
    for (size_t m = 0; m < sizeof MANY / sizeof MANY[0]; m++) {
        size_t size = 64 + (size_t)MANY[m] * 12;
        char *text = malloc(size);
        if (!text) {
            fprintf(stderr, "test_unit: out of memory\n");
            exit(2);
        }
        size_t length = (size_t)snprintf(text, size, "Uid:\t0\t0\t0\t0\nGroups:\t");
        for (int g = 0; g < MANY[m]; g++)
            length += (size_t)snprintf(text + length, size - length, "%d ", 1000000 + g);
        length += (size_t)snprintf(text + length, size - length, "\nNoNewPrivs:\t1\n");
        parse_exact(text, length, &status);
        CHECK_INT(status.group_count, MANY[m], "a Groups line of %d groups (%zu bytes)", MANY[m],
                  length);
        CHECK_INT(status.no_new_privs, 1, "the line after %d groups", MANY[m]);
        CHECK_INT(status.uid[3], 0, "the line before %d groups", MANY[m]);
        free(text);
    }
}

static void test_malformed(void)
{
    struct proc_status status;
    parse_text("Uid:\tabc\t1\t2\t3\n", &status);
    for (int i = 0; i < 4; i++)
        CHECK_INT(status.uid[i], -1, "Uid starting with text: uid[%d]", i);
    parse_text("Uid:\t1000\n", &status);
    CHECK_INT(status.uid[0], 1000, "Uid with one value: uid[0]");
    for (int i = 1; i < 4; i++)
        CHECK_INT(status.uid[i], -1, "Uid with one value: the missing uid[%d] is unknown", i);
    parse_text("Gid:\t5\t6\tx\t8\n", &status);
    CHECK_INT(status.gid[1], 6, "Gid with a bad third value: gid[1]");
    CHECK_INT(status.gid[2], -1, "Gid with a bad third value: gid[2]");
    CHECK_INT(status.gid[3], -1, "Gid with a bad third value: gid[3] is not read past it");

    /* A value that is not wholly a number is unknown, never a number it starts
     * with: "0x" for root, "-0" for 0, a wrapped int, trailing garbage. */
    static const struct {
        const char *text;
        const char *what;
    } BAD_IDS[] = {
        {"Uid:\t0x\t0x\t0x\t0x\n", "uids with trailing garbage"},
        {"Uid:\t-0\t-0\t-0\t-0\n", "negative zero uids"},
        {"Uid:\t-1000\t-1000\t-1000\t-1000\n", "negative uids"},
        {"Uid:\t99999999999999999999\t0\t0\t0\n", "an overflowing uid"},
    };
    for (size_t i = 0; i < sizeof BAD_IDS / sizeof BAD_IDS[0]; i++) {
        parse_text(BAD_IDS[i].text, &status);
        CHECK_INT(status.uid[0], -1, "%s: uid[0]", BAD_IDS[i].what);
    }

    static const struct {
        const char *text;
        const char *what;
    } BAD_NUMBERS[] = {
        {"NoNewPrivs:\t\nSeccomp:\t\nSeccomp_filters:\t\n", "empty values"},
        {"NoNewPrivs:\tyes\nSeccomp:\tfilter\nSeccomp_filters:\tnone\n", "words"},
        {"NoNewPrivs:\t1x\nSeccomp:\t2x\nSeccomp_filters:\t3x\n", "trailing garbage"},
        {"NoNewPrivs:\t4294967297\nSeccomp:\t4294967298\nSeccomp_filters:\t99999999999999999999\n",
         "values past int (that would wrap to 1 and 2)"},
        {"NoNewPrivs:\t+1\nSeccomp:\t+2\nSeccomp_filters:\t-0\n", "signs"},
        {"NoNewPrivs:\t1.0\nSeccomp:\t2.0\nSeccomp_filters:\t1e3\n", "decimals"},
        {"NoNewPrivs\t1\nSeccomp 2\nSeccomp_filters=3\n", "no colon"},
    };
    for (size_t i = 0; i < sizeof BAD_NUMBERS / sizeof BAD_NUMBERS[0]; i++) {
        parse_text(BAD_NUMBERS[i].text, &status);
        CHECK_INT(status.no_new_privs, -1, "NoNewPrivs with %s", BAD_NUMBERS[i].what);
        CHECK_INT(status.seccomp, -1, "Seccomp with %s", BAD_NUMBERS[i].what);
        CHECK_INT(status.seccomp_filters, -1, "Seccomp_filters with %s", BAD_NUMBERS[i].what);
    }

    static const struct {
        const char *text;
        const char *what;
    } BAD_CAPS[] = {
        {"CapInh:\t\nCapPrm:\t\nCapEff:\t\nCapBnd:\t\nCapAmb:\t\n", "empty values"},
        {"CapInh:\tzz\nCapPrm:\tnone\nCapEff:\tg\nCapBnd:\t-\nCapAmb:\t?\n", "no hex digit"},
        {"CapInh:\t0z\nCapPrm:\t0 x\nCapEff:\t0000000000000000q\nCapBnd:\t0,0\nCapAmb:\t0.0\n",
         "trailing garbage"},
        {"CapInh:\t-0\nCapPrm:\t-0\nCapEff:\t-0\nCapBnd:\t-2\nCapAmb:\t+0\n", "signs"},
        {"CapInh:\t10000000000000000\nCapPrm:\t10000000000000000\nCapEff:\t10000000000000000\n"
         "CapBnd:\tfffffffffffffffff\nCapAmb:\t10000000000000000\n",
         "more than 64 bits"},
    };
    for (size_t i = 0; i < sizeof BAD_CAPS / sizeof BAD_CAPS[0]; i++) {
        parse_text(BAD_CAPS[i].text, &status);
        CHECK_UINT(status.cap_inheritable, UNKNOWN_CAPS, "CapInh with %s", BAD_CAPS[i].what);
        CHECK_UINT(status.cap_permitted, UNKNOWN_CAPS, "CapPrm with %s", BAD_CAPS[i].what);
        CHECK_UINT(status.cap_effective, UNKNOWN_CAPS, "CapEff with %s", BAD_CAPS[i].what);
        CHECK_UINT(status.cap_bounding, UNKNOWN_CAPS, "CapBnd with %s", BAD_CAPS[i].what);
        CHECK_UINT(status.cap_ambient, UNKNOWN_CAPS, "CapAmb with %s", BAD_CAPS[i].what);
    }

    /* Well-formed edge values are read as such. */
    parse_text("CapEff:\tffffffffffffffff\nCapPrm:\t0000000000000000\nSeccomp:\t0\nUid:"
               "\t4294967295\t0\t0\t0\n",
               &status);
    CHECK_UINT(status.cap_permitted, 0, "CapPrm all zeros");
    CHECK_INT(status.seccomp, 0, "Seccomp 0");
    CHECK_INT(status.uid[0], 4294967295, "the largest uid");
    /* A NUL inside the text ends nothing but its line's value. */
    parse_exact(LITERAL("Seccomp:\t2\0\nNoNewPrivs:\t1\n"), &status);
    CHECK_INT(status.no_new_privs, 1, "a field after a line with a NUL");
}

void test_proc_status(void)
{
    test_real_self();
    test_real_child();
    test_complete_and_missing();
    test_groups();
    test_malformed();
}
