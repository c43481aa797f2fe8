/* proc_status.c: parse /proc/<pid>/status (proc(5)) for the checks made from outside.
 *
 * A chrooted process cannot see /proc, so its state is checked by the monitor
 * (and by --attest) reading this file. Lines are "Name:\tvalue"; only the fields
 * in struct proc_status are read. Must not: default a missing field to a value
 * that would pass a check. */
#include "jail/proc_status.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_blank(char byte)
{
    return byte == ' ' || byte == '\t';
}

static int only_blanks(const char *text)
{
    while (is_blank(*text))
        text++;
    return *text == '\0';
}

/* One unsigned number at *cursor: blanks, then digits of base only (no sign),
 * at most maximum, ended by a blank or the end of the line. Anything else is
 * malformed (0), never the number it starts with. */
static int take_number(const char **cursor, int base, unsigned long long maximum,
                       unsigned long long *value)
{
    const char *start = *cursor;
    while (is_blank(*start))
        start++;
    if (!(base == 16 ? isxdigit((unsigned char)*start) : isdigit((unsigned char)*start)))
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(start, &end, base);
    if (errno != 0 || parsed > maximum || (*end != '\0' && !is_blank(*end)))
        return 0;
    *value = parsed;
    *cursor = end;
    return 1;
}

static void parse_ids(const char *value, long ids[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned long long id = 0;
        if (!take_number(&value, 10, UINT32_MAX, &id) || (i == 3 && !only_blanks(value))) {
            for (; i < 4; i++)
                ids[i] = -1;
            return;
        }
        ids[i] = (long)id;
    }
}

static uint64_t parse_hex(const char *value)
{
    unsigned long long parsed = 0;
    return take_number(&value, 16, UINT64_MAX, &parsed) && only_blanks(value) ? (uint64_t)parsed
                                                                              : UINT64_MAX;
}

static int parse_int(const char *value)
{
    unsigned long long parsed = 0;
    return take_number(&value, 10, INT_MAX, &parsed) && only_blanks(value) ? (int)parsed : -1;
}

/* Counted on the text itself: with many groups the line outgrows any buffer. */
static int count_groups(const char *value, const char *end)
{
    int count = 0;
    for (const char *p = value; p < end;) {
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            break;
        count++;
        while (p < end && !is_blank(*p))
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
        const char *line_start = start, *line_end = newline ? newline : end;
        size_t line_length = (size_t)(line_end - start);
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
            status->group_count = count_groups(line_start + (colon - line) + 1, line_end);
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
