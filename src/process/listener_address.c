/* listener_address.c: socket addresses as text (listener_format_host,
 * listener_format_address; contract in include/process/listener.h).
 *
 * Split from listener.c, which parses and binds: this half runs in every
 * connection process (its client's address for the access log) and in the
 * monitor (the "listening on" lines).
 * Must not: call sprintf-family functions on the per-connection path
 * (listener_format_host), or write past the buffer it is given. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "http/text_number.h"
#include "process/listener.h"

/* Addresses by hand: every connection process formats its client's address,
 * and inet_ntop goes through sprintf for both families (text_number.h says why
 * that matters). The text, and where it does not fit, are inet_ntop's, byte
 * for byte (tests/unit/test_listener.c compares the two at every buffer size). */
static size_t write_dotted_quad(const unsigned char *bytes, char *out)
{
    char *at = out;
    for (size_t i = 0; i < 4; i++) {
        if (i > 0)
            *at++ = '.';
        at += number_decimal(bytes[i], at);
    }
    return (size_t)(at - out);
}

/* text, when it fits with its NUL (else false, as inet_ntop answers ENOSPC). */
static bool fit_text(const char *formatted, size_t length, char *text, size_t text_size)
{
    if (length >= text_size)
        return false;
    memcpy(text, formatted, length);
    text[length] = '\0';
    return true;
}

/* Dotted decimal, as inet_ntop writes it. False when text cannot hold it. */
static bool format_ipv4(const struct in_addr *address, char *text, size_t text_size)
{
    char out[INET_ADDRSTRLEN];
    size_t length =
        write_dotted_quad((const unsigned char *)&address->s_addr, out); /* network order */
    return fit_text(out, length, text, text_size);
}

/* RFC 5952 text as glibc's inet_ntop writes it: lowercase hexadecimal groups,
 * the longest run of two or more zero groups (the first of equals) as "::",
 * and the last 32 bits dotted for ::ffff:0:0/96 and for ::/96 when the zero
 * run is exactly six groups. False when text cannot hold it. */
static bool format_ipv6(const struct in6_addr *address, char *text, size_t text_size)
{
    const unsigned char *bytes = address->s6_addr;
    unsigned groups[8];
    for (size_t i = 0; i < 8; i++)
        groups[i] = (unsigned)bytes[2 * i] << 8 | bytes[2 * i + 1];
    size_t best_start = 8, best_length = 0;
    for (size_t i = 0; i < 8;) {
        size_t run = 0;
        while (i + run < 8 && groups[i + run] == 0)
            run++;
        if (run > best_length)
            best_start = i, best_length = run;
        i += run ? run : 1;
    }
    if (best_length < 2)
        best_start = 8, best_length = 0;
    char out[INET6_ADDRSTRLEN], *at = out;
    for (size_t i = 0; i < 8; i++) {
        if (i >= best_start && i < best_start + best_length) {
            if (i == best_start)
                *at++ = ':';
            continue;
        }
        if (i > 0)
            *at++ = ':';
        if (i == 6 && best_start == 0 &&
            (best_length == 6 || (best_length == 5 && groups[5] == 0xffff))) {
            at += write_dotted_quad(bytes + 12, at);
            break;
        }
        at += number_hex(groups[i], at);
    }
    if (best_length > 0 && best_start + best_length == 8)
        *at++ = ':';
    return fit_text(out, (size_t)(at - out), text, text_size);
}

/* text, truncated to text_size with a NUL, as snprintf would, without stdio. */
static void copy_text(char *text, size_t text_size, const char *literal)
{
    size_t length = strlen(literal);
    if (text_size == 0)
        return;
    if (length >= text_size)
        length = text_size - 1;
    memcpy(text, literal, length);
    text[length] = '\0';
}

void listener_format_host(const struct sockaddr *address, char *text, size_t text_size)
{
    if (address->sa_family == AF_UNIX) {
        copy_text(text, text_size, "local");
        return;
    }
    if (address->sa_family == AF_INET &&
        format_ipv4(&((const struct sockaddr_in *)address)->sin_addr, text, text_size))
        return;
    if (address->sa_family == AF_INET6 &&
        format_ipv6(&((const struct sockaddr_in6 *)address)->sin6_addr, text, text_size))
        return;
    copy_text(text, text_size, "unknown");
}

void listener_format_address(const struct sockaddr *address, char *text, size_t text_size)
{
    char host[INET6_ADDRSTRLEN];
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host))
            snprintf(host, sizeof host, "?");
        snprintf(text, text_size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        if (!inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host))
            snprintf(host, sizeof host, "?");
        snprintf(text, text_size, "%s:%u", host, ntohs(v4->sin_port));
    } else if (address->sa_family == AF_UNIX) {
        snprintf(text, text_size, "unix:%s", ((const struct sockaddr_un *)address)->sun_path);
    } else {
        snprintf(text, text_size, "unknown");
    }
}
