"""test_static_cache.py: the per-connection file cache stays correct when files change, live.

A connection process keeps the last small file it served in memory and, for
the next request of the same path, compares one fstatat of it with what it
cached (static/file_cache.h). These tests change the file on disk between two
requests on ONE kept-alive connection, in the ways that try hardest to look
unchanged (same size, mtime put back to the nanosecond), and check the second
answer is the new file, or the right refusal: rewritten in place, renamed over,
removed, made unreadable, replaced by a symlink that leaves the root, a
directory index rewritten, a file written through a shared mapping (no
stat field changes: served fresh once the entry's maximum age has passed).
Range, HEAD and 304 answers from the cache are
checked byte for byte against the file. The positive control (strace of the
connection process): a settled file is opened once for three requests, so the
cache really serves them, while a file changed in the last two seconds, or a
client that may accept an encoding, opens it every time.
Files are taken only when their mtime and ctime are 2 s old: each test waits
(bounded) until its files are, so it is the cache under test, not its absence.
Must not: leave a server or a file behind (LiveTestCase reaps both).
"""
import mmap
import os
import re
import socket
import tempfile
import time

import tracing
from harness import parse_responses
from test_static_helpers import StaticTestCase, set_mtime

SETTLED_S = 2.2  # file_cache.h: FILE_CACHE_SETTLED_NS is 2 s
MAX_AGE_S = 1.1  # file_cache.h: FILE_CACHE_MAX_AGE_NS is 1 s
BODY = b"cached body, first version.\n" * 30
OTHER = b"CACHED BODY, SECOND VERSION.\n"[:28] * 30  # same length as BODY


class KeptAlive:
    """One kept-alive connection: get() sends a request and reads its whole response."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.pending = b""

    def close(self):
        self.socket.close()

    def get(self, path, headers=(), method="GET"):
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{n}: {v}" for n, v in headers]
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        while b"\r\n\r\n" not in self.pending:
            self.read_more()
        end = self.pending.index(b"\r\n\r\n") + 4
        status, response_headers, _ = parse_responses(self.pending[:end], head_requests=1)[0]
        length = 0 if method == "HEAD" or status in (204, 304) else int(response_headers["content-length"])
        while len(self.pending) < end + length:
            self.read_more()
        body, self.pending = self.pending[end:end + length], self.pending[end + length:]
        return status, response_headers, body

    def read_more(self):
        chunk = self.socket.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection; unread: {self.pending[:200]!r}")
        self.pending += chunk


def wait_until_settled(*paths):
    """Until every path's mtime and ctime are SETTLED_S old (bounded: a few seconds)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        newest = max(max(os.lstat(p).st_mtime, os.lstat(p).st_ctime) for p in paths)
        if time.time() - newest >= SETTLED_S:
            return
        time.sleep(0.1)
    raise AssertionError(f"{paths} did not settle")


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


class FileCacheTest(StaticTestCase):
    files = {"a.txt": BODY, "d/index.html": BODY, "other.txt": OTHER}

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.root, "a.txt")
        set_mtime(self.path)  # fixed times: a change can then restore them exactly
        wait_until_settled(self.path, os.path.join(self.root, "d/index.html"), os.path.join(self.root, "other.txt"))
        self.server_ = self.server()
        self.connection = KeptAlive(self.server_.port)
        self.addCleanup(self.connection.close)
        self.assertEqual(self.connection.get("/a.txt")[::2], (200, BODY))

    def test_a_file_rewritten_in_place_with_its_times_put_back_is_served_fresh(self):
        before = os.stat(self.path)
        with open(self.path, "r+b") as f:
            f.write(OTHER)
        os.utime(self.path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(self.path)
        self.assertEqual((after.st_size, after.st_mtime_ns, after.st_ino),
                         (before.st_size, before.st_mtime_ns, before.st_ino))
        self.assertEqual(self.connection.get("/a.txt")[::2], (200, OTHER))

    def test_a_file_renamed_over_with_the_same_size_and_times_is_served_fresh(self):
        replacement = os.path.join(self.root, "a.txt.new")
        write(replacement, OTHER)
        set_mtime(replacement)
        os.rename(replacement, self.path)
        self.assertEqual(self.connection.get("/a.txt")[::2], (200, OTHER))

    def test_a_removed_file_is_not_found(self):
        os.remove(self.path)
        self.assertEqual(self.connection.get("/a.txt")[0], 404)

    def test_a_file_made_unreadable_is_refused(self):
        os.chmod(self.path, 0o000)
        self.assertEqual(self.connection.get("/a.txt")[0], 403)

    def test_a_file_replaced_by_a_link_out_of_the_root_is_refused(self):
        with tempfile.NamedTemporaryFile(delete=False) as outside:
            outside.write(BODY)
        self.addCleanup(os.remove, outside.name)
        os.chmod(outside.name, 0o644)
        os.remove(self.path)
        os.symlink(outside.name, self.path)
        self.assertEqual(self.connection.get("/a.txt")[0], 403)

    def test_a_directory_index_rewritten_is_served_fresh(self):
        index = os.path.join(self.root, "d/index.html")
        self.assertEqual(self.connection.get("/d/")[::2], (200, BODY))
        before = os.stat(index)
        write(index, OTHER)
        os.utime(index, ns=(before.st_atime_ns, before.st_mtime_ns))
        self.assertEqual(self.connection.get("/d/")[::2], (200, OTHER))
        self.assertEqual(self.connection.get("/d")[0], 301)  # a different path: the cache does not answer it

    def test_a_file_written_through_a_shared_mapping_is_served_fresh_after_the_maximum_age(self):
        # A write to a mapped page already dirty sets no time (mmap(2)): the
        # cache cannot see it, so an entry is used for at most its maximum age.
        with open(self.path, "r+b") as f, mmap.mmap(f.fileno(), len(BODY)) as mapped:
            mapped[:1] = b"C"  # the page's first write fault: the times are set now
            wait_until_settled(self.path)
            first = BODY[:1].replace(b"c", b"C") + BODY[1:]
            self.assertEqual(self.connection.get("/a.txt")[::2], (200, first))  # read into the cache
            before = os.stat(self.path)
            mapped[:] = OTHER
            after = os.stat(self.path)
            if (before.st_mtime_ns, before.st_ctime_ns) != (after.st_mtime_ns, after.st_ctime_ns):
                self.skipTest("this kernel dates every write through a mapping: nothing to bound")
            time.sleep(MAX_AGE_S)  # not a timed assertion: after it, the entry must be read again
            self.assertEqual(self.connection.get("/a.txt")[::2], (200, OTHER))

    def test_range_head_and_304_from_the_cache_match_the_file(self):
        status, headers, body = self.connection.get("/a.txt", [("Range", "bytes=5-14")])
        self.assertEqual((status, body, headers["content-range"]), (206, BODY[5:15], f"bytes 5-14/{len(BODY)}"))
        status, headers, body = self.connection.get("/a.txt", [("Range", "bytes=0-1,-2")])
        self.assertEqual(status, 206)
        self.assertIn(BODY[:2], body)
        self.assertIn(BODY[-2:], body)
        status, head_headers, body = self.connection.get("/a.txt", method="HEAD")
        self.assertEqual((status, body, head_headers["content-length"]), (200, b"", str(len(BODY))))
        status, _, body = self.connection.get("/a.txt", [("If-None-Match", head_headers["etag"])])
        self.assertEqual((status, body), (304, b""))
        # And after all that, the whole file again, still exact.
        self.assertEqual(self.connection.get("/a.txt")[::2], (200, BODY))


class FileCacheControlTest(StaticTestCase):
    files = {"settled.txt": BODY, "encoded.txt": BODY}

    def test_control_a_settled_file_is_opened_once_a_fresh_or_negotiated_one_every_time(self):
        if tracing.TRACE_DIR:
            self.skipTest("the policy check traces this server already (a process has one tracer)")
        settled = os.path.join(self.root, "settled.txt")
        wait_until_settled(settled, os.path.join(self.root, "encoded.txt"))
        write(os.path.join(self.root, "fresh.txt"), BODY)  # changed just now: not taken
        server = self.server()
        with tempfile.TemporaryDirectory() as directory:
            tracer = tracing.attach(server, directory)
            try:
                connection = KeptAlive(server.port)
                try:
                    for _ in range(3):
                        self.assertEqual(connection.get("/settled.txt")[::2], (200, BODY))
                        self.assertEqual(connection.get("/fresh.txt")[::2], (200, BODY))
                        self.assertEqual(connection.get("/encoded.txt", [("Accept-Encoding", "gzip")])[::2],
                                         (200, BODY))
                finally:
                    connection.close()
                server.wait_for_no_children()
            finally:
                tracing.stop(tracer)
            with open(os.path.join(directory, f"trace.{server.pid}")) as f:
                trace = f.read()
        opened = re.findall(r'openat2\([^"\n]*"(settled|fresh|encoded)\.txt"', trace)
        self.assertEqual((opened.count("settled"), opened.count("fresh"), opened.count("encoded")), (1, 3, 3),
                         trace[-3000:])


if __name__ == "__main__":
    import unittest
    unittest.main()
