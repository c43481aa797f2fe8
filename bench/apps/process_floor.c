/* process_floor.c: the cost of a process per connection alone, for `make bench`.
 *
 * Forks one process per connection, as prong does, linked as prong is (static
 * PIE), and answers every request on the connection with the same 1 KiB body
 * until the client closes it or asks to (Connection: close). It parses nothing,
 * opens no file and installs no sandbox, so its figures are what the process
 * model itself costs on this machine: keep-alive throughput and p99 with one
 * process per connection, and Connection: close with a static binary's fork
 * (bench/apps/fork_floor.c is linked dynamically and never keeps a connection).
 * It reaps its children itself, as prong's supervisor does (waitpid(2) on
 * SIGCHLD), rather than leaving them to the kernel: a child the kernel reaps
 * for an ignored SIGCHLD takes its CPU time with it, and `make bench` reads
 * the children's time from this process's /proc/PID/stat (cutime, cstime),
 * as it does from prong's supervisor.
 *
 * Must not: be taken for a server. It assumes every read is one whole request,
 * as wrk sends them, and listens on the loopback only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr(3) */
#endif
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_BYTES 1024

static char kept[256], closing[256], body[BODY_BYTES];
static int kept_length, closing_length;

/* One write of head and body; the answer is small enough for one segment. */
static int answer(int client, const char *head, int head_length)
{
    char out[sizeof kept + BODY_BYTES];
    memcpy(out, head, (size_t)head_length);
    memcpy(out + head_length, body, BODY_BYTES);
    return write(client, out, (size_t)head_length + BODY_BYTES) == head_length + BODY_BYTES ? 0
                                                                                            : -1;
}

static void serve(int client)
{
    char request[8192];
    ssize_t length;
    while ((length = read(client, request, sizeof request - 1)) > 0) {
        request[length] = '\0';
        if (strcasestr(request, "\nConnection: close")) {
            answer(client, closing, closing_length);
            return;
        }
        if (answer(client, kept, kept_length) != 0)
            return;
    }
}

/* SIGCHLD: reap every child that has ended (async-signal-safe: waitpid and
 * errno only, signal-safety(7)). */
static void reap(int signal_number)
{
    (void)signal_number;
    int saved = errno;
    pid_t ended;
    do
        ended = waitpid(-1, NULL, WNOHANG);
    while (ended > 0);
    errno = saved;
}

static int reap_children(void)
{
    struct sigaction action = {.sa_handler = reap, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&action.sa_mask);
    return sigaction(SIGCHLD, &action, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: process_floor PORT\n");
        return 2;
    }
    memset(body, 'x', sizeof body);
    kept_length =
        snprintf(kept, sizeof kept, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BODY_BYTES);
    closing_length =
        snprintf(closing, sizeof closing,
                 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", BODY_BYTES);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                  .sin_port = htons((unsigned short)atoi(argv[1]))};
    int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || reap_children() != 0 ||
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listener, 1024) != 0) {
        perror("process_floor");
        return 1;
    }
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            serve(client);
            _exit(0);
        }
        close(client);
    }
}
