"""test_static_conditional.py: validators and conditional requests, live (RFC 9110 §8.8, §13).

Strong ETags from mtime (nanoseconds), size and coding, equal on two servers
serving the same files; If-None-Match (lists, "*", weak comparison, several
field lines) and its precedence over If-Modified-Since; If-Modified-Since at,
before and after the mtime in the three HTTP date formats; unparsable dates
ignored; If-Match / If-Unmodified-Since failing → 412 with the connection kept;
the headers of a 304 and its empty body; --cache-control on 200, 206 and 304;
HEAD answering exactly GET's head.
"""
import os
import shutil

from harness import make_root
from test_static_helpers import (DATE_FORMATS, FIXED_NS, StaticTestCase, comparable_headers, exchange, expected_etag,
                                 imf_date, request, set_mtime)

MTIME = FIXED_NS // 10**9
PAGE = b"<!doctype html><title>page</title><p>conditional requests\n"


class ConditionalTest(StaticTestCase):
    files = {"index.html": b"<!doctype html><p>index\n", "page.html": PAGE, "data.txt": b"0123456789" * 10,
             "data.txt.gz": b"\x1f\x8b pretend gzip"}

    def setUp(self):
        super().setUp()
        for name in self.files:
            set_mtime(os.path.join(self.root, name))
        self.etag = expected_etag(os.path.join(self.root, "page.html"))

    def test_etag_is_strong_and_made_of_mtime_size_and_coding(self):
        server = self.server()
        status, headers, body = request(server.port, "/page.html")
        self.assertEqual((status, body), (200, PAGE))
        self.assertEqual(headers["etag"], self.etag)
        self.assertRegex(headers["etag"], r'^"[0-9a-f]+\.[0-9a-f]+-[0-9a-f]+"$')
        self.assertEqual(headers["last-modified"], imf_date(MTIME))
        self.assertEqual(headers["accept-ranges"], "bytes")
        _, gz_headers, _ = request(server.port, "/data.txt", {"Accept-Encoding": "gzip"})
        self.assertEqual(gz_headers["etag"], expected_etag(os.path.join(self.root, "data.txt.gz"), "gzip"))
        _, plain_headers, _ = request(server.port, "/data.txt", {"Accept-Encoding": "identity"})
        self.assertNotEqual(plain_headers["etag"], gz_headers["etag"])
        # The nanoseconds matter: a change within the same second is a new tag.
        set_mtime(os.path.join(self.root, "page.html"), FIXED_NS + 1)
        _, changed, _ = request(server.port, "/page.html")
        self.assertNotEqual(changed["etag"], self.etag)
        self.assertEqual(changed["last-modified"], imf_date(MTIME))

    def test_etag_round_trip_if_none_match(self):
        server = self.server()
        cases = [
            (self.etag, 304),
            ("W/" + self.etag, 304),                       # weak comparison
            (f'"other", {self.etag}', 304),                # a list
            (f'"a",,  W/"b" ,{self.etag}', 304),
            ("*", 304),
            ('"other"', 200),
            (self.etag[:-1], 200),                          # malformed: matches nothing
            (self.etag.upper(), 200),                       # opaque tags compare byte for byte
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                status, headers, body = request(server.port, "/page.html", {"If-None-Match": value})
                self.assertEqual(status, expected)
                self.assertEqual(body, b"" if expected == 304 else PAGE)
                self.assertEqual(headers["etag"], self.etag)
        # Two field lines form one list.
        status, _, _ = request(server.port, "/page.html", [("If-None-Match", '"x"'), ("If-None-Match", self.etag)])
        self.assertEqual(status, 304)

    def test_304_headers_and_no_body(self):
        server = self.server("--cache-control", "public, max-age=60")
        responses = exchange(server.port, [("GET", "/page.html", [("If-None-Match", self.etag)]),
                                           ("GET", "/data.txt", [("If-None-Match", "*"), ("Accept-Encoding", "gzip")]),
                                           ("GET", "/page.html", [])])
        (status, headers, body), (gz_status, gz_headers, _), (last_status, _, last_body) = responses
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(set(headers), {"date", "server", "x-content-type-options", "last-modified", "etag",
                                        "vary", "cache-control"})
        self.assertEqual(headers["etag"], self.etag)
        self.assertEqual(headers["last-modified"], imf_date(MTIME))
        self.assertEqual(headers["cache-control"], "public, max-age=60")
        # Vary is repeated on every 304 of a file (RFC 9110 §15.4.5), negotiated or not.
        self.assertEqual(headers["vary"], "Accept-Encoding")
        self.assertEqual(gz_status, 304)
        self.assertEqual(gz_headers["vary"], "Accept-Encoding")
        self.assertNotIn("content-length", gz_headers)
        self.assertNotIn("content-encoding", gz_headers)
        # The connection stayed usable: the 304 carried no body bytes.
        self.assertEqual((last_status, last_body), (200, PAGE))
        self.assert_log(server, r'"GET /page.html HTTP/1.1" 304 0 ')

    def test_if_modified_since_in_three_formats(self):
        server = self.server()
        for form, formatter in DATE_FORMATS.items():
            for offset, expected in ((0, 304), (-1, 200), (1, 304), (-86400 * 365, 200), (86400 * 365, 304)):
                with self.subTest(form=form, offset=offset):
                    date = formatter(MTIME + offset)
                    status, headers, body = request(server.port, "/page.html", {"If-Modified-Since": date})
                    self.assertEqual(status, expected, date)
                    self.assertEqual(body, b"" if expected == 304 else PAGE)
                    self.assertEqual(headers["last-modified"], imf_date(MTIME))

    def test_unparsable_or_repeated_dates_are_ignored(self):
        server = self.server()
        for value in ("yesterday", "Sat, 05 Sep 2020 10:00:00 UTC", "Sun, 05 Sep 2020 10:00:00 GMT",
                      "Sat, 5 Sep 2020 10:00:00 GMT", "1599300000", ""):
            with self.subTest(value=value):
                status, _, _ = request(server.port, "/page.html", {"If-Modified-Since": value})
                self.assertEqual(status, 200)
                status, _, _ = request(server.port, "/page.html", {"If-Unmodified-Since": value})
                self.assertEqual(status, 200)
        date = imf_date(MTIME)
        status, _, _ = request(server.port, "/page.html", [("If-Modified-Since", date), ("If-Modified-Since", date)])
        self.assertEqual(status, 200)

    def test_if_none_match_wins_over_if_modified_since(self):
        server = self.server()
        later = imf_date(MTIME + 3600)
        earlier = imf_date(MTIME - 3600)
        status, _, _ = request(server.port, "/page.html", {"If-None-Match": '"other"', "If-Modified-Since": later})
        self.assertEqual(status, 200)
        status, _, _ = request(server.port, "/page.html", {"If-None-Match": self.etag, "If-Modified-Since": earlier})
        self.assertEqual(status, 304)

    def test_if_match_and_if_unmodified_since_fail_with_412(self):
        server = self.server()
        cases = [
            ({"If-Match": '"other"'}, 412),
            ({"If-Match": "W/" + self.etag}, 412),          # strong comparison
            ({"If-Match": self.etag}, 200),
            ({"If-Match": f'"x", {self.etag}'}, 200),
            ({"If-Match": "*"}, 200),
            ({"If-Match": '"x"', "If-None-Match": self.etag}, 412),       # 412 before 304
            ({"If-Match": self.etag, "If-None-Match": self.etag}, 304),
            # If-Unmodified-Since is ignored when If-Match is present (§13.1.4).
            ({"If-Match": self.etag, "If-Unmodified-Since": imf_date(MTIME - 10)}, 200),
        ]
        for form, formatter in DATE_FORMATS.items():
            cases += [({"If-Unmodified-Since": formatter(MTIME - 1)}, 412),
                      ({"If-Unmodified-Since": formatter(MTIME)}, 200),
                      ({"If-Unmodified-Since": formatter(MTIME + 1)}, 200)]
        for headers, expected in cases:
            with self.subTest(headers=headers):
                status, response_headers, body = request(server.port, "/page.html", headers)
                self.assertEqual(status, expected)
                if expected == 412:
                    self.assertIn(b"412 Precondition Failed", body)
                    self.assertNotIn("etag", response_headers)
        # A 412 keeps the connection: the next pipelined request is answered.
        responses = exchange(server.port, [("GET", "/page.html", [("If-Match", '"nope"')]),
                                           ("GET", "/page.html", [])])
        self.assertEqual([r[0] for r in responses], [412, 200])
        self.assert_log(server, r'"GET /page.html HTTP/1.1" 412 \d+ .* precondition-failed( |$)')

    def test_two_instances_agree(self):
        first = self.server()
        second = self.server()
        copy_root = make_root()
        self.addCleanup(shutil.rmtree, copy_root, True)
        for name in self.files:
            shutil.copy2(os.path.join(self.root, name), os.path.join(copy_root, name))  # keeps the ns mtime
            os.chmod(os.path.join(copy_root, name), 0o644)
        third = self.server(root=copy_root)
        for path, headers in (("/page.html", {}), ("/data.txt", {"Accept-Encoding": "gzip"}), ("/", {})):
            answers = [request(server.port, path, headers)[1] for server in (first, second, third)]
            self.assertEqual(len({a["etag"] for a in answers}), 1, answers)
            self.assertEqual(len({a["last-modified"] for a in answers}), 1, answers)
        # A tag from one instance revalidates at another.
        tag = request(first.port, "/page.html")[1]["etag"]
        self.assertEqual(request(third.port, "/page.html", {"If-None-Match": tag})[0], 304)

    def test_cache_control_on_file_responses(self):
        server = self.server("--cache-control", "no-cache")
        self.assertEqual(request(server.port, "/page.html")[1]["cache-control"], "no-cache")
        self.assertEqual(request(server.port, "/page.html", {"Range": "bytes=0-3"})[1]["cache-control"], "no-cache")
        self.assertEqual(request(server.port, "/page.html", {"If-None-Match": "*"})[1]["cache-control"], "no-cache")
        self.assertEqual(request(server.port, "/")[1]["cache-control"], "no-cache")  # index file
        self.assertNotIn("cache-control", request(server.port, "/missing")[1])
        plain = self.server()
        self.assertNotIn("cache-control", request(plain.port, "/page.html")[1])

    def test_head_answers_exactly_the_headers_of_get(self):
        server = self.server("--cache-control", "max-age=5")
        cases = [("/page.html", []), ("/", []), ("/data.txt", [("Accept-Encoding", "gzip")]),
                 ("/data.txt", [("Accept-Encoding", "br;q=0, identity")]),
                 ("/page.html", [("If-None-Match", self.etag)]), ("/page.html", [("If-Match", '"x"')]),
                 ("/page.html", [("If-Modified-Since", imf_date(MTIME - 5))]), ("/missing.html", []),
                 ("/.hidden", []), ("/page.html", [("If-Range", self.etag)])]
        for path, headers in cases:
            with self.subTest(path=path, headers=headers):
                get, head = exchange(server.port, [("GET", path, headers), ("HEAD", path, headers)])
                self.assertEqual(get[0], head[0])
                self.assertEqual(comparable_headers(get[1]), comparable_headers(head[1]))
                self.assertEqual(head[2], b"")
                if get[0] == 200:
                    self.assertEqual(int(head[1]["content-length"]), len(get[2]))
