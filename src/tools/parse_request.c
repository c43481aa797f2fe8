/* parse_request.c: build/parse-request, the parser's frozen outside interface.
 *
 * Reads one request head from standard input (at most the parser's largest head),
 * runs http_parse_request() once on all of it, and prints exactly one line of
 * JSON (format: docs/conformance.md, "build/parse-request"). Exit status 0 for
 * every parse outcome; 2 only for usage or input errors.
 *
 * Must not: interpret the request beyond what the parser returns, or print
 * anything but the one JSON line on standard output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/http_parser.h"

/* Leading empty lines, request line and field block at their largest, plus room
 * to see that input went past them. */
#define INPUT_CAPACITY (HTTP_MAX_REQUEST_LINE + HTTP_MAX_HEADER_BYTES + 4096u)

static char input[INPUT_CAPACITY];
static struct http_request request;

/* A JSON string holding each byte as the code point of the same value
 * (Latin-1), escaped so the output is plain ASCII. */
static void print_json_bytes(const char *data, size_t length)
{
    putchar('"');
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)data[i];
        if (byte == '"' || byte == '\\')
            printf("\\%c", byte);
        else if (byte < 0x20 || byte >= 0x7f)
            printf("\\u%04x", byte);
        else
            putchar(byte);
    }
    putchar('"');
}

static void print_span(const char *key, struct http_span span)
{
    printf(", \"%s\": ", key);
    print_json_bytes(span.data, span.length);
}

static void print_complete(void)
{
    printf(", \"consumed\": %zu", request.consumed);
    print_span("method", request.method_name);
    printf(", \"target\": ");
    print_json_bytes(request.path, request.path_length);
    print_span("raw_target", request.raw_target);
    if (request.query.data)
        print_span("query", request.query);
    if (request.authority.data)
        print_span("authority", request.authority);
    printf(", \"version\": \"%u.%u\"", request.version_major, request.version_minor);
    printf(", \"keep_alive\": %s", request.keep_alive ? "true" : "false");
    printf(", \"headers\": [");
    for (uint32_t i = 0; i < request.field_count; i++) {
        printf(i ? ", [" : "[");
        print_json_bytes(request.fields[i].name.data, request.fields[i].name.length);
        printf(", ");
        print_json_bytes(request.fields[i].value.data, request.fields[i].value.length);
        printf("]");
    }
    printf("]");
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: parse-request < request\n");
        return 2;
    }
    size_t length = 0;
    while (length < sizeof input) {
        ssize_t got = read(STDIN_FILENO, input + length, sizeof input - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "parse-request: reading standard input: %s\n", strerror(errno));
            return 2;
        }
        if (got == 0)
            break;
        length += (size_t)got;
    }

    enum http_parse_result result = http_parse_request(input, length, NULL, &request);
    static const char *const RESULT_NAMES[] = {"incomplete", "complete", "error"};
    printf("{\"result\": \"%s\", \"status\": %d", RESULT_NAMES[result], request.status);
    if (result == HTTP_PARSE_ERROR)
        printf(", \"reason\": \"%s\"", http_reason_name(request.reason));
    if (result == HTTP_PARSE_COMPLETE)
        print_complete();
    printf("}\n");
    return fflush(stdout) == 0 ? 0 : 2;
}
