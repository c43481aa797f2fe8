/* escape_seams.c: the seam attacks of escape_seams.h.
 *
 * The log-channel attacks write what a compromised connection process could:
 * raw messages on its descriptor 2 (the children's end of the channel), made
 * to look like the supervisor's, like another client's access line, with
 * terminal escapes, a stray marker byte, or as many as it can write. The
 * monitor must write none of them as given (tests/live/test_seams.py).
 * Must not: be linked into ./prong. */
#include "escape_seams.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fixed_limits.h"
#include "process/log_record.h"

#define LOG_FD 2

static long send_raw(const char *bytes, size_t length)
{
    return write(LOG_FD, bytes, length);
}

/* Messages that look like the supervisor's, another client's, a terminal's. */
static long forge_log_lines(void)
{
    static const char supervisor_line[] =
        "\x02prong[supervisor 1]: client 198.51.100.7 refused for 300 s: 10 connection "
        "processes crashed within a minute (crash storm)";
    static const char ready[] = "\x03ready";
    static const char status[] = "\x04"
                                 "999 connections open, forged";
    static const char escapes[] = "\x02\x1b[2J\x1b]0;owned\x07 escape-forgery\xc2\x9b"
                                  "31m";
    static const char stray[] = "\x01";
    static const char two_lines[] = "\x02"
                                    "first\nprong[supervisor 1]: second-forgery";
    long result = send_raw(supervisor_line, sizeof supervisor_line - 1);
    result |= send_raw(ready, sizeof ready - 1);
    result |= send_raw(status, sizeof status - 1);
    result |= send_raw(escapes, sizeof escapes - 1);
    result |= send_raw(stray, sizeof stray - 1);
    result |= send_raw(two_lines, sizeof two_lines - 1);
    /* An access record naming another client, as only the supervisor may. */
    struct access_record record = {.status = 200, .reason = NULL};
    record.request_line = (struct http_span){"GET /forged-client HTTP/1.1", 27};
    struct log_peer other = {.family = AF_INET, .address = {198, 51, 100, 7}};
    char message[LOG_MESSAGE_MAX];
    size_t length = log_record_encode_access(&record, &other, message, sizeof message);
    result |= send_raw(message, length);
    /* And one of its own, which must be written with its true client. */
    record.request_line = (struct http_span){"GET /own-record HTTP/1.1", 24};
    length = log_record_encode_access(&record, NULL, message, sizeof message);
    result |= send_raw(message, length);
    return result < 0 ? -1 : 0;
}

/* As many messages as it can, for up to 20 s: the monitor must stop it. */
static long flood_log(void)
{
    static char message[LOG_MESSAGE_MAX];
    memset(message, 'F', sizeof message);
    message[0] = 2; /* error text */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long written = 0;
    do {
        if (write(LOG_FD, message, sizeof message) > 0)
            written++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 20);
    return written;
}

/* Ignore everything, the cut of its socket included, using no system call a
 * kill could be waiting on: only the supervisor's SIGKILL ends this. */
static long hang(void)
{
    for (volatile unsigned long spins = 0;; spins++) {
    }
    return 0;
}

/* How many aligned words equal the word sought in the stack this process
 * inherited: from well below its frame (its dead frames and the monitor's) to
 * the top, where AT_RANDOM lies. The request carries the word masked
 * (SEAM_WORD_MASK), and it is unmasked only in the comparison: the parsed
 * query in this process's own frames is not a copy of it. Reading below the
 * mapping grows it (zero pages). */
static long find_word(uint64_t masked)
{
    uintptr_t top = (uintptr_t)getauxval(AT_RANDOM) + 16;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    long found = 0;
    for (volatile uint64_t *word = (volatile uint64_t *)((here - (256u << 10)) & ~(uintptr_t)7);
         (uintptr_t)(word + 1) <= top; word++)
        if ((*word ^ SEAM_WORD_MASK) == masked)
            found++;
    return found;
}

static long print_at_random(int client_fd)
{
    const unsigned char *bytes = (const unsigned char *)getauxval(AT_RANDOM);
    char line[64] = "at_random=";
    for (int i = 0; bytes && i < 16; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%02x", bytes[i]);
    strcat(line, "\n");
    return write(client_fd, line, strlen(line)) > 0 ? 0 : -1;
}

long escape_seams_attempt(const struct seam_parameters *parameters, int client_fd)
{
    const char *action = parameters->action;
    if (strcmp(action, "fork") == 0) {
        int pidfd = -1;
        return syscall(SYS_clone, (long)(CLONE_PIDFD | SIGCHLD), 0L, &pidfd, 0L, 0L);
    }
    if (strcmp(action, "clone-glibc-fork") == 0)
        return syscall(SYS_clone, (long)(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD), 0L,
                       NULL, NULL, 0L);
    if (strcmp(action, "pidfd-open") == 0)
        return syscall(SYS_pidfd_open, parameters->pid, 0);
    if (strcmp(action, "pidfd-kill") == 0) {
        long result = -1;
        int last_errno = EBADF;
        for (int fd = 0; fd < 1024 && result != 0; fd++)
            if ((result = syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0)) != 0 &&
                errno != EBADF)
                last_errno = errno;
        errno = last_errno;
        return result;
    }
    if (strcmp(action, "sendmsg-rights") == 0) {
        int passed = LOG_FD;
        char control[CMSG_SPACE(sizeof passed)], byte = '\n'; /* the body stays line by line */
        struct iovec vector = {&byte, 1};
        struct msghdr message = {.msg_iov = &vector,
                                 .msg_iovlen = 1,
                                 .msg_control = control,
                                 .msg_controllen = sizeof control};
        struct cmsghdr *rights = CMSG_FIRSTHDR(&message);
        rights->cmsg_level = SOL_SOCKET;
        rights->cmsg_type = SCM_RIGHTS;
        rights->cmsg_len = CMSG_LEN(sizeof passed);
        memcpy(CMSG_DATA(rights), &passed, sizeof passed);
        return syscall(SYS_sendmsg, client_fd, &message, 0);
    }
    if (strcmp(action, "openat2-trunc") == 0) {
        struct open_how how = {.flags = O_RDONLY | O_TRUNC};
        return syscall(SYS_openat2, AT_FDCWD, parameters->path, &how, sizeof how);
    }
    if (strcmp(action, "log-forge") == 0)
        return forge_log_lines();
    if (strcmp(action, "log-flood") == 0)
        return flood_log();
    if (strcmp(action, "hang") == 0)
        return hang();
    if (strcmp(action, "find-word") == 0)
        return find_word(parameters->value);
    if (strcmp(action, "at-random") == 0)
        return print_at_random(client_fd);
    errno = EINVAL;
    return -2;
}
