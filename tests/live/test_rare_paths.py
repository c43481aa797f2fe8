"""test_rare_paths.py: the server's less travelled paths, each checked for what it
does, and together giving `make policy-check` a trace of every system call they
need: the 503 written without a child (sendto), a PROXY header read by the
supervisor (recvfrom), the monitor reopening its logs on SIGHUP (openat, close),
and glibc's abort path inside the jail (rt_sigprocmask, gettid, tgkill,
rt_sigaction), which must end as SIGABRT, not SIGSYS."""
import os
import shutil
import signal
import socket
import sys
import time

from harness import REPO, LiveTestCase, http_request, make_log_directory, raw_exchange

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
from actions import run_action  # noqa: E402

TEST_BINARY = os.path.join(REPO, "build", "prong-test")


class RarePathsTest(LiveTestCase):
    def test_per_client_cap_answers_503_without_a_child(self):
        server = self.server("--max-per-ip", "1")
        held = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(held.close)
        server.wait_for_children(1)
        data, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 503 "), data[:80])
        self.assertIn(b"\r\nRetry-After: ", data)
        self.assertTrue(closed)
        self.assertEqual(len(server.children()), 1, "a child was forked for the refused connection")
        server.wait_for_log(r'" 503 0 "-" "-" 0 per-client-cap')

    def test_proxy_header_names_the_client(self):
        server = self.server(listen=("127.0.0.1:0,proxy",))
        request = b"PROXY TCP4 198.51.100.7 10.0.0.1 40000 80\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        data, _ = raw_exchange(server.port, request)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:80])
        server.wait_for_log(r'^198\.51\.100\.7 - - \[.*"GET / HTTP/1\.1" 200 ')

    def test_sighup_reopens_the_access_log(self):
        log_directory = make_log_directory(self.root)
        self.addCleanup(shutil.rmtree, log_directory, True)
        access = os.path.join(log_directory, "access.log")
        server = self.server("--access-log", access)
        self.assertEqual(http_request(server.port, path="/?before")[0], 200)
        self.wait_for_line(access, "/?before")  # the monitor writes after the response
        os.rename(access, access + ".1")
        os.kill(server.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not os.path.exists(access) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(access), "SIGHUP did not reopen the access log at its path")
        self.assertEqual(http_request(server.port, path="/?after")[0], 200)
        self.wait_for_line(access, "/?after")
        with open(access + ".1") as f:
            rotated = f.read()
        self.assertIn("/?before", rotated)
        self.assertNotIn("/?after", rotated)

    def wait_for_line(self, path, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(path) as f:
                if text in f.read():
                    return
            time.sleep(0.05)
        self.fail(f"{text!r} never reached {path}")

    def test_abort_inside_the_jail_ends_at_its_tgkill(self):
        """abort() raises SIGABRT with tgkill, which the jail filter refuses
        (no process of the jail may signal any other): the process ends as
        SIGSYS, which counts as a crash like SIGABRT would."""
        server = self.server("--crash-limit", "0", binary=TEST_BINARY)
        for action in ("abort", "stack-smash"):
            outcome, _, _ = run_action(server, action)
            self.assertEqual(outcome, ("signal", "SIGSYS"), action)
