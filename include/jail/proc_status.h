/* proc_status.h: a process's security state as /proc/<pid>/status reports it.
 *
 * Contract: proc_status_parse() reads the fields prong's checks need from the
 * text of /proc/<pid>/status (proc(5)); proc_status_read() opens and parses it
 * for a pid. A field that is missing keeps its "unknown" value (-1 or
 * UINT64_MAX), so a check against it fails rather than passes.
 * Must not: treat a missing field as a safe value. */
#ifndef PRONG_PROC_STATUS_H
#define PRONG_PROC_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct proc_status {
    long uid[4]; /* real, effective, saved, file system */
    long gid[4];
    int group_count; /* supplementary groups */
    uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bounding, cap_ambient;
    int no_new_privs;    /* 0 or 1; -1 unknown */
    int seccomp;         /* 0, 1 or 2; -1 unknown */
    int seccomp_filters; /* -1 unknown */
};

void proc_status_parse(const char *text, size_t length, struct proc_status *status);

/* 0, or -1 if /proc/<pid>/status cannot be read. */
int proc_status_read(long pid, struct proc_status *status);

#endif
