/* log_record.c: encode and decode the log channel's access records (include/process/log_record.h).
 *
 * The layout, little-endian, offsets in bytes:
 *   0 kind  1 version  2 flags (bit 0: a peer block follows the head)  3 reason length
 *   4 status (u16)  6 request line, 8 referer, 10 user agent, 12 forwarded: lengths (u16,
 *   0xffff: absent)  14 zero  16 body bytes (u64)  24 duration in microseconds (u64)
 *   32 [peer block: family (u8), three zero bytes, uid (u32), address (16 bytes)]
 *   then the reason and the four fields, back to back, exactly filling the message.
 * Decoding is the monitor's parse of bytes from processes it does not trust:
 * fuzzed by fuzz/fuzz_log_record.c with its invariants.
 * Must not: read past the message, or accept trailing or missing bytes. */
#include "process/log_record.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "fixed_limits.h"
#include "process/listener.h"

#define FLAG_PEER 1u

static void put16(char *out, size_t offset, uint16_t value)
{
    out[offset] = (char)(value & 0xff);
    out[offset + 1] = (char)(value >> 8);
}

static void put64(char *out, size_t offset, uint64_t value)
{
    for (size_t i = 0; i < 8; i++)
        out[offset + i] = (char)((value >> (8 * i)) & 0xff);
}

static uint16_t get16(const char *in, size_t offset)
{
    return (uint16_t)((unsigned char)in[offset] | (unsigned char)in[offset + 1] << 8);
}

static uint64_t get64(const char *in, size_t offset)
{
    uint64_t value = 0;
    for (size_t i = 0; i < 8; i++)
        value |= (uint64_t)(unsigned char)in[offset + i] << (8 * i);
    return value;
}

static bool is_reason_code(const char *text, size_t length)
{
    if (length == 0 || length > LOG_REASON_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* A field's length as recorded (absent, or cut to its cap), and its bytes appended. */
static uint16_t put_field(struct http_span span, size_t cap, char *out, size_t *used)
{
    if (!span.data)
        return LOG_FIELD_ABSENT;
    size_t length = span.length > cap ? cap : span.length;
    memcpy(out + *used, span.data, length);
    *used += length;
    return (uint16_t)length;
}

size_t log_record_encode_access(const struct access_record *record, const struct log_peer *peer,
                                char *out, size_t out_size)
{
    _Static_assert(LOG_RECORD_HEAD + LOG_RECORD_PEER + LOG_REASON_MAX + 3 * LOG_FIELD_MAX +
                           LOG_FORWARDED_MAX <=
                       LOG_MESSAGE_MAX,
                   "an access record with every field at its cap fits one message");
    if (out_size < LOG_MESSAGE_MAX)
        return 0;
    memset(out, 0, LOG_RECORD_HEAD);
    out[0] = LOG_KIND_ACCESS;
    out[1] = LOG_RECORD_VERSION;
    size_t used = LOG_RECORD_HEAD;
    if (peer && peer->family) {
        out[2] = FLAG_PEER;
        memset(out + used, 0, LOG_RECORD_PEER);
        out[used] = (char)(peer->family == AF_INET ? 4 : peer->family == AF_INET6 ? 6 : 1);
        memcpy(out + used + 4, &peer->uid, 4);
        memcpy(out + used + 8, peer->address, 16);
        used += LOG_RECORD_PEER;
    }
    const char *reason = record->reason ? record->reason : "";
    size_t reason_length = strlen(reason);
    if (!is_reason_code(reason, reason_length))
        reason_length = 0;
    memcpy(out + used, reason, reason_length);
    used += reason_length;
    out[3] = (char)reason_length;
    put16(out, 4, (uint16_t)(record->status > 0 && record->status < 1000 ? record->status : 0));
    put16(out, 6, put_field(record->request_line, LOG_FIELD_MAX, out, &used));
    put16(out, 8, put_field(record->referer, LOG_FIELD_MAX, out, &used));
    put16(out, 10, put_field(record->user_agent, LOG_FIELD_MAX, out, &used));
    put16(out, 12, put_field(record->forwarded, LOG_FORWARDED_MAX, out, &used));
    put64(out, 16, record->body_bytes);
    put64(out, 24, record->duration_us);
    return used;
}

static bool decode_peer(const char *block, struct log_peer *peer)
{
    memset(peer, 0, sizeof *peer);
    for (int i = 1; i < 4; i++)
        if (block[i] != 0)
            return false;
    switch (block[0]) {
    case 4: peer->family = AF_INET; break;
    case 6: peer->family = AF_INET6; break;
    case 1: peer->family = AF_UNIX; break;
    default: return false;
    }
    memcpy(&peer->uid, block + 4, 4);
    memcpy(peer->address, block + 8, 16);
    return true;
}

/* The next field: absent, or length bytes at *used within the message. */
static bool take_field(const char *message, size_t length, uint16_t field_length, size_t cap,
                       size_t *used, struct http_span *span)
{
    if (field_length == LOG_FIELD_ABSENT) {
        *span = (struct http_span){NULL, 0};
        return true;
    }
    if (field_length > cap || field_length > length - *used)
        return false;
    *span = (struct http_span){message + *used, field_length};
    *used += field_length;
    return true;
}

bool log_record_decode_access(const char *message, size_t length, struct access_record *record,
                              struct log_peer *peer, char reason_text[LOG_REASON_MAX + 1])
{
    memset(record, 0, sizeof *record);
    memset(peer, 0, sizeof *peer);
    if (length < LOG_RECORD_HEAD || length > LOG_MESSAGE_MAX || message[0] != LOG_KIND_ACCESS ||
        message[1] != LOG_RECORD_VERSION || ((unsigned char)message[2] & ~FLAG_PEER) != 0 ||
        get16(message, 14) != 0)
        return false;
    size_t used = LOG_RECORD_HEAD;
    if ((unsigned char)message[2] & FLAG_PEER) {
        if (length - used < LOG_RECORD_PEER || !decode_peer(message + used, peer))
            return false;
        used += LOG_RECORD_PEER;
    }
    size_t reason_length = (unsigned char)message[3];
    if (reason_length > length - used ||
        (reason_length > 0 && !is_reason_code(message + used, reason_length)))
        return false;
    memcpy(reason_text, message + used, reason_length);
    reason_text[reason_length] = '\0';
    used += reason_length;
    int status = get16(message, 4);
    if (status < 100 || status > 599)
        return false;
    if (!take_field(message, length, get16(message, 6), LOG_FIELD_MAX, &used,
                    &record->request_line) ||
        !take_field(message, length, get16(message, 8), LOG_FIELD_MAX, &used, &record->referer) ||
        !take_field(message, length, get16(message, 10), LOG_FIELD_MAX, &used,
                    &record->user_agent) ||
        !take_field(message, length, get16(message, 12), LOG_FORWARDED_MAX, &used,
                    &record->forwarded) ||
        used != length)
        return false;
    record->status = status;
    record->reason = reason_length ? reason_text : NULL;
    record->body_bytes = get64(message, 16);
    record->duration_us = get64(message, 24);
    return true;
}

void log_peer_from_address(const struct sockaddr *address, uint32_t uid, struct log_peer *peer)
{
    memset(peer, 0, sizeof *peer);
    peer->uid = UINT32_MAX;
    if (address->sa_family == AF_INET) {
        peer->family = AF_INET;
        memcpy(peer->address, &((const struct sockaddr_in *)address)->sin_addr, 4);
    } else if (address->sa_family == AF_INET6) {
        peer->family = AF_INET6;
        memcpy(peer->address, &((const struct sockaddr_in6 *)address)->sin6_addr, 16);
    } else if (address->sa_family == AF_UNIX) {
        peer->family = AF_UNIX;
        peer->uid = uid;
    }
}

void log_peer_format(const struct log_peer *peer, char *out, size_t out_size)
{
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    storage.ss_family = (sa_family_t)peer->family;
    if (peer->family == AF_INET)
        memcpy(&((struct sockaddr_in *)&storage)->sin_addr, peer->address, 4);
    else if (peer->family == AF_INET6)
        memcpy(&((struct sockaddr_in6 *)&storage)->sin6_addr, peer->address, 16);
    else if (peer->family != AF_UNIX)
        storage.ss_family = AF_UNSPEC;
    listener_format_host((const struct sockaddr *)&storage, out, out_size);
}
