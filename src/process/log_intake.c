/* log_intake.c: the monitor's judgement of each log-channel message (include/process/log_intake.h).
 *
 * Pure: no system call; the monitor reads the sockets and writes the files,
 * this file decides. Why every rule: SECURITY.md, "The log channel".
 * Must not: write a byte it did not escape, or let one sender's messages count
 * against another's quota. */
#include "process/log_intake.h"

#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "process/access_log.h"
#include "process/access_log_json.h"
#include "process/log_record.h"

void intake_init(struct intake *intake, const struct intake_settings *settings,
                 const struct peer_ring *ring)
{
    memset(intake, 0, sizeof *intake);
    intake->settings = *settings;
    intake->ring = ring;
}

static struct sender *sender_slot(struct intake *intake, pid_t pid)
{
    return &intake->senders[(uint32_t)pid % INTAKE_SENDERS];
}

void intake_catch_up(struct intake *intake)
{
    if (!intake->ring)
        return;
    for (;;) {
        struct peer_record record;
        int got = peer_ring_read(intake->ring, intake->ring_read, &record);
        if (got == 0)
            return;
        intake->ring_read++;
        if (got < 0 || record.pid <= 0) {
            intake->ring_lost++;
            continue;
        }
        struct sender *sender = sender_slot(intake, record.pid);
        *sender = (struct sender){
            .pid = record.pid, .trusted_proxy = record.trusted_proxy == 1, .peer = record.peer};
    }
}

/* ---------------------------------------------------------------- escaping */

/* The length of the valid UTF-8 sequence at text (RFC 3629 §4: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *text, size_t length)
{
    unsigned char first = text[0];
    size_t need = first >= 0xf0 && first <= 0xf4 ? 4 : first >= 0xe0 ? 3 : first >= 0xc2 ? 2 : 0;
    if (first >= 0xf5 || need == 0 || need > length)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((text[i] & 0xc0) != 0x80)
            return 0;
    if ((first == 0xe0 && text[1] < 0xa0) || (first == 0xed && text[1] >= 0xa0) ||
        (first == 0xf0 && text[1] < 0x90) || (first == 0xf4 && text[1] >= 0x90))
        return 0;
    if (first == 0xc2 && text[1] < 0xa0)
        return 0; /* U+0080..U+009F: C1 controls, which some terminals obey */
    return need;
}

size_t intake_escape_text(const char *text, size_t length, char *out, size_t max)
{
    static const char HEX[] = "0123456789abcdef";
    const unsigned char *bytes = (const unsigned char *)text;
    size_t used = 0;
    for (size_t i = 0; i < length;) {
        size_t sequence = bytes[i] >= 0x80 ? utf8_sequence(bytes + i, length - i) : 0;
        bool plain = bytes[i] >= 0x20 && bytes[i] < 0x7f;
        size_t take = plain ? 1 : sequence ? sequence : 4;
        if (used + take > max) {
            memcpy(out + used, "...", 3);
            return used + 3;
        }
        if (plain || sequence) {
            memcpy(out + used, text + i, plain ? 1 : sequence);
            i += plain ? 1 : sequence;
        } else {
            out[used] = '\\';
            out[used + 1] = 'x';
            out[used + 2] = HEX[bytes[i] >> 4];
            out[used + 3] = HEX[bytes[i] & 15];
            i++;
        }
        used += take;
    }
    return used;
}

/* ---------------------------------------------------------------- judging */

static void drop(struct intake *intake, enum intake_drop why, struct intake_output *out)
{
    intake->dropped[why]++;
    out->verdict = INTAKE_DROPPED;
    out->drop = why;
}

/* Within the total rate of all connection processes this second? */
static bool within_rate(struct intake *intake, size_t length, int64_t now_seconds)
{
    if ((uint64_t)now_seconds != intake->rate_second) {
        intake->rate_second = (uint64_t)now_seconds;
        intake->rate_messages_used = 0;
        intake->rate_bytes_used = 0;
    }
    if (intake->rate_messages_used >= intake->settings.rate_messages ||
        intake->rate_bytes_used + length > intake->settings.rate_bytes)
        return false;
    intake->rate_messages_used++;
    intake->rate_bytes_used += length;
    return true;
}

/* Count the message against its connection process; false if past its quota. */
static bool within_quota(struct intake *intake, struct sender *sender, size_t length,
                         struct intake_output *out)
{
    bool over = sender->messages >= intake->settings.quota_messages ||
                sender->bytes + length > intake->settings.quota_bytes;
    if (!over) {
        sender->messages++;
        sender->bytes += length;
        return true;
    }
    if (!sender->over_quota) {
        sender->over_quota = true;
        out->kill = sender->pid; /* once: the supervisor ends it */
    }
    return false;
}

static void error_line(const char *role, pid_t pid, const char *label, const char *text,
                       size_t length, struct intake_output *out)
{
    int prefix = snprintf(out->text, sizeof out->text, "prong[%s %ld]: %s", role, (long)pid, label);
    size_t used = prefix > 0 ? (size_t)prefix : 0;
    used += intake_escape_text(text, length, out->text + used, INTAKE_ERROR_TEXT_MAX);
    out->text[used++] = '\n';
    out->length = used;
    out->verdict = INTAKE_WRITE_ERROR;
}

static void access_line(struct intake *intake, const struct sender *sender, bool from_supervisor,
                        const char *message, size_t length, int64_t now_seconds,
                        struct intake_output *out)
{
    struct access_record record;
    struct log_peer peer;
    char reason[LOG_REASON_MAX + 1];
    if (!log_record_decode_access(message, length, &record, &peer, reason) ||
        (from_supervisor ? peer.family == 0 : peer.family != 0)) {
        drop(intake, DROP_MALFORMED, out);
        return;
    }
    char client[64];
    log_peer_format(from_supervisor ? &peer : &sender->peer, client, sizeof client);
    record.client = client;
    record.time_seconds = now_seconds;
    if (!from_supervisor && !sender->trusted_proxy)
        record.forwarded = (struct http_span){NULL, 0}; /* only a trusted proxy's word counts */
    _Static_assert(sizeof out->text - 1 >= ACCESS_LOG_JSON_SIZE, "a JSON line and its newline fit");
    size_t used = intake->settings.access_format == ACCESS_LOG_JSON
                      ? access_log_format_json(&record, out->text, sizeof out->text - 1)
                      : access_log_format(&record, out->text, sizeof out->text - 1);
    out->text[used++] = '\n';
    out->length = used;
    out->verdict = INTAKE_WRITE_ACCESS;
}

static void from_supervisor(struct intake *intake, pid_t pid, const char *message, size_t length,
                            int64_t now_seconds, struct intake_output *out)
{
    switch (message[0]) {
    case LOG_KIND_ACCESS:
        access_line(intake, NULL, true, message, length, now_seconds, out);
        return;
    case LOG_KIND_ERROR: error_line("supervisor", pid, "", message + 1, length - 1, out); return;
    case LOG_KIND_READY: out->verdict = INTAKE_READY; return;
    case LOG_KIND_STATUS:
        out->length = intake_escape_text(message + 1, length - 1, out->text, 256);
        out->verdict = INTAKE_STATUS;
        return;
    default: error_line("supervisor", pid, "stderr: ", message, length, out); return;
    }
}

#ifdef PRONG_LAB
/* The lab's sabotaged monitor, for the tests' positive controls: it writes
 * what each message says, as a monitor that trusted its writers would. */
static void trusting(struct intake *intake, const char *message, size_t length, int64_t now_seconds,
                     struct intake_output *out)
{
    if (message[0] == LOG_KIND_READY) {
        out->verdict = INTAKE_READY;
        return;
    }
    if (message[0] == LOG_KIND_ACCESS) {
        struct sender any = {.peer = {.family = AF_INET, .address = {127, 0, 0, 1}}};
        access_line(intake, &any, true, message, length, now_seconds, out);
        if (out->verdict == INTAKE_DROPPED)
            access_line(intake, &any, false, message, length, now_seconds, out);
        return;
    }
    size_t skip = message[0] == LOG_KIND_ERROR ? 1 : 0;
    size_t copied = length - skip < sizeof out->text - 1 ? length - skip : sizeof out->text - 1;
    memcpy(out->text, message + skip, copied);
    out->text[copied] = '\n';
    out->length = copied + 1;
    out->verdict = INTAKE_WRITE_ERROR;
}
#endif

void intake_handle(struct intake *intake, pid_t pid, const char *message, size_t length,
                   bool truncated, int64_t now_seconds, struct intake_output *out)
{
    out->verdict = INTAKE_DROPPED;
    out->kill = 0;
    out->length = 0;
#ifdef PRONG_LAB
    if (intake->settings.lab_trusting && length > 0 && !truncated) {
        trusting(intake, message, length, now_seconds, out);
        return;
    }
#endif
    if (pid == intake->settings.supervisor && pid > 0) {
        if (truncated || length == 0)
            drop(intake, truncated ? DROP_TRUNCATED : DROP_MALFORMED, out);
        else
            from_supervisor(intake, pid, message, length, now_seconds, out);
        return;
    }
    struct sender *sender = sender_slot(intake, pid);
    if (pid <= 0 || sender->pid != pid) {
        intake_catch_up(intake);
        if (pid <= 0 || sender->pid != pid) {
            out->verdict = INTAKE_DEFER;
            return;
        }
    }
    if (!within_quota(intake, sender, length, out)) {
        drop(intake, DROP_OVER_QUOTA, out);
        return;
    }
    if (!within_rate(intake, length, now_seconds)) {
        drop(intake, DROP_OVER_RATE, out);
        return;
    }
    if (truncated || length == 0) {
        drop(intake, truncated ? DROP_TRUNCATED : DROP_MALFORMED, out);
        return;
    }
    switch (message[0]) {
    case LOG_KIND_ACCESS:
        access_line(intake, sender, false, message, length, now_seconds, out);
        return;
    case LOG_KIND_ERROR: error_line("child", pid, "", message + 1, length - 1, out); return;
    case LOG_KIND_READY:
    case LOG_KIND_STATUS: drop(intake, DROP_FORGED, out); return;
    default: error_line("child", pid, "stderr: ", message, length, out); return;
    }
}

void intake_drop_deferred(struct intake *intake)
{
    intake->dropped[DROP_UNATTRIBUTED]++;
}
