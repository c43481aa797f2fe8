/* proc_status.c: parse /proc/<pid>/status (proc(5)) for the checks made from outside.
 *
 * A chrooted process cannot see /proc, so its state is checked by the monitor
 * (and by --attest) reading this file. Lines are "Name:\tvalue"; only the fields
 * in struct proc_status are read. Must not: default a missing field to a value
 * that would pass a check. */
#include "proc_status.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parse_ids(const char *value, long ids[4])
{
    char *end = NULL;
    for (int i = 0; i < 4; i++) {
        ids[i] = strtol(value, &end, 10);
        if (end == value) {
            ids[i] = -1;
            return;
        }
        value = end;
    }
}

static uint64_t parse_hex(const char *value)
{
    char *end = NULL;
    unsigned long long parsed = strtoull(value, &end, 16);
    return end == value ? UINT64_MAX : (uint64_t)parsed;
}

static int parse_int(const char *value)
{
    char *end = NULL;
    long parsed = strtol(value, &end, 10);
    return end == value ? -1 : (int)parsed;
}

static int count_groups(const char *value)
{
    int count = 0;
    for (const char *p = value; *p && *p != '\n';) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n')
            break;
        count++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
    }
    return count;
}

void proc_status_parse(const char *text, size_t length, struct proc_status *status)
{
    for (int i = 0; i < 4; i++)
        status->uid[i] = status->gid[i] = -1;
    status->group_count = -1;
    status->cap_inheritable = status->cap_permitted = status->cap_effective = UINT64_MAX;
    status->cap_bounding = status->cap_ambient = UINT64_MAX;
    status->no_new_privs = status->seccomp = status->seccomp_filters = -1;

    char line[512];
    const char *end = text + length;
    for (const char *start = text; start < end;) {
        const char *newline = memchr(start, '\n', (size_t)(end - start));
        size_t line_length = (size_t)((newline ? newline : end) - start);
        if (line_length >= sizeof line)
            line_length = sizeof line - 1;
        memcpy(line, start, line_length);
        line[line_length] = '\0';
        start = newline ? newline + 1 : end;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *value = colon + 1;
        if (strcmp(line, "Uid") == 0)
            parse_ids(value, status->uid);
        else if (strcmp(line, "Gid") == 0)
            parse_ids(value, status->gid);
        else if (strcmp(line, "Groups") == 0)
            status->group_count = count_groups(value);
        else if (strcmp(line, "CapInh") == 0)
            status->cap_inheritable = parse_hex(value);
        else if (strcmp(line, "CapPrm") == 0)
            status->cap_permitted = parse_hex(value);
        else if (strcmp(line, "CapEff") == 0)
            status->cap_effective = parse_hex(value);
        else if (strcmp(line, "CapBnd") == 0)
            status->cap_bounding = parse_hex(value);
        else if (strcmp(line, "CapAmb") == 0)
            status->cap_ambient = parse_hex(value);
        else if (strcmp(line, "NoNewPrivs") == 0)
            status->no_new_privs = parse_int(value);
        else if (strcmp(line, "Seccomp") == 0)
            status->seccomp = parse_int(value);
        else if (strcmp(line, "Seccomp_filters") == 0)
            status->seccomp_filters = parse_int(value);
    }
}

int proc_status_read(long pid, struct proc_status *status)
{
    char path[64], text[8192];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t length = 0;
    for (;;) {
        ssize_t got = read(fd, text + length, sizeof text - 1 - length);
        if (got <= 0)
            break;
        length += (size_t)got;
    }
    close(fd);
    if (length == 0)
        return -1;
    proc_status_parse(text, length, status);
    return 0;
}
