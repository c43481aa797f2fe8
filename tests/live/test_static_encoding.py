"""test_static_encoding.py: precompressed siblings and media types, live.

FILE.br and FILE.gz are served when Accept-Encoding allows them (RFC 9110
§12.5.3: q-values, q=0, "*", identity; br before gzip at equal weight), with
Content-Encoding, the original's Content-Type and Vary: Accept-Encoding (on
every file response, sibling or not); siblings are looked for only when a
coding could win over identity (strace of the connection processes shows the
lookups); Range applies to the encoded bytes; a sibling that is not a regular
file is ignored. MIME types of common extensions, application/octet-stream for
unknown ones, and --mime-types FILE end to end.
"""
import os
import re
import shutil
import tempfile

import tracing
from harness import Server
from test_static_helpers import StaticTestCase, expected_etag, request

JS = b"console.log('prong');\n" * 20
JS_BR = b"pretend brotli bytes"
JS_GZ = b"\x1f\x8b pretend gzip bytes, longer"
CSS = b"body { color: black }\n"
CSS_GZ = b"\x1f\x8b pretend gzip css"


class EncodingTest(StaticTestCase):
    files = {"index.html": b"<p>index\n", "app.js": JS, "app.js.br": JS_BR, "app.js.gz": JS_GZ,
             "only-gz.css": CSS, "only-gz.css.gz": CSS_GZ, "plain.txt": b"plain\n"}

    def coding_of(self, server, path, accept_encoding):
        headers = [] if accept_encoding is None else [("Accept-Encoding", accept_encoding)]
        status, response_headers, body = request(server.port, path, headers)
        self.assertEqual(status, 200)
        return response_headers.get("content-encoding", "identity"), response_headers, body

    def test_negotiation_with_q_values(self):
        server = self.server()
        cases = [
            (None, "identity"),                 # no Accept-Encoding: identity
            ("", "identity"),
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, br", "br"),                 # equal weight: br first
            ("gzip, deflate, br, zstd", "br"),  # a browser's value
            ("br;q=0.5, gzip", "gzip"),
            ("br;q=0.9, gzip;q=0.8", "br"),
            ("gzip;q=0.5", "gzip"),             # identity unnamed ranks last
            ("gzip;q=0.5, identity", "identity"),
            ("identity", "identity"),
            ("*", "br"),
            ("*;q=0", "identity"),              # nothing acceptable: the plain file
            ("br;q=0, *", "gzip"),
            ("br;q=0", "identity"),
            ("gzip;q=0, br;q=0", "identity"),
            ("identity;q=0, gzip;q=0.1", "gzip"),
            ("GZIP", "gzip"),
            ("x-gzip", "gzip"),
            ("gzip;q=bogus", "identity"),       # malformed weight: member ignored
        ]
        bodies = {"identity": JS, "gzip": JS_GZ, "br": JS_BR}
        for accept, expected in cases:
            with self.subTest(accept_encoding=accept):
                coding, headers, body = self.coding_of(server, "/app.js", accept)
                self.assertEqual(coding, expected)
                self.assertEqual(body, bodies[expected])
                self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
                self.assertEqual(headers["vary"], "Accept-Encoding")
                self.assertEqual(int(headers["content-length"]), len(bodies[expected]))
                suffix = {"identity": "", "gzip": ".gz", "br": ".br"}[expected]
                self.assertEqual(headers["etag"], expected_etag(os.path.join(self.root, "app.js" + suffix),
                                                                None if expected == "identity" else expected))

    def test_only_existing_siblings_are_offered(self):
        server = self.server()
        self.assertEqual(self.coding_of(server, "/only-gz.css", "br")[0], "identity")
        coding, headers, body = self.coding_of(server, "/only-gz.css", "br, gzip;q=0.1")
        self.assertEqual((coding, body, headers["content-type"]), ("gzip", CSS_GZ, "text/css; charset=utf-8"))
        self.assertEqual(self.coding_of(server, "/only-gz.css", "*")[0], "gzip")
        coding, headers, _ = self.coding_of(server, "/plain.txt", "gzip, br")
        self.assertEqual(coding, "identity")
        self.assertEqual(headers["vary"], "Accept-Encoding")  # on every file: a sibling may appear
        # The siblings themselves are plain files to anyone who asks for them by name.
        status, headers, body = request(server.port, "/app.js.gz", {"Accept-Encoding": "gzip"})
        self.assertEqual((status, body, headers["content-type"]), (200, JS_GZ, "application/gzip"))
        self.assertNotIn("content-encoding", headers)

    def test_siblings_are_looked_for_only_when_a_coding_is_acceptable(self):
        if tracing.TRACE_DIR:
            self.skipTest("the policy check traces this server already (a process has one tracer)")
        server = self.server()
        with tempfile.TemporaryDirectory() as directory:
            tracer = tracing.attach(server, directory)
            try:
                for accept in (None, "identity", "br;q=0, gzip;q=0, deflate", "gzip"):
                    coding, headers, body = self.coding_of(server, "/app.js", accept)
                    self.assertEqual((coding, headers["vary"]), ("gzip" if accept == "gzip" else "identity",
                                                                 "Accept-Encoding"), accept)
            finally:
                tracing.stop(tracer)
            with open(os.path.join(directory, f"trace.{server.pid}")) as f:
                trace = f.read()
        # Only the request that accepts gzip (the control) looked; the three others did not.
        self.assertEqual(sorted(re.findall(r'openat2\([^"\n]*"(app\.js\.(?:br|gz))"', trace)),
                         ["app.js.br", "app.js.gz"], trace[-3000:])

    def test_sibling_that_is_not_a_regular_file_is_ignored(self):
        os.mkdir(os.path.join(self.root, "plain.txt.gz"))
        os.mkfifo(os.path.join(self.root, "plain.txt.br"), 0o644)
        server = self.server()
        coding, headers, body = self.coding_of(server, "/plain.txt", "br, gzip")
        self.assertEqual((coding, body), ("identity", b"plain\n"))
        self.assertEqual(headers["vary"], "Accept-Encoding")

    def test_index_file_siblings(self):
        with open(os.path.join(self.root, "index.html.gz"), "wb") as f:
            f.write(b"\x1f\x8b index")
        os.chmod(os.path.join(self.root, "index.html.gz"), 0o644)
        server = self.server()
        coding, headers, body = self.coding_of(server, "/", "gzip")
        self.assertEqual((coding, body, headers["content-type"]), ("gzip", b"\x1f\x8b index", "text/html; charset=utf-8"))

    def test_range_applies_to_the_encoded_bytes(self):
        server = self.server()
        status, headers, body = request(server.port, "/app.js", {"Accept-Encoding": "gzip", "Range": "bytes=2-9"})
        self.assertEqual(status, 206)
        self.assertEqual(body, JS_GZ[2:10])
        self.assertEqual(headers["content-range"], f"bytes 2-9/{len(JS_GZ)}")
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(headers["vary"], "Accept-Encoding")
        # Several ranges of an encoded representation: the whole representation (200).
        status, headers, body = request(server.port, "/app.js", {"Accept-Encoding": "br", "Range": "bytes=0-1,4-5"})
        self.assertEqual((status, body, headers["content-encoding"]), (200, JS_BR, "br"))

    def test_conditionals_use_the_selected_representation(self):
        server = self.server()
        gz_tag = request(server.port, "/app.js", {"Accept-Encoding": "gzip"})[1]["etag"]
        status, headers, _ = request(server.port, "/app.js", {"Accept-Encoding": "gzip", "If-None-Match": gz_tag})
        self.assertEqual((status, headers["vary"]), (304, "Accept-Encoding"))
        status, _, body = request(server.port, "/app.js", {"Accept-Encoding": "identity", "If-None-Match": gz_tag})
        self.assertEqual((status, body), (200, JS))


class MimeTest(StaticTestCase):
    files = {name: b"x" for name in (
        "index.html", "page.htm", "style.css", "app.js", "module.mjs", "data.json", "image.png", "IMAGE.PNG",
        "photo.jpg", "anim.gif", "pic.webp", "logo.svg", "icon.ico", "font.woff2", "code.wasm", "doc.pdf",
        "notes.txt", "feed.xml", "video.mp4", "archive.zip", "unknown.xyz", "noextension", "dir.d/file",
        "custom.prong", "override.png")}

    EXPECTED = {
        "/page.htm": "text/html; charset=utf-8", "/style.css": "text/css; charset=utf-8",
        "/app.js": "text/javascript; charset=utf-8", "/module.mjs": "text/javascript; charset=utf-8",
        "/data.json": "application/json", "/image.png": "image/png", "/IMAGE.PNG": "image/png",
        "/photo.jpg": "image/jpeg", "/anim.gif": "image/gif", "/pic.webp": "image/webp", "/logo.svg": "image/svg+xml",
        "/icon.ico": "image/vnd.microsoft.icon", "/font.woff2": "font/woff2", "/code.wasm": "application/wasm",
        "/doc.pdf": "application/pdf", "/notes.txt": "text/plain; charset=utf-8", "/feed.xml": "application/xml",
        "/video.mp4": "video/mp4", "/archive.zip": "application/zip",
        "/unknown.xyz": "application/octet-stream", "/noextension": "application/octet-stream",
        "/dir.d/file": "application/octet-stream", "/custom.prong": "application/octet-stream",
        "/override.png": "image/png",
    }

    def test_built_in_types(self):
        server = self.server()
        for path, expected in self.EXPECTED.items():
            with self.subTest(path=path):
                status, headers, _ = request(server.port, path)
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-type"], expected)
                self.assertEqual(headers["x-content-type-options"], "nosniff")

    def test_mime_types_file(self):
        directory = tempfile.mkdtemp(prefix="prong-mime-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "mime.types")
        with open(path, "w") as f:
            f.write("# site types\ntext/x-prong   prong PRG\nimage/x-custom png\n\n"
                    "application/vnd.example+json  xyz  # trailing comment\n")
        server = self.server("--mime-types", path)
        expected = dict(self.EXPECTED)
        expected.update({"/custom.prong": "text/x-prong", "/override.png": "image/x-custom",
                         "/image.png": "image/x-custom", "/IMAGE.PNG": "image/x-custom",
                         "/unknown.xyz": "application/vnd.example+json"})
        for request_path, content_type in expected.items():
            with self.subTest(path=request_path):
                self.assertEqual(request(server.port, request_path)[1]["content-type"], content_type)

    def test_bad_mime_types_file_refuses_to_start(self):
        directory = tempfile.mkdtemp(prefix="prong-mime-")
        self.addCleanup(shutil.rmtree, directory, True)
        bad = os.path.join(directory, "bad.types")
        with open(bad, "w") as f:
            f.write('text"html html\n')
        for argument in (bad, os.path.join(directory, "missing.types")):
            with self.subTest(argument=argument):
                server = Server(self.root, "--mime-types", argument, expect_start=False)
                server.start()
                self.addCleanup(server.__exit__, None, None, None)
                self.assertEqual(server.wait(), 2)
                self.assertTrue(any("--mime-types" in line for line in server.log_lines()), server.log_lines())
