"""test_hostile_limits.py: per-connection limits a hostile client runs into,
against the real binary.

  - --max-requests: a kept-alive connection answers that many requests, then
    closes; pipelined requests beyond it are not answered.
  - RLIMIT_CPU (--child-cpu): a client that keeps one connection process busy
    (hundreds of thousands of pipelined requests; no test hook needed) gets it
    killed by the CPU limit, and the supervisor logs the end by its cause,
    "signal=24 (SIGXCPU)", with the CPU time used; the server keeps serving.
  - RLIMIT_AS (--child-memory), RLIMIT_NOFILE 16, RLIMIT_NPROC 0 and
    RLIMIT_CPU are visible in /proc/<child>/limits, and a child under them serves.
Must not: assert a duration, or leave a socket, thread or process behind.
"""
import os
import re
import sys
import threading
import time

from harness import LiveTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attack"))
import hostile  # noqa: E402  (tests/attack/hostile.py: the shared hostile clients)


def limits(pid):
    """/proc/<pid>/limits as {name: (soft, hard)}."""
    found = {}
    with open(f"/proc/{pid}/limits") as f:
        for line in f.readlines()[1:]:
            fields = re.split(r"\s{2,}", line.strip())
            if len(fields) >= 3:
                found[fields[0]] = (fields[1], fields[2])
    return found


class LimitsTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>index\n", "a.txt": b"A\n"}

    def test_max_requests_per_connection(self):
        server = self.server("--max-requests", "3")
        # Sequential: three answers on one connection, then it is closed.
        with hostile.connect_from(hostile.LOOPBACK, server.port) as sock:
            stream = hostile.ResponseStream(sock)
            for _ in range(3):
                sock.sendall(hostile.request("/a.txt"))
                self.assertEqual(stream.next(time.monotonic() + 10)[::2], (200, b"A\n"))
            data, how = hostile.read_until_close(sock, 10)
        self.assertEqual((data, how), (b"", "closed"), "the connection outlived --max-requests")
        # Pipelined: five sent, three answered in order, then closed.
        with hostile.connect_from(hostile.LOOPBACK, server.port) as sock:
            sock.sendall(hostile.request("/a.txt") * 2 + hostile.request("/") + hostile.request("/a.txt") * 2)
            data, how = hostile.read_until_close(sock, 10)
        stream = hostile.ResponseStream(None)
        stream.buffer += data
        bodies = [stream.next(time.monotonic() + 1)[2] for _ in range(3)]
        self.assertEqual(bodies, [b"A\n", b"A\n", self.files["index.html"]])
        self.assertEqual(bytes(stream.buffer), b"", "a fourth response")
        self.assertIn(how, ("closed", "reset"))
        self.assertEqual(len(server.wait_for_log(r'"GET /\S* HTTP/1\.1" 200 ', count=6)), 6)

    def test_cpu_limit_ends_a_busy_child_and_is_logged_as_sigxcpu(self):
        server = self.server("--child-cpu", "1", "--max-requests", "1000000", "--access-log", "off")
        sent = [0]
        with hostile.connect_from(hostile.LOOPBACK, server.port, timeout=30) as sock:
            batch = hostile.request("/", method="HEAD") * 1000

            def write():  # at most 600,000 requests (about 1.5 CPU seconds of the child's work)
                try:
                    for _ in range(600):
                        sock.sendall(batch)
                        sent[0] += 1000
                except OSError:
                    pass

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            _, how = hostile.read_until_close(sock, 60)
            writer.join(30)
        self.assertIn(how, ("closed", "reset"), "the busy child was not ended")
        line = server.wait_for_log(r"child pid=\d+ client=127\.0\.0\.1 signal=", timeout=10)[0]
        self.assertIn("signal=24 (SIGXCPU)", line, "a CPU-limit kill must be logged by its cause")
        # wait4's user+system split is sampled on ticks and may read below the
        # second the kernel enforced, but not by half.
        cpu_us = int(re.search(r"cpu_us=(\d+)", line).group(1))
        self.assertGreaterEqual(cpu_us, 500000, line)
        self.assertLess(sent[0], 600000, "the child finished every request: the limit was never reached")
        # Not a crash, and the server goes on serving.
        self.assertEqual(hostile.Prober(server.port, "/", self.files["index.html"], limit=3).run_inline().errors, [])
        self.assertNotIn("crash storm", "\n".join(server.log_lines()))

    def test_child_limits_visible_in_proc(self):
        server = self.server("--child-cpu", "3", "--child-memory", "48")
        with hostile.connect_from(hostile.LOOPBACK, server.port) as sock:
            sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n")
            child, = server.wait_for_children(1)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and limits(child).get("Max processes") != ("0", "0"):
                time.sleep(0.01)  # the child sets its limits right after fork
            found = limits(child)
            self.assertEqual(found["Max processes"], ("0", "0"))
            self.assertEqual(found["Max open files"], ("16", "16"))
            self.assertEqual(found["Max address space"], (str(48 << 20), str(48 << 20)))
            # SIGXCPU at the soft limit; the hard limit, a second later, kills one that ignores it.
            self.assertEqual(found["Max cpu time"], ("3", "4"))
            self.assertEqual(found["Max file size"], ("0", "0"))
            # Under those limits it serves.
            sock.sendall(b"Connection: close\r\n\r\n")
            data, _ = hostile.read_until_close(sock, 10)
        self.assertEqual(hostile.status_of(data), 200)
        self.assertTrue(data.endswith(b"\r\n\r\nA\n"))
