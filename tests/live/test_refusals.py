"""test_refusals.py: requests the parser refuses, sent to the real binary. Each
gets its exact status, an error page that says "Connection: close", a closed
connection, and nothing after it answered, even a valid request pipelined in
the same write; the access log line carries the reason code; the connection
process ends; the server goes on serving (docs/conformance.md)."""
import re

from harness import LiveTestCase, http_request, parse_responses, raw_exchange

HOST = b"Host: t\r\n"
FOLLOWER = b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"  # valid, pipelined after each bad request

# (name, bytes, status, reason) -- at least one per status the parser can give.
BAD_REQUESTS = [
    ("bare LF", b"GET / HTTP/1.1\n" + HOST + b"\r\n", 400, "bare-lf"),
    ("bare LF ending a field", b"GET / HTTP/1.1\r\nHost: t\n\r\n", 400, "bare-lf"),
    ("bare CR", b"GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400, "bare-cr"),
    ("NUL in a field value", b"GET / HTTP/1.1\r\n" + HOST + b"X: a\0b\r\n\r\n", 400, "nul-byte"),
    ("NUL in the target", b"GET /\0 HTTP/1.1\r\n" + HOST + b"\r\n", 400, "nul-byte"),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + HOST + b"X: a\r\n b\r\n\r\n", 400, "obs-fold"),
    ("missing Host", b"GET / HTTP/1.1\r\n\r\n", 400, "missing-host"),
    ("two Host lines", b"GET / HTTP/1.1\r\n" + HOST + HOST + b"\r\n", 400, "duplicate-host"),
    ("bad Host", b"GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", 400, "bad-host"),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, "space-before-colon"),
    ("encoded NUL", b"GET /a%00.html HTTP/1.1\r\n" + HOST + b"\r\n", 400, "encoded-nul"),
    ("encoded CRLF", b"GET /a%0d%0aSet-Cookie:x HTTP/1.1\r\n" + HOST + b"\r\n", 400, "encoded-control"),
    ("escaping the root", b"GET /../etc/passwd HTTP/1.1\r\n" + HOST + b"\r\n", 400, "path-escapes-root"),
    ("HTTP/0.9", b"GET /\r\n\r\n", 400, "bad-request-line"),
    ("POST", b"POST / HTTP/1.1\r\n" + HOST + b"\r\n", 405, "method-not-allowed"),
    ("DELETE", b"DELETE /index.html HTTP/1.1\r\n" + HOST + b"\r\n", 405, "method-not-allowed"),
    ("unknown method", b"FOO / HTTP/1.1\r\n" + HOST + b"\r\n", 501, "method-not-implemented"),
    ("lower-case get", b"get / HTTP/1.1\r\n" + HOST + b"\r\n", 501, "method-not-implemented"),
    ("Transfer-Encoding chunked", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     501, "transfer-encoding"),
    ("Transfer-Encoding gzip", b"GET / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n", 400,
     "bad-transfer-encoding"),
    ("Transfer-Encoding in HTTP/1.0", b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "transfer-encoding-http10"),
    ("Content-Length: 5", b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n\r\nhello", 413,
     "content-length-body"),
    ("bad Content-Length", b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400, "bad-content-length"),
    ("two Content-Length lines", b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
     400, "duplicate-content-length"),
    ("long request line", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414, "request-line-too-long"),
    ("long path segment", b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414, "segment-too-long"),
    ("101 fields", b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431,
     "too-many-fields"),
    ("17 KiB of fields", b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"v" * 17000 + b"\r\n\r\n", 431,
     "header-too-large"),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 505, "version-not-supported"),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "version-not-supported"),
    ("bad Connection", b"GET / HTTP/1.1\r\n" + HOST + b"Connection: a b\r\n\r\n", 400, "bad-connection"),
]

PHRASES = {400: "Bad Request", 405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long",
           431: "Request Header Fields Too Large", 501: "Not Implemented", 505: "HTTP Version Not Supported"}


class RefusalTest(LiveTestCase):
    def test_every_refusal_has_its_status_closes_and_answers_nothing_after(self):
        statuses = {status for _, _, status, _ in BAD_REQUESTS}
        self.assertEqual(statuses, {400, 405, 413, 414, 431, 501, 505})
        server = self.server("--log-children")
        for name, data, status, reason in BAD_REQUESTS:
            with self.subTest(case=name):
                received, closed = raw_exchange(server.port, data + FOLLOWER, idle=3.0)
                self.assertTrue(closed, "the connection stayed open after a refusal")
                responses = parse_responses(received)
                self.assertEqual(len(responses), 1, f"something after the refused request was answered: {received!r}")
                got, headers, body = responses[0]
                self.assertEqual(got, status, received[:200])
                self.assertTrue(received.startswith(b"HTTP/1.1 %d %s\r\n" % (status, PHRASES[status].encode())))
                self.assertEqual(headers.get("connection"), "close")
                self.assertEqual(headers.get("content-security-policy"), "default-src 'none'")
                self.assertEqual(headers.get("server"), "prong")
                self.assertEqual(headers.get("x-content-type-options"), "nosniff")
                self.assertEqual(body, b"<!doctype html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n"
                                 % (status, PHRASES[status].encode(), status, PHRASES[status].encode()))
                if status in (405, 501):
                    self.assertEqual(headers.get("allow"), "GET, HEAD, OPTIONS")
                server.wait_for_log(rf" {status} {len(body)} \"-\" \"-\" \d+ {re.escape(reason)}(?: |$)")
        # Every connection process ended, each after exactly one (refused) request.
        server.wait_for_log(r"child pid=\d+ ", count=len(BAD_REQUESTS))
        server.wait_for_no_children()
        ends = server.child_end_lines()
        self.assertEqual(len(ends), len(BAD_REQUESTS), ends)
        for line in ends:
            self.assertRegex(line, r" exit=0 .* requests=1 bytes=\d+(?: |$)")
        # No access line for any follower: one line per refused request, nothing served.
        access = server.access_lines()
        self.assertEqual(len(access), len(BAD_REQUESTS), "\n".join(access))
        self.assertEqual([line for line in access if re.search(r'" 200 \d+ | \d+ -( |$)', line)], [])
        # And the server still serves.
        status, _, body = http_request(server.port, "GET", "/index.html")
        self.assertEqual((status, body), (200, self.files["index.html"]))

    def test_refused_head_request_has_no_body(self):
        server = self.server()
        received, closed = raw_exchange(server.port, b"HEAD / HTTP/1.1\r\n\r\n" + FOLLOWER, idle=3.0)
        self.assertTrue(closed)
        head, _, rest = received.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), head)
        self.assertIn(b"\r\nContent-Length: 72\r\n", head + b"\r\n")
        self.assertEqual(rest, b"", "a refused HEAD got a body, or the follower was answered")

    def test_refusal_after_served_requests_on_the_same_connection(self):
        """A bad request later in a pipeline: the earlier ones are answered, then it, then nothing."""
        server = self.server()
        data = FOLLOWER + FOLLOWER + b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n" + FOLLOWER
        received, closed = raw_exchange(server.port, data, idle=3.0)
        self.assertTrue(closed)
        self.assertEqual([r[0] for r in parse_responses(received)], [200, 200, 400])
        server.wait_for_log(r" 400 \d+ .* obs-fold(?: |$)")

    def test_client_closing_a_partial_head_gets_400(self):
        server = self.server()
        received, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: t\r\n", half_close=True, idle=3.0)
        self.assertTrue(closed)
        (status, headers, _), = parse_responses(received)
        self.assertEqual((status, headers.get("connection")), (400, "close"))
        server.wait_for_log(r" 400 \d+ .* incomplete-head(?: |$)")
