"""test_serving.py: what a client gets for GET, HEAD and OPTIONS from the real
binary: files with their type, length, dates and validator; index files; the
trailing-slash redirect; 403/404; dotfiles; a 1 GiB file end to end; keep-alive,
pipelining and every way a connection is meant to close; the headers every
response carries, and error pages that echo nothing from the request."""
import email.utils
import hashlib
import http.client
import os
import re
import socket
import threading
import time

from harness import LiveTestCase, http_request, parse_responses, raw_exchange

IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d\d:\d\d:\d\d GMT$")
RFC_EXAMPLE_MTIME = 784111777  # "Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7
ERROR_PAGE = "<!doctype html>\n<title>{0} {1}</title>\n<h1>{0} {1}</h1>\n"

# name -> (content, Content-Type from the built-in table)
TYPED_FILES = {
    "page.html": (b"<!doctype html><p>page\n", "text/html; charset=utf-8"),
    "style.css": (b"body{color:red}\n", "text/css; charset=utf-8"),
    "app.js": (b"console.log(1);\n", "text/javascript; charset=utf-8"),
    "data.json": (b'{"a": 1}\n', "application/json"),
    "notes.txt": (b"plain text\n", "text/plain; charset=utf-8"),
    "logo.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>\n", "image/svg+xml"),
    "pixel.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100, "image/png"),  # 25 KiB: the sendfile path
    "PHOTO.JPG": (b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg"),  # extensions match case-insensitively
    "module.wasm": (b"\x00asm\x01\x00\x00\x00", "application/wasm"),
    "archive.unknownext": (b"?", "application/octet-stream"),
    "README": (b"no extension\n", "application/octet-stream"),
    "empty.txt": (b"", "text/plain; charset=utf-8"),
}


def request(method, path, *extra, version="1.1", host="t"):
    lines = [f"{method} {path} HTTP/{version}"] + ([f"Host: {host}"] if host else []) + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(port, data, head_requests=0, **options):
    """Send data on one connection; (parsed responses, raw bytes, closed by the server)."""
    received, closed = raw_exchange(port, data, **options)
    return parse_responses(received, head_requests), received, closed


class ServingTest(LiveTestCase):
    files = dict({name: content for name, (content, _) in TYPED_FILES.items()}, **{
        "index.html": b"<!doctype html><title>t</title><p>index\n",
        "sub/index.html": b"<!doctype html><p>sub index\n",
        "noindex/file.txt": b"in a directory without an index\n",
        ".secret": b"top secret\n",
        ".git/config": b"[core]\n",
        "a/.hidden": b"hidden\n",
        "a/visible.txt": b"visible\n",
        ".well-known/x": b"well known\n",
        ".well-known/.y": b"hidden beneath .well-known\n",
        "unreadable.txt": b"root only\n",
    })

    def setUp(self):
        super().setUp()
        os.chmod(os.path.join(self.root, "unreadable.txt"), 0o600)  # owned by root: nobody cannot read it
        for name in TYPED_FILES:
            os.utime(os.path.join(self.root, name), (RFC_EXAMPLE_MTIME, RFC_EXAMPLE_MTIME))
        # A directory whose name needs percent-encoding in a Location header.
        self.odd_dir = b"odd dir <\"'>&\xc3\xa9"
        odd = os.path.join(self.root.encode(), self.odd_dir)
        os.mkdir(odd, 0o755)
        with open(os.path.join(odd, b"index.html"), "wb") as f:
            f.write(b"odd index\n")
        os.chmod(os.path.join(odd, b"index.html"), 0o644)

    # ------------------------------------------------------------ checks
    def assert_common_headers(self, headers, server_header=True):
        self.assertEqual(headers.get("x-content-type-options"), "nosniff", headers)
        if server_header:
            self.assertEqual(headers.get("server"), "prong", headers)
        else:
            self.assertNotIn("server", headers)
        self.assertRegex(headers.get("date", ""), IMF_FIXDATE)
        sent = email.utils.parsedate_to_datetime(headers["date"]).timestamp()
        self.assertLess(abs(sent - time.time()), 5, f"Date {headers['date']} is not now")

    def assert_error_page(self, status, headers, body, reason_phrase):
        self.assert_common_headers(headers)
        self.assertEqual(headers.get("content-security-policy"), "default-src 'none'")
        self.assertEqual(headers.get("content-type"), "text/html; charset=utf-8")
        self.assertEqual(body.decode(), ERROR_PAGE.format(status, reason_phrase))
        self.assertEqual(int(headers["content-length"]), len(body))

    # ------------------------------------------------------------ files
    def test_get_and_head_of_regular_files(self):
        server = self.server()
        for name, (content, content_type) in TYPED_FILES.items():
            with self.subTest(file=name):
                status, headers, body = http_request(server.port, "GET", "/" + name)
                self.assertEqual(status, 200)
                self.assertEqual(body, content)
                self.assertEqual(headers["content-type"], content_type)
                self.assertEqual(headers["content-length"], str(len(content)))
                self.assertEqual(headers["last-modified"], "Sun, 06 Nov 1994 08:49:37 GMT")
                self.assertRegex(headers["etag"], r'^"[\x21\x23-\x7e]+"$')  # strong, quoted
                self.assert_common_headers(headers)
                self.assertNotIn("content-security-policy", headers)  # only error pages forbid loads

                # HEAD: the very same header fields, and not one byte of body on the wire.
                responses, received, closed = exchange(server.port, request("HEAD", "/" + name, "Connection: close"),
                                                       head_requests=1)
                self.assertTrue(closed)
                self.assertEqual(len(responses), 1)
                head_status, head_headers, head_body = responses[0]
                self.assertEqual(head_status, 200)
                self.assertEqual(head_body, b"")
                self.assertTrue(received.endswith(b"\r\n\r\n"), "HEAD sent bytes after its head")
                self.assertEqual(received.count(b"\r\n\r\n"), 1)
                self.assert_common_headers(head_headers)
                without_date = lambda fields: {k: v for k, v in fields.items() if k not in ("date", "connection")}
                self.assertEqual(without_date(head_headers), without_date(headers))
        lines = server.wait_for_log(r'"GET /style\.css HTTP/1\.1" 200 16 ')
        self.assertRegex(lines[0], r'^127\.0\.0\.1 - - \[[^]]+\] "GET /style\.css HTTP/1\.1" 200 16 "-" "[^"]*" \d+ -(?: |$)')

    def test_etag_changes_with_the_file(self):
        server = self.server()
        _, first, _ = http_request(server.port, "GET", "/notes.txt")
        path = os.path.join(self.root, "notes.txt")
        with open(path, "ab") as f:
            f.write(b"more\n")
        os.utime(path, (RFC_EXAMPLE_MTIME + 60, RFC_EXAMPLE_MTIME + 60))
        status, second, body = http_request(server.port, "GET", "/notes.txt")
        self.assertEqual((status, body), (200, b"plain text\nmore\n"))
        self.assertNotEqual(first["etag"], second["etag"])
        self.assertEqual(second["last-modified"], "Sun, 06 Nov 1994 08:50:37 GMT")

    def test_directory_serves_its_index(self):
        server = self.server()
        for path, name in (("/", "index.html"), ("/sub/", "sub/index.html")):
            with self.subTest(path=path):
                status, headers, body = http_request(server.port, "GET", path)
                self.assertEqual(status, 200)
                self.assertEqual(body, self.files[name])
                self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
                self.assertEqual(headers["content-length"], str(len(self.files[name])))
                status, head_headers, body = http_request(server.port, "HEAD", path)
                self.assertEqual((status, body), (200, b""))
                self.assertEqual(head_headers["etag"], headers["etag"])
        status, headers, body = http_request(server.port, "GET", "/noindex/")
        self.assertEqual(status, 403)
        self.assert_error_page(403, headers, body, "Forbidden")
        server.wait_for_log(r'"GET /noindex/ HTTP/1\.1" 403 \d+ .* no-index(?: |$)')

    def test_redirect_adds_the_trailing_slash_encoded(self):
        server = self.server()
        status, headers, body = http_request(server.port, "GET", "/sub")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/sub/")
        self.assertEqual(headers.get("content-security-policy"), "default-src 'none'")
        self.assert_common_headers(headers)
        self.assertEqual(body.decode(), ERROR_PAGE.format(301, "Moved Permanently"))

        # A name full of bytes that must not appear raw in a header; the query is
        # kept as received where its bytes are safe in a URI query (test_site_paths.py).
        encoded = "/odd%20dir%20%3C%22%27%3E%26%C3%A9"
        received, _ = raw_exchange(server.port, request("GET", encoded + "?q=%3Cscript%3Ealert(1)", "Connection: close"))
        (status, headers, body), = parse_responses(received)
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], encoded + "/?q=%3Cscript%3Ealert(1)")
        self.assertRegex(headers["location"], r"^[A-Za-z0-9\-._~/%]+\?[A-Za-z0-9\-._~/%?=()]*$")
        self.assertEqual(body.decode(), ERROR_PAGE.format(301, "Moved Permanently"))
        head = received.partition(b"\r\n\r\n")[0].replace(b"default-src 'none'", b"")
        for raw in (b"<", b">", b'"', b"'", b"&", b"\xc3", b"odd dir"):  # the query's own bytes are kept
            self.assertNotIn(raw, head, f"{raw!r} from the request reached the response head")
        # Following it lands on the index.
        status, _, body = http_request(server.port, "GET", headers["location"])
        self.assertEqual((status, body), (200, b"odd index\n"))
        # A dot-segment path is redirected by its normalised form.
        status, headers, _ = http_request(server.port, "GET", "/a/../sub")
        self.assertEqual((status, headers["location"]), (301, "/sub/"))
        status, headers, body = http_request(server.port, "HEAD", "/sub")
        self.assertEqual((status, headers["location"], body), (301, "/sub/", b""))

    def test_missing_and_unreadable(self):
        server = self.server()
        for path, status, phrase, reason in (("/missing.html", 404, "Not Found", "not-found"),
                                             ("/sub/missing/deeper", 404, "Not Found", "not-found"),
                                             ("/index.html/x", 404, "Not Found", "not-found"),
                                             ("/unreadable.txt", 403, "Forbidden", "not-readable")):
            with self.subTest(path=path):
                got, headers, body = http_request(server.port, "GET", path)
                self.assertEqual(got, status)
                self.assert_error_page(status, headers, body, phrase)
                self.assertNotIn(b"root only", body)
                server.wait_for_log(rf'"GET {re.escape(path)} HTTP/1\.1" {status} {len(body)} .* {reason}(?: |$)')
        # Neither ends a kept-alive connection: an answer is not a protocol error.
        responses, _, closed = exchange(server.port, request("GET", "/missing.html") + request("GET", "/unreadable.txt")
                                        + request("GET", "/notes.txt", "Connection: close"))
        self.assertEqual([r[0] for r in responses], [404, 403, 200])
        self.assertEqual(responses[2][2], TYPED_FILES["notes.txt"][0])
        self.assertTrue(closed)

    def test_dotfiles_refused_but_well_known_served(self):
        server = self.server()
        for path in ("/.secret", "/.git/config", "/.git/", "/a/.hidden", "/.well-known/.y", "/%2esecret",
                     "/a/%2Ehidden", "/sub/../.secret", "/.nonexistent"):
            with self.subTest(path=path):
                status, headers, body = http_request(server.port, "GET", path)
                self.assertEqual(status, 403)
                self.assert_error_page(403, headers, body, "Forbidden")
                server.wait_for_log(rf'"GET {re.escape(path)} HTTP/1\.1" 403 \d+ .* hidden-path(?: |$)')
        for path, content, content_type in (("/.well-known/x", b"well known\n", "application/octet-stream"),
                                            ("/a/visible.txt", b"visible\n", "text/plain; charset=utf-8")):
            status, headers, body = http_request(server.port, "GET", path)
            self.assertEqual((status, body, headers["content-type"]), (200, content, content_type))

    def test_one_gib_file_served_completely(self):
        size = 1 << 30
        path = os.path.join(self.root, "big.bin")
        with open(path, "wb") as f:  # sparse, with distinct bytes at both ends and in the middle
            f.truncate(size)
            for offset in (0, size // 2 - 3, size - 16):
                f.seek(offset)
                f.write(b"prong-marker-%d" % (offset % 10))
        os.chmod(path, 0o644)
        expected = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 22):
                expected.update(chunk)
        server = self.server()
        digest, received = hashlib.sha256(), 0
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
            s.sendall(request("GET", "/big.bin", "Connection: close"))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(65536)
                self.assertTrue(chunk, "closed before the head ended")
                head += chunk
            head, _, rest = head.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
            self.assertIn(b"\r\nContent-Length: %d\r\n" % size, head + b"\r\n")
            self.assertIn(b"\r\nContent-Type: application/octet-stream\r\n", head + b"\r\n")
            digest.update(rest)
            received = len(rest)
            buffer = bytearray(1 << 20)
            view = memoryview(buffer)
            while True:
                got = s.recv_into(buffer)
                if got == 0:
                    break
                digest.update(view[:got])
                received += got
        self.assertEqual(received, size)
        self.assertEqual(digest.hexdigest(), expected.hexdigest())
        server.wait_for_log(r'"GET /big\.bin HTTP/1\.1" 200 1073741824 .* -(?: |$)')

    # ------------------------------------------------------------ connections
    def test_keep_alive_serves_several_requests_on_one_connection(self):
        server = self.server("--log-children")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            local_ports = set()
            for path in ("/", "/style.css", "/missing", "/data.json", "/sub"):
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                self.assertNotEqual(response.getheader("connection"), "close")
                local_ports.add(connection.sock.getsockname()[1])
            self.assertEqual(len(local_ports), 1, "http.client had to reconnect")
        finally:
            connection.close()
        lines = server.wait_for_log(r"child pid=\d+ client=127\.0\.0\.1 exit=0 .* requests=5 ")
        self.assertEqual(len(server.child_end_lines()), 1, server.child_end_lines())
        self.assertEqual(len(lines), 1)

    def test_pipelined_requests_answered_in_order_at_the_exact_byte(self):
        server = self.server()
        pipeline = (request("HEAD", "/style.css")
                    + request("GET", "/index.html")
                    + b"\r\n"  # an empty line before a request is allowed (RFC 9112 §2.2)
                    + request("GET", "/missing")
                    + request("OPTIONS", "*")
                    + request("GET", "/sub")
                    + request("GET", "/pixel.png")
                    + request("GET", "/empty.txt")
                    + request("GET", "/notes.txt", "Connection: close")
                    + request("GET", "/app.js"))  # after the close: never answered
        responses, received, closed = exchange(server.port, pipeline, head_requests=1)
        self.assertTrue(closed)
        self.assertEqual([r[0] for r in responses], [200, 200, 404, 204, 301, 200, 200, 200])
        self.assertEqual(responses[0][2], b"")
        self.assertEqual(responses[0][1]["content-length"], str(len(TYPED_FILES["style.css"][0])))
        self.assertEqual(responses[1][2], self.files["index.html"])
        self.assertEqual(responses[4][1]["location"], "/sub/")
        self.assertEqual(responses[5][2], TYPED_FILES["pixel.png"][0])
        self.assertEqual(responses[6][2], b"")
        self.assertEqual(responses[7][2], TYPED_FILES["notes.txt"][0])
        # parse_responses consumed every byte: nothing extra, nothing for /app.js.
        self.assertTrue(received.endswith(TYPED_FILES["notes.txt"][0]))
        self.assertNotIn(b"console.log", received)

        # The same, written one byte at a time: framing must not depend on packet boundaries.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            small = request("GET", "/notes.txt") + request("GET", "/data.json", "Connection: close")
            for i in range(len(small)):
                s.send(small[i:i + 1])
            received = b""
            while chunk := s.recv(65536):
                received += chunk
        responses = parse_responses(received)
        self.assertEqual([(r[0], r[2]) for r in responses],
                         [(200, TYPED_FILES["notes.txt"][0]), (200, TYPED_FILES["data.json"][0])])

    def test_long_pipeline_larger_than_the_input_buffer(self):
        """900 pipelined requests (~39 KB, more than the 32 KiB read buffer) in one
        write, read concurrently: every one answered, in order, nothing lost at a
        buffer edge (the default --max-requests, 1000, is not reached)."""
        server = self.server()
        count = 900
        pipeline = b"".join(request("GET", f"/notes.txt?n={i}") for i in range(count))
        pipeline += request("GET", "/data.json", "Connection: close")
        self.assertGreater(len(pipeline), 32 << 10)
        received = bytearray()
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
            def read_until_closed():
                while chunk := s.recv(1 << 20):
                    received.extend(chunk)

            reader = threading.Thread(target=read_until_closed, daemon=True)
            reader.start()
            s.sendall(pipeline)
            reader.join(30)
            self.assertFalse(reader.is_alive(), "the server did not close after the last request")
        responses = parse_responses(bytes(received))
        self.assertEqual(len(responses), count + 1)
        self.assertEqual({(r[0], r[2]) for r in responses[:-1]}, {(200, TYPED_FILES["notes.txt"][0])})
        self.assertEqual(responses[-1][2], TYPED_FILES["data.json"][0])
        lines = server.wait_for_log(r'"GET /notes\.txt\?n=\d+ HTTP/1\.1" 200 ', count=count)
        self.assertEqual([int(re.search(r"\?n=(\d+) ", line).group(1)) for line in lines], list(range(count)))

    def test_max_requests_closes_after_n(self):
        server = self.server("--max-requests", "2", "--log-children")
        responses, _, closed = exchange(server.port, request("GET", "/notes.txt") * 4)
        self.assertTrue(closed)
        self.assertEqual([(r[0], r[2]) for r in responses], [(200, TYPED_FILES["notes.txt"][0])] * 2)
        # Sequentially on one connection too: the third request finds it closed.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            for _ in range(2):
                s.sendall(request("GET", "/notes.txt"))
                data = b""
                while not data.endswith(TYPED_FILES["notes.txt"][0]):
                    chunk = s.recv(65536)
                    self.assertTrue(chunk)
                    data += chunk
            s.settimeout(5)
            self.assertEqual(s.recv(65536), b"", "the connection stayed open after --max-requests")
        server.wait_for_log(r"child pid=.* requests=2 ", count=2)

    def test_connection_close_and_http10_close(self):
        server = self.server("--idle-timeout", "10")
        cases = [
            ("HTTP/1.1 Connection: close", request("GET", "/notes.txt", "Connection: close"), True),
            ("HTTP/1.1 close among options", request("GET", "/notes.txt", "Connection: foo, close"), True),
            ("HTTP/1.0", request("GET", "/notes.txt", version="1.0", host=None), True),
            ("HTTP/1.0 with Host", request("GET", "/notes.txt", version="1.0"), True),
            ("HTTP/1.0 keep-alive", request("GET", "/notes.txt", "Connection: keep-alive", version="1.0"), False),
            ("HTTP/1.1 default", request("GET", "/notes.txt"), False),
        ]
        for name, data, closes in cases:
            with self.subTest(case=name):
                # closed is only true if the server closed within the 1 s of silence
                # that exchange waits, so a close that waited for a timeout fails it.
                responses, _, closed = exchange(server.port, data + request("GET", "/data.json"), idle=1.0)
                self.assertEqual(responses[0][:1] + responses[0][2:], (200, TYPED_FILES["notes.txt"][0]))
                if closes:
                    self.assertTrue(closed, "the server kept the connection open")
                    self.assertEqual(len(responses), 1, "a request after the close was answered")
                else:
                    self.assertFalse(closed)
                    self.assertEqual([r[0] for r in responses], [200, 200])

    def test_final_response_says_connection_close(self):
        """When prong is about to close (the client asked, HTTP/1.0, --max-requests
        reached) the last response says "Connection: close" (RFC 9112 §9.6), so a
        keep-alive client does not send its next request into a closing connection."""
        server = self.server("--max-requests", "2")
        cases = [
            ("client sent close", request("GET", "/notes.txt", "Connection: close"), 1),
            ("HTTP/1.0", request("GET", "/notes.txt", version="1.0"), 1),
            ("--max-requests reached", request("GET", "/notes.txt") * 2, 2),
        ]
        for name, data, count in cases:
            with self.subTest(case=name):
                responses, _, closed = exchange(server.port, data)
                self.assertTrue(closed)
                self.assertEqual(len(responses), count)
                self.assertEqual(responses[-1][1].get("connection"), "close",
                                 "the response before the close does not say so")
                for _, headers, _ in responses[:-1]:
                    self.assertNotEqual(headers.get("connection"), "close")

    def test_every_response_has_server_and_nosniff(self):
        server = self.server()
        pipeline = (request("HEAD", "/") + request("GET", "/notes.txt") + request("GET", "/sub")
                    + request("GET", "/missing") + request("GET", "/.secret") + request("OPTIONS", "/")
                    + request("POST", "/"))
        responses, received, closed = exchange(server.port, pipeline, head_requests=1)
        self.assertTrue(closed)
        self.assertEqual([r[0] for r in responses], [200, 200, 301, 404, 403, 204, 405])
        for status, headers, _ in responses:
            with self.subTest(status=status):
                self.assert_common_headers(headers)
                if status >= 300:
                    self.assertEqual(headers.get("content-security-policy"), "default-src 'none'")
        self.assertEqual(received.count(b"\r\nServer: prong\r\n"), len(responses))
        self.assertEqual(responses[-1][1]["allow"], "GET, HEAD, OPTIONS")
        self.assertEqual(responses[-1][1]["connection"], "close")

    def test_server_header_off(self):
        server = self.server("--server-header", "off")
        pipeline = (request("GET", "/notes.txt") + request("GET", "/sub") + request("GET", "/missing")
                    + request("OPTIONS", "*") + request("GET", "/bad\\path"))
        responses, received, closed = exchange(server.port, pipeline)
        self.assertTrue(closed)
        self.assertEqual([r[0] for r in responses], [200, 301, 404, 204, 400])
        self.assertNotIn(b"\r\nserver:", received.lower())
        for status, headers, _ in responses:
            self.assert_common_headers(headers, server_header=False)

    def test_error_pages_echo_nothing_from_the_request(self):
        server = self.server()
        marker = b"<script>alert(31337)</script>"
        cases = [
            (b"GET /" + marker + b" HTTP/1.1\r\nHost: t\r\n\r\n", 400, "Bad Request"),  # raw: bad-target
            (request("GET", "/%3Cscript%3Ealert(31337)%3C/script%3E"), 404, "Not Found"),
            (request("GET", "/missing?q=%3Cscript%3Ealert(31337)"), 404, "Not Found"),
            (b"GET /missing HTTP/1.1\r\nHost: t\r\nUser-Agent: " + marker + b"\r\nReferer: " + marker + b"\r\n\r\n",
             404, "Not Found"),
            (request("GET", "/.x%3Cscript%3Ealert(31337)"), 403, "Forbidden"),
            (b"POST /" + marker.replace(b"<", b"%3C").replace(b">", b"%3E") + b" HTTP/1.1\r\nHost: t\r\n\r\n", 405,
             "Method Not Allowed"),
            (b"GET / HTTP/1.1\r\nHost: t\r\nX-Evil: " + marker + b"\n\r\n", 400, "Bad Request"),  # bare-lf
            (b"GET / HTTP/1.1\r\nHost: " + marker + b"\r\n\r\n", 400, "Bad Request"),  # bad-host
        ]
        for data, status, phrase in cases:
            with self.subTest(request=data[:60]):
                received, _ = raw_exchange(server.port, data + request("GET", "/x", "Connection: close"))
                responses = parse_responses(received)
                self.assertEqual(responses[0][0], status)
                self.assert_error_page(status, responses[0][1], responses[0][2], phrase)
                for needle in (b"script", b"alert", b"31337", b"%3C"):
                    self.assertNotIn(needle, received.lower())
        # The access log escapes what it records: no raw quote or angle-bracket payload breaks a line.
        lines = server.wait_for_log(r"^\S+ - - \[", count=len(cases))  # at least one per case
        for line in lines:
            self.assertRegex(line, r'^127\.0\.0\.1 - - \[[^]]+\] "([^"\\]|\\x[0-9a-f]{2})*" \d{3} \d+ '
                                   r'"([^"\\]|\\x[0-9a-f]{2})*" "([^"\\]|\\x[0-9a-f]{2})*" \d+ \S+'
                                   r'( "([^"\\]|\\x[0-9a-f]{2})*"| [^" ]+)*$')  # fields appended later

    def test_options_is_204_with_allow_and_no_body(self):
        server = self.server()
        for target in ("*", "/", "/notes.txt", "/missing"):
            with self.subTest(target=target):
                # The GET behind it must start right after the 204's head: a 204 carries no body.
                received, closed = raw_exchange(server.port, request("OPTIONS", target)
                                                + request("GET", "/notes.txt", "Connection: close"))
                self.assertTrue(closed)
                head, _, rest = received.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 204 No Content\r\n"), head)
                self.assertTrue(rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:40])
                responses = parse_responses(received)
                status, headers, body = responses[0]
                self.assertEqual(headers["allow"], "GET, HEAD, OPTIONS")
                self.assertNotIn("content-length", headers)  # RFC 9110 §8.6: not in a 204
                self.assertNotIn("transfer-encoding", headers)
                self.assert_common_headers(headers)
                self.assertEqual(responses[1][2], TYPED_FILES["notes.txt"][0])
