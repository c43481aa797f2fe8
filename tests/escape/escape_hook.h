/* escape_hook.h: the test-only hook that makes a jailed connection process attack.
 *
 * Contract: compiled only into build/prong-test and build/prong-lab (never into
 * ./prong; tests/live/test_escape.py checks the release binary lacks it). For a
 * request to /__escape/ACTION[?pid=N&path=P], the connection process, fully
 * jailed, answers "pid=<its pid>" first, then attempts ACTION and, if it
 * survives, appends "result=ok ..." or "result=errno NAME N". A process the
 * kernel kills (SIGSYS from seccomp, SIGABRT, SIGSEGV) leaves only the pid line;
 * the test reads the cause from the supervisor's child-end log line.
 * Must not: exist in a release build, or do anything for other paths. */
#ifndef PRONG_ESCAPE_HOOK_H
#define PRONG_ESCAPE_HOOK_H

#include <stdbool.h>

#include "http/http_parser.h"

/* True if the request was an escape action (the connection must then close). */
bool escape_hook_handle(const struct http_request *request, int client_fd);

#endif
