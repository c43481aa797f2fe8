/* fork_floor.c: the unsandboxed fork-per-connection floor, for `make bench`.
 *
 * Accepts a connection, forks, and in the child reads once and writes one
 * fixed answer (a 1 KiB body, as small.txt is, and Connection: close) without
 * looking at what it read, then exits; the kernel reaps the children (SIGCHLD
 * ignored, sigaction(2)). No parsing, no file, no sandbox, no keep-alive, and
 * linked dynamically, as most such servers are: what any fork-per-connection
 * server pays at least for a Connection: close request on this machine, the
 * line prong's close path is measured against (bench/apps/process_floor.c is
 * the static PIE that keeps connections alive).
 *
 * Contract: `fork_floor PORT` listens on 127.0.0.1:PORT; exit 2 for a bad
 * argument, 1 when the socket cannot be set up; otherwise runs until killed.
 * Must not: be taken for a server. It answers whatever it reads, assumes one
 * read holds the whole request (as wrk sends it) and listens on the loopback
 * only. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_BYTES 1024

static char answer[256 + BODY_BYTES];
static size_t answer_length;

static void build_answer(void)
{
    int head =
        snprintf(answer, sizeof answer,
                 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", BODY_BYTES);
    memset(answer + head, 'x', BODY_BYTES);
    answer_length = (size_t)head + BODY_BYTES;
}

/* The child: one read, one write, exit; the close is the exit's (close(2) of
 * the last descriptor sends the FIN). */
static void serve_once(int client)
{
    char request[8192];
    if (read(client, request, sizeof request) > 0 && write(client, answer, answer_length) < 0)
        _exit(1);
    _exit(0);
}

static int port_from(const char *text)
{
    char *end = NULL;
    long port = strtol(text, &end, 10);
    return end != text && *end == '\0' && port > 0 && port < 65536 ? (int)port : -1;
}

static int listen_on_loopback(int port)
{
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                  .sin_port = htons((unsigned short)port)};
    int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listener, 1024) != 0)
        return -1;
    return listener;
}

int main(int argc, char **argv)
{
    int port = argc == 2 ? port_from(argv[1]) : -1;
    if (port < 0) {
        fprintf(stderr, "usage: fork_floor PORT (1-65535)\n");
        return 2;
    }
    build_answer();
    int listener = listen_on_loopback(port);
    if (listener < 0 || signal(SIGCHLD, SIG_IGN) == SIG_ERR) {
        perror("fork_floor");
        return 1;
    }
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            serve_once(client);
        }
        close(client);
    }
}
