"""test_static_range.py: byte ranges, live (RFC 9110 §14).

Every Range form (first-last, first-, -suffix), clamping, 416 with
"Content-Range: bytes */SIZE", invalid fields ignored, several ranges as
multipart/byteranges, overlapping ranges and 17 or 1,000 ranges answered with
the whole file once (no amplification), If-Range with an entity tag (strong
comparison) and with a date, Range ignored for HEAD (§14.2), and a 5 GiB
sparse file served near its end with 64-bit Content-Range values.
"""
import os
import time

from test_static_helpers import (DATE_FORMATS, FIXED_NS, StaticTestCase, build_request, comparable_headers, exchange,
                                 expected_etag, parse_multipart, parse_pipelined, request, send_and_read_all,
                                 set_mtime)

DATA = bytes(range(256)) * 40  # 10,240 bytes
SIZE = len(DATA)
MTIME = FIXED_NS // 10**9


class RangeTest(StaticTestCase):
    files = {"index.html": b"<p>index\n", "data.bin": DATA, "empty.txt": b""}

    def setUp(self):
        super().setUp()
        set_mtime(os.path.join(self.root, "data.bin"))
        self.etag = expected_etag(os.path.join(self.root, "data.bin"))

    def get_range(self, server, value, extra=()):
        return request(server.port, "/data.bin", [("Range", value)] + list(extra))

    def assert_partial(self, response, first, last):
        status, headers, body = response
        self.assertEqual(status, 206)
        self.assertEqual(headers["content-range"], f"bytes {first}-{last}/{SIZE}")
        self.assertEqual(int(headers["content-length"]), last - first + 1)
        self.assertEqual(body, DATA[first:last + 1])
        self.assertEqual(headers["etag"], self.etag)
        self.assertEqual(headers["content-type"], "application/octet-stream")

    def assert_whole(self, response):
        status, headers, body = response
        self.assertEqual(status, 200)
        self.assertEqual(body, DATA)
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertNotIn("content-range", headers)

    def test_single_range_forms(self):
        server = self.server()
        self.assert_partial(self.get_range(server, "bytes=0-99"), 0, 99)
        self.assert_partial(self.get_range(server, "bytes=100-"), 100, SIZE - 1)
        self.assert_partial(self.get_range(server, "bytes=-100"), SIZE - 100, SIZE - 1)
        self.assert_partial(self.get_range(server, "bytes=0-0"), 0, 0)
        self.assert_partial(self.get_range(server, f"bytes={SIZE - 1}-{SIZE - 1}"), SIZE - 1, SIZE - 1)
        self.assert_partial(self.get_range(server, "bytes=5000-99999999999999999999999"), 5000, SIZE - 1)
        self.assert_partial(self.get_range(server, "bytes=-99999999999999999999999"), 0, SIZE - 1)
        self.assert_partial(self.get_range(server, "Bytes=1-2"), 1, 2)
        self.assert_partial(self.get_range(server, f"bytes={SIZE + 5}-{SIZE + 9}, 7-8"), 7, 8)
        self.assert_log(server, r'"GET /data.bin HTTP/1.1" 206 100 ')

    def test_unsatisfiable_is_416(self):
        server = self.server()
        for value in (f"bytes={SIZE}-", f"bytes={SIZE}-{SIZE + 100}", "bytes=-0", "bytes=99999999999999999999-",
                      f"bytes={SIZE}-,-0"):
            with self.subTest(value=value):
                status, headers, body = self.get_range(server, value)
                self.assertEqual(status, 416)
                self.assertEqual(headers["content-range"], f"bytes */{SIZE}")
                self.assertIn(b"416 Range Not Satisfiable", body)
        # 416 keeps the connection.
        responses = exchange(server.port, [("GET", "/data.bin", [("Range", f"bytes={SIZE}-")]),
                                           ("GET", "/data.bin", [("Range", "bytes=0-1")])])
        self.assertEqual([r[0] for r in responses], [416, 206])
        self.assert_log(server, r'"GET /data.bin HTTP/1.1" 416 \d+ .* range-not-satisfiable( |$)')

    def test_invalid_range_fields_are_ignored(self):
        server = self.server()
        for value in ("bytes=5-3", "items=0-1", "bytes 0-1", "bytes=", "bytes=a-b", "bytes=0 -1", "bytes=1",
                      "bytes=0-1;x", "bytes=--1", "bytes=0x0-1"):
            with self.subTest(value=value):
                self.assert_whole(self.get_range(server, value))
        # Two Range fields: ambiguous, ignored.
        self.assert_whole(request(server.port, "/data.bin", [("Range", "bytes=0-1"), ("Range", "bytes=2-3")]))
        # An empty file ignores Range (nothing to select).
        status, headers, body = request(server.port, "/empty.txt", {"Range": "bytes=0-10"})
        self.assertEqual((status, headers["content-length"], body), (200, "0", b""))

    def test_several_ranges_are_multipart(self):
        server = self.server()
        status, headers, body = self.get_range(server, "bytes=0-9, 20-29,-5")
        self.assertEqual(status, 206)
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertNotIn("content-range", headers)
        self.assertEqual(headers["etag"], self.etag)
        parts = parse_multipart(headers["content-type"], body)
        self.assertEqual([p[0]["content-range"] for p in parts],
                         ["bytes 0-9/10240", "bytes 20-29/10240", f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}"])
        self.assertEqual([p[1] for p in parts], [DATA[0:10], DATA[20:30], DATA[-5:]])
        self.assertEqual({p[0]["content-type"] for p in parts}, {"application/octet-stream"})
        # The boundary is fresh per response.
        _, again, _ = self.get_range(server, "bytes=0-9,20-29")
        self.assertNotEqual(again["content-type"], headers["content-type"])
        # The cap: 16 ranges are served as 16 parts.
        sixteen = ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(16))
        status, headers, body = self.get_range(server, "bytes=" + sixteen)
        self.assertEqual(status, 206)
        parts = parse_multipart(headers["content-type"], body)
        self.assertEqual([p[1] for p in parts], [DATA[i * 100:i * 100 + 10] for i in range(16)])

    def test_overlapping_and_too_many_ranges_do_not_amplify(self):
        server = self.server()
        self.assert_whole(self.get_range(server, "bytes=0-99,50-149"))
        self.assert_whole(self.get_range(server, "bytes=0-,0-"))
        self.assert_whole(self.get_range(server, "bytes=-1,-1"))
        seventeen = ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(17))
        self.assert_whole(self.get_range(server, "bytes=" + seventeen))
        # 1,000 ranges, overlapping (the same byte) or disjoint: the file once, no more.
        for value in ("bytes=" + ",".join(["0-"] * 1000), "bytes=" + ",".join(["0-0"] * 1000),
                      "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(1000))):
            with self.subTest(length=len(value)):
                data = send_and_read_all(server.port, build_request("/data.bin", [("Range", value)], close=True))
                self.assertLess(len(data), SIZE + 1024, "the response is larger than the file")
                status, headers, body = parse_pipelined(data, ["GET"])[0]
                self.assertEqual((status, body), (200, DATA))

    def test_if_range(self):
        server = self.server()
        self.assert_partial(self.get_range(server, "bytes=0-9", [("If-Range", self.etag)]), 0, 9)
        self.assert_whole(self.get_range(server, "bytes=0-9", [("If-Range", '"other"')]))
        self.assert_whole(self.get_range(server, "bytes=0-9", [("If-Range", "W/" + self.etag)]))  # strong only
        for form, formatter in DATE_FORMATS.items():
            with self.subTest(form=form):
                self.assert_partial(self.get_range(server, "bytes=0-9", [("If-Range", formatter(MTIME))]), 0, 9)
                self.assert_whole(self.get_range(server, "bytes=0-9", [("If-Range", formatter(MTIME + 1))]))
                self.assert_whole(self.get_range(server, "bytes=0-9", [("If-Range", formatter(MTIME - 1))]))
        self.assert_whole(self.get_range(server, "bytes=0-9", [("If-Range", "garbage")]))
        # A date equal to a Last-Modified that is not at least a second before the
        # server's clock is a weak validator (§13.1.5): no range. (mtime in the future.)
        path = os.path.join(self.root, "data.bin")
        future = int(time.time()) + 3600
        os.utime(path, (future, future))
        status, _, _ = request(server.port, "/data.bin", [("Range", "bytes=0-9"), ("If-Range", headers_date(future))])
        self.assertEqual(status, 200)
        # If-Range without Range changes nothing.
        status, _, body = request(server.port, "/data.bin", {"If-Range": '"x"'})
        self.assertEqual((status, body), (200, DATA))

    def test_preconditions_come_before_ranges(self):
        server = self.server()
        status, _, body = self.get_range(server, "bytes=0-9", [("If-None-Match", self.etag)])
        self.assertEqual((status, body), (304, b""))
        status, _, _ = self.get_range(server, f"bytes={SIZE}-", [("If-Match", '"x"')])
        self.assertEqual(status, 412)

    def test_head_ignores_range(self):
        # RFC 9110 §14.2: GET is the only method range handling is defined for.
        server = self.server()
        get_whole, head = exchange(server.port, [("GET", "/data.bin", []), ("HEAD", "/data.bin", [("Range", "bytes=0-9")])])
        self.assertEqual(head[0], 200)
        self.assertEqual(comparable_headers(head[1]), comparable_headers(get_whole[1]))
        self.assertEqual(head[1]["content-length"], str(SIZE))

    def test_five_gib_sparse_file_near_its_end(self):
        size = 5 * 2**30
        path = os.path.join(self.root, "huge.bin")
        tail = bytes(range(200, 250)) * 2  # 100 bytes
        middle = b"across the 4 GiB mark"
        with open(path, "wb") as f:
            f.truncate(size)
            f.seek(size - len(tail))
            f.write(tail)
            f.seek(2**32 - 5)
            f.write(middle)
        os.chmod(path, 0o644)
        server = self.server()
        status, headers, body = request(server.port, "/huge.bin", {"Range": "bytes=-100"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["content-range"], f"bytes {size - 100}-{size - 1}/{size}")
        self.assertEqual(body, tail)
        status, headers, body = request(server.port, "/huge.bin", {"Range": f"bytes={2**32 - 5}-{2**32 + 15}"})
        self.assertEqual(headers["content-range"], f"bytes 4294967291-4294967311/{size}")
        self.assertEqual(body, middle)
        status, headers, body = request(server.port, "/huge.bin", {"Range": f"bytes={size - 10}-{size * 2}"})
        self.assertEqual((headers["content-range"], body), (f"bytes {size - 10}-{size - 1}/{size}", tail[-10:]))
        status, headers, _ = request(server.port, "/huge.bin", method="HEAD")
        self.assertEqual((status, headers["content-length"]), (200, str(size)))
        status, headers, _ = request(server.port, "/huge.bin", {"Range": f"bytes={size}-"})
        self.assertEqual((status, headers["content-range"]), (416, f"bytes */{size}"))


def headers_date(seconds):
    return DATE_FORMATS["IMF-fixdate"](seconds)
