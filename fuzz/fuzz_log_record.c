/* fuzz_log_record.c: the invariant-checking fuzz harness of the monitor's log-channel parsing.
 *
 * What it does: each input is one message as a connection process (or the
 * supervisor: the first input byte chooses) could send it on the log channel.
 * It runs src/process/log_record.c's decoder and src/process/log_intake.c's
 * judgement (linked in, never copied) and abort()s when an answer breaks what
 * include/process/log_record.h and log_intake.h promise, not only on a crash:
 *   - a record that decodes lies within the message: every field's bytes in it,
 *     status 100..599, each field within its cap, a reason of [a-z0-9-] only;
 *     decoding it twice gives the same record;
 *   - a record that decodes, encoded again, decodes to the same fields;
 *   - what intake writes is one line: it ends with its only '\n', has no other
 *     control byte and no DEL; an access line has no byte above 0x7e at all and
 *     starts with the client the peer ring recorded (a child's) or the one its
 *     record names (the supervisor's); an error line starts "prong[ROLE PID]: ";
 *   - a child never gets READY or STATUS through, nor another client's address;
 *   - the same message judged by a monitor with --access-log-format json gives
 *     the same verdict, and its access line is one JSON object of the 13
 *     documented members (include/process/access_log_json.h) in printable ASCII
 *     only: every string closed, every escape \" \\ or \u00XX, values strings,
 *     digits or null, "}" then the only '\n' last; a child's names its own client.
 * Each input is copied to the end of a heap buffer of exactly its size, so ASan
 * reports any read at or past its end.
 * Builds as fuzz/fuzz_proxy.c does (libFuzzer target; AFL++'s persistent
 * main from afl_persistent_main.h). Seeds: fuzz/log-seeds/. Targets: make
 * fuzz-log, and fuzz-smoke (mk/fuzz.mk).
 * What it must not do: keep state between inputs that changes an answer (the
 * quotas are set far above what one input can use), print unless a property
 * is broken, or relax a check to make a finding go away. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "process/log_intake.h"
#include "process/log_record.h"
#include "process/peer_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SUPERVISOR 100
#define CHILD 4242
#define CHILD_CLIENT "127.0.0.9"

static _Noreturn void invariant_broken(const char *what, int line)
{
    fprintf(stderr, "fuzz_log_record: invariant broken (fuzz/fuzz_log_record.c:%d): %s\n", line,
            what);
    abort();
}

#define REQUIRE(condition, what)              \
    do {                                      \
        if (!(condition))                     \
            invariant_broken(what, __LINE__); \
    } while (0)

static struct intake intake, intake_json;
static struct peer_ring *ring;

static void set_up(void)
{
    if (ring)
        return;
    ring = peer_ring_create();
    REQUIRE(ring != NULL, "cannot map the peer ring");
    struct intake_settings settings = {.supervisor = SUPERVISOR,
                                       .quota_messages = UINT32_MAX,
                                       .quota_bytes = UINT64_MAX / 2,
                                       .rate_messages = UINT32_MAX,
                                       .rate_bytes = UINT64_MAX / 2};
    intake_init(&intake, &settings, ring);
    settings.access_format = ACCESS_LOG_JSON;
    intake_init(&intake_json, &settings, ring);
    struct log_peer peer = {.family = AF_INET, .address = {127, 0, 0, 9}};
    peer_ring_publish(ring, CHILD, &peer, false);
}

static bool within(const char *base, size_t size, struct http_span span, size_t cap)
{
    if (!span.data)
        return span.length == 0;
    return span.data >= base && span.length <= cap &&
           (size_t)(span.data - base) + span.length <= size;
}

static bool same_span(struct http_span a, struct http_span b)
{
    return (a.data == NULL) == (b.data == NULL) && a.length == b.length &&
           (a.length == 0 || memcmp(a.data, b.data, a.length) == 0);
}

static void check_decoded(const char *message, size_t size, const struct access_record *record)
{
    REQUIRE(record->status >= 100 && record->status <= 599, "a status out of range");
    REQUIRE(within(message, size, record->request_line, LOG_FIELD_MAX) &&
                within(message, size, record->referer, LOG_FIELD_MAX) &&
                within(message, size, record->user_agent, LOG_FIELD_MAX) &&
                within(message, size, record->forwarded, LOG_FORWARDED_MAX),
            "a field outside the message or past its cap");
    for (const char *p = record->reason; p && *p; p++)
        REQUIRE((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-',
                "a reason byte that is not [a-z0-9-]");
    /* Encoded again, it decodes to the same fields. */
    static char again[LOG_MESSAGE_MAX];
    size_t length = log_record_encode_access(record, NULL, again, sizeof again);
    struct access_record second;
    struct log_peer peer;
    char reason[LOG_REASON_MAX + 1];
    REQUIRE(log_record_decode_access(again, length, &second, &peer, reason),
            "a decoded record, encoded again, does not decode");
    REQUIRE(second.status == record->status && second.body_bytes == record->body_bytes &&
                second.duration_us == record->duration_us &&
                same_span(second.request_line, record->request_line) &&
                same_span(second.referer, record->referer) &&
                same_span(second.user_agent, record->user_agent) &&
                same_span(second.forwarded, record->forwarded),
            "a decoded record, encoded again, decodes to other fields");
}

static void check_output(const struct intake_output *out, bool supervisor)
{
    if (out->verdict != INTAKE_WRITE_ACCESS && out->verdict != INTAKE_WRITE_ERROR) {
        REQUIRE(supervisor || (out->verdict != INTAKE_READY && out->verdict != INTAKE_STATUS),
                "a child's ready or status got through");
        return;
    }
    REQUIRE(out->length > 0 && out->length <= sizeof out->text &&
                out->text[out->length - 1] == '\n',
            "a line that does not end with its newline");
    for (size_t i = 0; i + 1 < out->length; i++) {
        unsigned char byte = (unsigned char)out->text[i];
        REQUIRE(byte >= 0x20 && byte != 0x7f, "a control byte in a written line");
        REQUIRE(out->verdict == INTAKE_WRITE_ERROR || byte <= 0x7e,
                "a byte above 0x7e in an access line");
    }
    if (out->verdict == INTAKE_WRITE_ERROR)
        REQUIRE(strncmp(out->text, supervisor ? "prong[supervisor " : "prong[child ",
                        supervisor ? 17 : 12) == 0,
                "an error line not under its sender's name");
    if (out->verdict == INTAKE_WRITE_ACCESS && !supervisor)
        REQUIRE(strncmp(out->text, CHILD_CLIENT " ", sizeof CHILD_CLIENT) == 0,
                "a child's access line with a client other than its own");
}

/* A JSON string at *at (RFC 8259 §7, as access_log_json.c writes it); false if broken. */
static bool json_string(const char **at, const char *end)
{
    static const char HEX[] = "0123456789abcdef";
    if (*at >= end || **at != '"')
        return false;
    for (const char *p = *at + 1; p < end; p++) {
        if (*p == '"') {
            *at = p + 1;
            return true;
        }
        if (*p != '\\')
            continue;
        if (p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
            p++;
            continue;
        }
        if (end - p < 6 || memcmp(p + 1, "u00", 3) != 0 || !memchr(HEX, p[4], 16) ||
            !memchr(HEX, p[5], 16))
            return false;
        p += 5;
    }
    return false;
}

/* text (no newline) is {"NAME":VALUE,...} with 13 members, values strings, digits or null. */
static bool json_object(const char *text, size_t length)
{
    const char *at = text, *end = text + length;
    int members = 0;
    if (length < 2 || *at++ != '{')
        return false;
    for (;;) {
        if (!json_string(&at, end) || at >= end || *at++ != ':')
            return false;
        if (at < end && *at == '"') {
            if (!json_string(&at, end))
                return false;
        } else if (end - at >= 4 && memcmp(at, "null", 4) == 0) {
            at += 4;
        } else {
            const char *digits = at;
            while (at < end && *at >= '0' && *at <= '9')
                at++;
            if (at == digits || (*digits == '0' && at - digits > 1))
                return false;
        }
        members++;
        if (at >= end)
            return false;
        char next = *at++;
        if (next == '}')
            return at == end && members == 13;
        if (next != ',')
            return false;
    }
}

static void check_json_output(const struct intake_output *out, const struct intake_output *combined,
                              bool supervisor)
{
    REQUIRE(out->verdict == combined->verdict, "the JSON format changed a verdict");
    if (out->verdict != INTAKE_WRITE_ACCESS)
        return;
    REQUIRE(out->length > 1 && out->length <= sizeof out->text &&
                out->text[out->length - 1] == '\n',
            "a JSON line that does not end with its newline");
    for (size_t i = 0; i + 1 < out->length; i++)
        REQUIRE((unsigned char)out->text[i] >= 0x20 && (unsigned char)out->text[i] <= 0x7e,
                "a byte outside printable ASCII in a JSON line");
    REQUIRE(json_object(out->text, out->length - 1), "a JSON line that is not one whole object");
    static const char CHILD_MEMBER[] = ",\"client\":\"" CHILD_CLIENT "\",";
    const char *comma = memchr(out->text, ',', out->length);
    REQUIRE(supervisor ||
                (comma && (size_t)(out->text + out->length - comma) > sizeof CHILD_MEMBER &&
                 memcmp(comma, CHILD_MEMBER, sizeof CHILD_MEMBER - 1) == 0),
            "a child's JSON line with a client other than its own");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    set_up();
    if (size == 0)
        return 0;
    bool supervisor = data[0] & 1;
    size--;
    data++;
    char *message = malloc(size ? size : 1);
    REQUIRE(message != NULL, "out of memory");
    memcpy(message, data, size);
    struct access_record record, twice;
    struct log_peer peer, peer_twice;
    char reason[LOG_REASON_MAX + 1], reason_twice[LOG_REASON_MAX + 1];
    bool decoded = log_record_decode_access(message, size, &record, &peer, reason);
    REQUIRE(decoded == log_record_decode_access(message, size, &twice, &peer_twice, reason_twice),
            "decoding twice gives two answers");
    if (decoded)
        check_decoded(message, size, &record);
    static struct intake_output out;
    intake_handle(&intake, supervisor ? SUPERVISOR : CHILD, message, size, false, 784111777, &out);
    check_output(&out, supervisor);
    static struct intake_output json;
    intake_handle(&intake_json, supervisor ? SUPERVISOR : CHILD, message, size, false, 784111777,
                  &json);
    check_json_output(&json, &out, supervisor);
    free(message);
    return 0;
}

#include "afl_persistent_main.h" /* AFL++ persistent mode; nothing under libFuzzer */
