"""test_site_headers.py: --header and --cache-control, live.

A site-wide row is on every response: 200, 206, 304, HEAD, a listing, the
trailing-slash 301, OPTIONS, a 404, a refusal the parser makes (400) and the
supervisor's 503 written without a process. A prefix row is on the responses
for paths under its prefix (206 and 304 too) and nowhere else: not on a sibling
such as /assetsX/, not on the prefix without its slash, not on error responses
(those carry the site-wide rows only); the longest prefix wins per name, and a
site-wide row stays where no prefix row sets its name. Runs of '/' are merged
first, so "//assets/x.css" is not a way around a prefix's header (the positive
control: the same request without the merge would match no prefix).
--cache-control is a row of file responses only (200, 206, 304), which a
prefix row of the same name overrides; it conflicts with a site-wide
Cache-Control row (start-up refuses, tests/live/test_site_cli.py).
"""
from harness import raw_exchange
from test_static_helpers import StaticTestCase, request

HSTS = ("strict-transport-security", "max-age=63072000; includeSubDomains")
IMMUTABLE = "max-age=31536000, immutable"


class HeaderTestCase(StaticTestCase):
    files = {"index.html": b"<p>home\n", "page.html": b"<p>page\n" * 100,
             "assets/app.css": b"body{}\n" * 50, "assets/img/logo.png": b"\x89PNG\r\n\x1a\n" + b"x" * 40,
             "assetsX/app.css": b"sibling\n", "docs/index.html": b"<p>docs\n", "list/a.txt": b"a\n"}

    def site(self, *extra):
        return self.server("--header", "Strict-Transport-Security: " + HSTS[1],
                           "--header", "X-Frame-Options: DENY",
                           "--header", "/assets/ Cache-Control: " + IMMUTABLE,
                           "--header", "/assets/ X-Frame-Options: SAMEORIGIN",
                           "--header", "/assets/img/ Cache-Control: max-age=60",
                           "--header", "/list/ X-Listing: yes",
                           "--cache-control", "no-cache", "--autoindex", *extra)


class SiteWideTest(HeaderTestCase):
    def test_site_wide_rows_are_on_every_kind_of_response(self):
        server = self.site()
        page_etag = request(server.port, "/page.html")[1]["etag"]
        cases = [
            ("200", "GET", "/page.html", {}, 200),
            ("206", "GET", "/page.html", {"Range": "bytes=0-9"}, 206),
            ("304", "GET", "/page.html", {"If-None-Match": page_etag}, 304),
            ("HEAD", "HEAD", "/page.html", {}, 200),
            ("listing", "GET", "/list/", {}, 200),
            ("301", "GET", "/docs", {}, 301),
            ("404", "GET", "/missing.html", {}, 404),
            ("403", "GET", "/.env", {}, 403),
            ("416", "GET", "/page.html", {"Range": "bytes=99999-"}, 416),
            ("412", "GET", "/page.html", {"If-Match": '"nope"'}, 412),
        ]
        for name, method, path, headers, status in cases:
            with self.subTest(response=name):
                got, fields, _ = request(server.port, path, headers, method=method)
                self.assertEqual(got, status)
                self.assertEqual(fields.get(HSTS[0]), HSTS[1])
                self.assertEqual(fields.get("x-frame-options"), "DENY")
        data, _ = raw_exchange(server.port, b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 204 "), data[:40])
        self.assertIn(b"\r\nStrict-Transport-Security: " + HSTS[1].encode() + b"\r\n", data)

    def test_a_refusal_of_the_parser_carries_them(self):
        server = self.site()
        data, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:40])
        self.assertIn(b"\r\nX-Frame-Options: DENY\r\n", data)
        self.assertNotIn(b"Cache-Control", data)

    def test_the_supervisors_503_carries_them(self):
        """The 503 of --max-connection-rate is written by the supervisor, without a
        connection process: response_error, with the site-wide rows."""
        server = self.site("--max-connection-rate", "1")
        answers = []
        for _ in range(20):
            data, _ = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            answers.append(data)
            if data.startswith(b"HTTP/1.1 503 "):
                break
        busy = answers[-1]
        self.assertTrue(busy.startswith(b"HTTP/1.1 503 "), [a[:20] for a in answers])
        self.assertIn(b"\r\nStrict-Transport-Security: " + HSTS[1].encode() + b"\r\n", busy)
        self.assertIn(b"\r\nRetry-After: 5\r\n", busy)
        self.assertNotIn(b"immutable", busy)
        head, _, body = busy.partition(b"\r\n\r\n")
        length = int([line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0].split(b":")[1])
        self.assertEqual(len(body), length, "the 503 arrived whole")


class PrefixTest(HeaderTestCase):
    def test_prefix_rows_apply_under_their_prefix_only(self):
        server = self.site()
        fields = request(server.port, "/assets/app.css")[1]
        self.assertEqual(fields["cache-control"], IMMUTABLE)
        self.assertEqual(fields["x-frame-options"], "SAMEORIGIN")  # the prefix row wins over the site-wide one
        self.assertEqual(fields[HSTS[0]], HSTS[1])                # no prefix row sets it: site-wide stays
        deeper = request(server.port, "/assets/img/logo.png")[1]
        self.assertEqual(deeper["cache-control"], "max-age=60")   # the longest prefix wins
        self.assertEqual(deeper["x-frame-options"], "SAMEORIGIN")
        for path in ("/assetsX/app.css", "/page.html", "/"):
            with self.subTest(path=path):
                fields = request(server.port, path)[1]
                self.assertEqual(fields["cache-control"], "no-cache")  # --cache-control: every other file
                self.assertEqual(fields["x-frame-options"], "DENY")
        redirect = request(server.port, "/assets")[1]           # the prefix without its slash
        self.assertEqual((redirect["location"], redirect["x-frame-options"]), ("/assets/", "DENY"))
        self.assertNotIn("cache-control", redirect)               # --cache-control: files only

    def test_prefix_rows_on_206_304_and_head(self):
        server = self.site()
        etag = request(server.port, "/assets/app.css")[1]["etag"]
        for name, method, headers, status in (("206", "GET", {"Range": "bytes=0-3"}, 206),
                                              ("304", "GET", {"If-None-Match": etag}, 304),
                                              ("HEAD", "HEAD", {}, 200)):
            with self.subTest(response=name):
                got, fields, body = request(server.port, "/assets/app.css", headers, method=method)
                self.assertEqual(got, status)
                self.assertEqual(fields["cache-control"], IMMUTABLE)
                self.assertEqual(fields["x-frame-options"], "SAMEORIGIN")
        # --cache-control on 206 and 304 of other files, as before.
        etag = request(server.port, "/page.html")[1]["etag"]
        self.assertEqual(request(server.port, "/page.html", {"Range": "bytes=0-3"})[1]["cache-control"], "no-cache")
        self.assertEqual(request(server.port, "/page.html", {"If-None-Match": etag})[1]["cache-control"], "no-cache")

    def test_errors_under_a_prefix_carry_only_the_site_wide_rows(self):
        server = self.site()
        status, fields, _ = request(server.port, "/assets/missing.css")
        self.assertEqual(status, 404)
        self.assertNotIn("cache-control", fields)
        self.assertEqual(fields["x-frame-options"], "DENY")

    def test_a_listing_gets_its_prefix_rows_but_not_cache_control(self):
        server = self.site()
        status, fields, _ = request(server.port, "/list/")
        self.assertEqual((status, fields.get("x-listing")), (200, "yes"))
        self.assertNotIn("cache-control", fields)
        self.assertEqual(request(server.port, "/list/a.txt")[1].get("x-listing"), "yes")  # a file under it too

    def test_merged_slashes_cannot_dodge_a_prefix(self):
        """//assets/app.css is /assets/app.css (runs of '/' merged, as nginx's
        merge_slashes does): it gets the file and the prefix's rows. As sent, the
        path does not start with /assets/: without the merge, --symlinks owner
        would serve the file with no-cache (the bypass this test would catch)."""
        server = self.site("--symlinks", "owner")
        for path in ("//assets/app.css", "/assets//app.css", "///assets///app.css"):
            with self.subTest(path=path):
                status, fields, body = request(server.port, path)
                self.assertEqual((status, body), (200, b"body{}\n" * 50))
                self.assertEqual(fields["cache-control"], IMMUTABLE)
                self.assertEqual(fields["x-frame-options"], "SAMEORIGIN")
        # The control: merging does not make a sibling match (//assetsX/ stays outside).
        self.assertEqual(request(server.port, "//assetsX/app.css")[1]["cache-control"], "no-cache")


class CacheControlTest(HeaderTestCase):
    def test_a_site_wide_cache_control_row_is_on_every_response(self):
        """--header 'Cache-Control: …' (unlike --cache-control) is a site-wide row:
        errors and listings carry it too."""
        server = self.server("--header", "Cache-Control: no-store", "--autoindex")
        for path, status in (("/page.html", 200), ("/missing", 404), ("/list/", 200), ("/docs", 301)):
            with self.subTest(path=path):
                got, fields, _ = request(server.port, path)
                self.assertEqual((got, fields.get("cache-control")), (status, "no-store"))

    def test_without_rows_nothing_is_added(self):
        server = self.server()
        fields = request(server.port, "/page.html")[1]
        for name in ("cache-control", HSTS[0], "x-frame-options"):
            self.assertNotIn(name, fields)

    def test_rows_are_sent_as_given_in_order(self):
        server = self.server("--header", "Link: </a.css>; rel=preload", "--header", "link: </b.js>; rel=preload",
                             "--header", "X-Tabbed: a\tb")
        data, _ = raw_exchange(server.port, b"GET /page.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        head = data.partition(b"\r\n\r\n")[0]
        self.assertIn(b"\r\nLink: </a.css>; rel=preload\r\nlink: </b.js>; rel=preload\r\nX-Tabbed: a\tb\r\n", head)
