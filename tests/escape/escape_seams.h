/* escape_seams.h: attacks on the seams between processes, by a jailed connection process.
 *
 * Contract: test builds only, beside escape_hook.c, which calls
 * escape_seams_attempt() for the actions it does not know itself. Each action
 * is one attack on what a connection process shares with the monitor or the
 * supervisor (the log channel, its pidfds, its descriptors, the supervisor's
 * memory it inherited, a truncation Landlock must refuse); it returns the system
 * call's result like the other actions (errno set when negative), or -2 with
 * EINVAL when the action is not one of these.
 * Must not: act outside this process, but through the channel it was given. */
#ifndef PRONG_ESCAPE_SEAMS_H
#define PRONG_ESCAPE_SEAMS_H

#include <stdint.h>

/* find-word's request carries the word XOR this mask (tests/escape/seams.py). */
#define SEAM_WORD_MASK 0xa5c3f00f5a3c0ff0ull

struct seam_parameters {
    const char *action;
    long pid;         /* a sibling's or the supervisor's */
    const char *path; /* a file, for openat2-trunc */
    uint64_t value;   /* for find-word: the word to look for, XOR SEAM_WORD_MASK */
};

long escape_seams_attempt(const struct seam_parameters *parameters, int client_fd);

#endif
