/* test_log_channel.c: unit tests of the log channel's records and the monitor's judgement:
 * src/process/log_record.c and src/process/log_intake.c (include/process/log_record.h,
 * log_intake.h, docs/logging.md).
 *
 * What it does: an access record encoded and decoded gives back every field
 * (absent and empty fields told apart, fields cut at their caps, a reason that
 * is not a code dropped); every truncation of a valid record, every byte of it
 * flipped, and random bytes either decode to a record within the caps or are
 * refused, never read past the message (exact heap copies under ASan); the
 * monitor writes a connection process's access line with the client the peer
 * ring recorded, whatever the record claims, and drops the forwarded field
 * unless the peer is a trusted proxy; error text is prefixed with the sender
 * the kernel named and escaped (control bytes, DEL, C1 controls and invalid
 * UTF-8 as \xHH; valid UTF-8 kept); supervisor-only kinds from a child are
 * dropped as forged; an unknown sender is deferred, then counted unattributed;
 * a quota past its messages or bytes drops and asks for one kill; the total rate
 * drops; a message longer than the buffer is dropped as truncated.
 * Contract: the modules' headers only; the peer ring is a real one, filled as
 * the supervisor fills it. Must not: build an expected line with the module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "process/log_intake.h"
#include "process/log_record.h"
#include "process/peer_ring.h"
#include "unit.h"
#include "unit_suites.h"

#define SUPERVISOR 100
#define CHILD 4242
#define STRANGER 9999
#define NOW 784111777 /* 06/Nov/1994:08:49:37 +0000 */

static struct intake intake; /* large: static */
static struct intake_output out;

static struct http_span text_span(const char *text)
{
    return (struct http_span){text, strlen(text)};
}

/* ---------------------------------------------------------------- records */

static void test_round_trip(void)
{
    struct access_record record = {.status = 404,
                                   .body_bytes = 68,
                                   .duration_us = 1234567890123ull,
                                   .reason = "not-found",
                                   .request_line = text_span("GET /x HTTP/1.1"),
                                   .referer = {NULL, 0},
                                   .user_agent = {"", 0},
                                   .forwarded = text_span("203.0.113.9")};
    struct log_peer peer = {.family = AF_INET, .address = {192, 0, 2, 1}, .uid = 7};
    char message[LOG_MESSAGE_MAX], reason[LOG_REASON_MAX + 1];
    for (int with_peer = 0; with_peer < 2; with_peer++) {
        size_t length =
            log_record_encode_access(&record, with_peer ? &peer : NULL, message, sizeof message);
        char *exact = unit_exact_copy(message, length);
        struct access_record back;
        struct log_peer back_peer;
        if (CHECK(log_record_decode_access(exact, length, &back, &back_peer, reason),
                  "a record decodes (peer %d)", with_peer)) {
            CHECK_INT(back.status, 404, "status");
            CHECK_UINT(back.body_bytes, 68, "body bytes");
            CHECK_UINT(back.duration_us, 1234567890123ull, "duration");
            CHECK_STR(back.reason, "not-found", "reason");
            CHECK_BYTES(back.request_line.data, back.request_line.length, "GET /x HTTP/1.1", 15,
                        "request line");
            CHECK(back.referer.data == NULL, "an absent referer stays absent");
            CHECK(back.user_agent.data != NULL && back.user_agent.length == 0,
                  "an empty user agent stays empty, not absent");
            CHECK_BYTES(back.forwarded.data, back.forwarded.length, "203.0.113.9", 11, "forwarded");
            CHECK_INT(back_peer.family, with_peer ? AF_INET : 0, "peer family");
            if (with_peer)
                CHECK_BYTES((const char *)back_peer.address, 4, "\xc0\x00\x02\x01", 4, "peer");
        }
        free(exact);
    }
    /* Caps and codes. */
    static char huge[5000];
    memset(huge, 'h', sizeof huge);
    struct access_record big = {.status = 200,
                                .reason = "Not A Code!",
                                .request_line = {huge, sizeof huge},
                                .referer = {huge, sizeof huge},
                                .user_agent = {huge, sizeof huge},
                                .forwarded = {huge, sizeof huge}};
    size_t length = log_record_encode_access(&big, &peer, message, sizeof message);
    CHECK(length <= LOG_MESSAGE_MAX, "every field at its cap still fits one message");
    struct access_record back;
    struct log_peer back_peer;
    if (CHECK(log_record_decode_access(message, length, &back, &back_peer, reason),
              "the capped record decodes")) {
        CHECK_UINT(back.request_line.length, LOG_FIELD_MAX, "request line cut at its cap");
        CHECK_UINT(back.forwarded.length, LOG_FORWARDED_MAX, "forwarded cut at its cap");
        CHECK(back.reason == NULL, "a reason that is not a code is dropped");
    }
}

/* Every prefix, every single-byte change, and random bytes: a record within
 * its caps or a refusal, never a read past the message. */
static void test_hostile_records(void)
{
    struct access_record record = {.status = 200,
                                   .reason = "range-not-satisfiable",
                                   .request_line = text_span("GET / HTTP/1.1"),
                                   .user_agent = text_span("agent")};
    char message[LOG_MESSAGE_MAX], reason[LOG_REASON_MAX + 1];
    size_t length = log_record_encode_access(&record, NULL, message, sizeof message);
    struct access_record back;
    struct log_peer peer;
    for (size_t cut = 0; cut < length; cut++) {
        char *exact = unit_exact_copy(message, cut);
        CHECK(!log_record_decode_access(exact, cut, &back, &peer, reason),
              "a record cut to %zu of %zu bytes is refused", cut, length);
        free(exact);
    }
    uint64_t state = unit_random_state(0x10c);
    for (size_t at = 0; at < length; at++)
        for (int round = 0; round < 8; round++) {
            char *exact = unit_exact_copy(message, length);
            exact[at] = (char)unit_random(&state);
            if (log_record_decode_access(exact, length, &back, &peer, reason))
                CHECK(back.status >= 100 && back.status <= 599 &&
                          back.request_line.length <= LOG_FIELD_MAX &&
                          back.forwarded.length <= LOG_FORWARDED_MAX,
                      "a changed record that decodes is within its bounds (byte %zu)", at);
            free(exact);
        }
    for (int round = 0; round < 20000; round++) {
        size_t size = (size_t)unit_random_below(&state, 200);
        char bytes[200];
        for (size_t i = 0; i < size; i++)
            bytes[i] = (char)unit_random(&state);
        if (size > 0)
            bytes[0] = LOG_KIND_ACCESS;
        char *exact = unit_exact_copy(bytes, size);
        log_record_decode_access(exact, size, &back, &peer, reason);
        free(exact);
    }
}

/* ---------------------------------------------------------------- the monitor's judgement */

static struct peer_ring *ring;

static void reset(uint32_t quota_messages, uint64_t quota_bytes, uint32_t rate_messages)
{
    memset(ring, 0, sizeof *ring);
    struct intake_settings settings = {.supervisor = SUPERVISOR,
                                       .quota_messages = quota_messages,
                                       .quota_bytes = quota_bytes,
                                       .rate_messages = rate_messages,
                                       .rate_bytes = 1u << 30};
    intake_init(&intake, &settings, ring);
    struct log_peer child_peer = {.family = AF_INET, .address = {127, 0, 0, 9}};
    peer_ring_publish(ring, CHILD, &child_peer, false);
}

static void handle(pid_t pid, const char *message, size_t length)
{
    char *exact = unit_exact_copy(message, length);
    intake_handle(&intake, pid, exact, length, false, NOW, &out);
    free(exact);
}

static void check_text(const char *expected, const char *what)
{
    CHECK_BYTES(out.text, out.length, expected, strlen(expected), "%s", what);
}

static void test_attribution(void)
{
    reset(100, 1u << 20, 100000);
    struct log_peer claimed = {.family = AF_INET, .address = {198, 51, 100, 7}};
    struct access_record record = {.status = 200,
                                   .body_bytes = 5,
                                   .request_line = text_span("GET / HTTP/1.1"),
                                   .forwarded = text_span("1.2.3.4")};
    char message[LOG_MESSAGE_MAX];
    size_t length = log_record_encode_access(&record, NULL, message, sizeof message);
    handle(CHILD, message, length);
    CHECK_INT(out.verdict, INTAKE_WRITE_ACCESS, "a child's own record is written");
    check_text(
        "127.0.0.9 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\" 0 - "
        "\"-\"\n",
        "with the client the supervisor recorded, and no forwarded field (no trusted proxy)");
    length = log_record_encode_access(&record, &claimed, message, sizeof message);
    handle(CHILD, message, length);
    CHECK_INT(out.verdict, INTAKE_DROPPED, "a child's record naming a client is dropped");
    CHECK_INT(out.drop, DROP_MALFORMED, "as malformed");
    handle(SUPERVISOR, message, length);
    CHECK_INT(out.verdict, INTAKE_WRITE_ACCESS, "the supervisor names the client");
    check_text("198.51.100.7 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\" "
               "0 - \"1.2.3.4\"\n",
               "the supervisor's record");
    /* A trusted proxy's child keeps its forwarded field. */
    struct log_peer proxy = {.family = AF_INET, .address = {10, 0, 0, 1}};
    peer_ring_publish(ring, CHILD + 1, &proxy, true);
    length = log_record_encode_access(&record, NULL, message, sizeof message);
    handle(CHILD + 1, message, length);
    check_text("10.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\" 0 - "
               "\"1.2.3.4\"\n",
               "a trusted proxy's forwarded field");
    /* Someone the supervisor never recorded: deferred, then unattributed. */
    handle(STRANGER, message, length);
    CHECK_INT(out.verdict, INTAKE_DEFER, "an unknown sender is deferred");
    intake_drop_deferred(&intake);
    CHECK_UINT(intake.dropped[DROP_UNATTRIBUTED], 1, "and counted when given up on");
    /* The supervisor records it late: now it is known. */
    peer_ring_publish(ring, STRANGER, &proxy, false);
    handle(STRANGER, message, length);
    CHECK_INT(out.verdict, INTAKE_WRITE_ACCESS, "a late record attributes the sender");
}

static void test_error_text(void)
{
    reset(100, 1u << 20, 100000);
    static const char forged[] =
        "\x02prong[supervisor 1]: client 198.51.100.7 refused (crash storm)";
    handle(CHILD, forged, sizeof forged - 1);
    CHECK_INT(out.verdict, INTAKE_WRITE_ERROR, "a child's error text is written");
    check_text(
        "prong[child 4242]: prong[supervisor 1]: client 198.51.100.7 refused (crash storm)\n",
        "under the child's own name, whatever it says");
    static const char hostile[] = "\x02"
                                  "a\x1b[31mb\x7f\n\r\xc2\x9b"
                                  "c\xff"
                                  "d\xe2\x82\xac";
    handle(CHILD, hostile, sizeof hostile - 1);
    check_text("prong[child 4242]: a\\x1b[31mb\\x7f\\x0a\\x0d\\xc2\\x9bc\\xffd\xe2\x82\xac\n",
               "controls, C1 and invalid UTF-8 escaped, valid UTF-8 kept");
    static const char raw[] = "*** stack smashing detected ***: terminated\n";
    handle(CHILD, raw, sizeof raw - 1);
    check_text("prong[child 4242]: stderr: *** stack smashing detected ***: terminated\\x0a\n",
               "raw standard error, labelled and escaped");
    static const char ready[] = "\x03ready", status[] = "\x04"
                                                        "forged";
    handle(CHILD, ready, sizeof ready - 1);
    CHECK(out.verdict == INTAKE_DROPPED && out.drop == DROP_FORGED, "a child's ready is forged");
    handle(CHILD, status, sizeof status - 1);
    CHECK(out.verdict == INTAKE_DROPPED && out.drop == DROP_FORGED, "a child's status is forged");
    handle(SUPERVISOR, ready, sizeof ready - 1);
    CHECK_INT(out.verdict, INTAKE_READY, "the supervisor's ready counts");
    static char long_text[LOG_MESSAGE_MAX];
    memset(long_text, 'x', sizeof long_text);
    long_text[0] = LOG_KIND_ERROR;
    handle(CHILD, long_text, sizeof long_text);
    CHECK(out.length <= INTAKE_ERROR_TEXT_MAX + 64, "a long error line is capped (%zu)",
          out.length);
    char *exact = unit_exact_copy(long_text, 16);
    intake_handle(&intake, CHILD, exact, 16, true, NOW, &out);
    free(exact);
    CHECK(out.verdict == INTAKE_DROPPED && out.drop == DROP_TRUNCATED, "a truncated message");
}

static void test_quotas(void)
{
    reset(5, 1u << 20, 100000);
    static const char line[] = "\x02hello";
    unsigned written = 0, kills = 0;
    for (int i = 0; i < 20; i++) {
        handle(CHILD, line, sizeof line - 1);
        written += out.verdict == INTAKE_WRITE_ERROR;
        kills += out.kill == CHILD;
    }
    CHECK_UINT(written, 5, "a child writes its quota of messages and no more");
    CHECK_UINT(kills, 1, "and the first past it asks once for its end");
    CHECK_UINT(intake.dropped[DROP_OVER_QUOTA], 15, "the rest counted over quota");
    /* Another child has a quota of its own. */
    struct log_peer peer = {.family = AF_INET, .address = {127, 0, 0, 2}};
    peer_ring_publish(ring, CHILD + 7, &peer, false);
    handle(CHILD + 7, line, sizeof line - 1);
    CHECK_INT(out.verdict, INTAKE_WRITE_ERROR, "another child is not held to the first's quota");
    /* Bytes: a quota of 100 bytes holds about a dozen of these. */
    reset(1000, 100, 100000);
    written = 0;
    for (int i = 0; i < 50; i++) {
        handle(CHILD, line, sizeof line - 1);
        written += out.verdict == INTAKE_WRITE_ERROR;
    }
    CHECK_UINT(written, 100 / (sizeof line - 1), "a byte quota");
    /* The total rate of all children, per second. */
    reset(1000, 1u << 20, 3);
    written = 0;
    for (int i = 0; i < 10; i++) {
        handle(CHILD, line, sizeof line - 1);
        written += out.verdict == INTAKE_WRITE_ERROR;
    }
    CHECK_UINT(written, 3, "the total rate");
    CHECK_UINT(intake.dropped[DROP_OVER_RATE], 7, "the rest counted over the rate");
    /* The supervisor is held to neither. */
    unsigned supervisor_lines = 0;
    for (int i = 0; i < 10; i++) {
        handle(SUPERVISOR, line, sizeof line - 1);
        supervisor_lines += out.verdict == INTAKE_WRITE_ERROR;
    }
    CHECK_UINT(supervisor_lines, 10, "the supervisor's lines are not rate-limited");
}

void test_log_channel(void)
{
    ring = peer_ring_create();
    if (!CHECK(ring != NULL, "peer_ring_create"))
        return;
    test_round_trip();
    test_hostile_records();
    test_attribution();
    test_error_text();
    test_quotas();
}
