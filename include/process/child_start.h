/* child_start.h: a connection process's first steps, and what makes them cheap.
 *
 * Contract: child_start_prepare() runs once in the monitor, before the
 * supervisor is forked: it configures the per-process modules every connection
 * process inherits (response heads, static files, the connection loop) and
 * notes what the prefault may populate (prefault.h). child_start_calibrate()
 * runs once in the supervisor, jailed, before its filter: unless --prefault
 * says on or off, it serves a canned request in a few probe processes with and
 * without populating and keeps whichever cost less CPU, logging its figures
 * once. child_start_run() is the start of every connection process, called in
 * the fork's child; in this order, numbered as in docs/architecture.md, each
 * step checked: 1 populate its working pages (if chosen); 2 its own stack
 * canary; 3 the client socket as descriptor 3 and the children's end of the log
 * channel as 2, every other descriptor closed (no sibling's socket, no pidfd, no
 * listener, nothing of the supervisor's); 4 SIGKILL when the supervisor dies
 * (PR_SET_PDEATHSIG), so nothing outlives it; 5 RLIMIT_NPROC 0, RLIMIT_NOFILE
 * CHILD_MAX_FILES, RLIMIT_CPU; 6 its own Landlock scope layer; 7 on a unix
 * socket, the send window as SO_SNDTIMEO; 8 serve, and exit.
 * Must not: read a byte from the client before every step has succeeded, or
 * return. */
#ifndef PRONG_CHILD_START_H
#define PRONG_CHILD_START_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "process/supervisor.h"

enum prefault_choice { PREFAULT_AUTO, PREFAULT_ON, PREFAULT_OFF };

struct child_plan {
    const struct config *config;
    int children_channel_fd; /* becomes descriptor 2 in every connection process */
    int landlock_abi;        /* sandbox_landlock_abi(), asked once */
    enum prefault_choice prefault;
};

/* In the monitor, before the fork of the supervisor. 0, or -1 with the reason. */
int child_start_prepare(const struct child_plan *plan, char *error, size_t error_size);

/* In the supervisor, once jailed: whose child a connection process must be. */
void child_start_set_parent(pid_t supervisor);

/* In the supervisor, before its filter: decide the prefault (see above). */
void child_start_calibrate(void);

/* The connection process. Never returns. */
__attribute__((noreturn)) void child_start_run(const struct child_start *start);

#endif
