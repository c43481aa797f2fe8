"""test_escape.py: a fully jailed connection process attacks, and every attack fails
by the mechanism SECURITY.md names; positive controls show the jail still works.

Runs build/prong-test (the release code plus tests/escape/escape_hook.c). The
action table and its expected outcomes live in tests/escape/actions.py.
"""
import os
import re
import shutil
import socket
import sys
import tempfile
import time

from harness import REPO, LiveTestCase, Server, http_request

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
from actions import ACTIONS, kernel_runs_i386_calls, run_action  # noqa: E402

TEST_BINARY = os.path.join(REPO, "build", "prong-test")


class EscapeTest(LiveTestCase):
    files = {"index.html": b"inside the jail\n"}

    def setUp(self):
        super().setUp()
        if not os.path.exists(TEST_BINARY):
            self.fail(f"{TEST_BINARY} is missing: run make build/prong-test")
        self.outside = tempfile.mkdtemp(prefix="prong-outside-")
        os.chmod(self.outside, 0o1777)  # anyone may write here, as in /tmp: only the jail stops create-outside
        self.secret = os.path.join(self.outside, "secret")
        with open(self.secret, "w") as f:
            f.write("outside the jail\n")
        os.chmod(self.secret, 0o644)
        self.addCleanup(shutil.rmtree, self.outside, True)

    def test_every_attack_is_stopped_by_its_layer(self):
        server = self.server("--crash-limit", "0", binary=TEST_BINARY)
        # A sibling: a connection process waiting for its first request head.
        sibling_socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(sibling_socket.close)
        sibling = server.wait_for_children(1)[0]
        supervisor = server.supervisor_pid()
        i386_available = kernel_runs_i386_calls()
        targets = {"sibling": sibling, "supervisor": supervisor, "outside": self.secret, "inside": "index.html",
                   "port": server.port}
        for action, target, expected, layer in ACTIONS:
            if action == "int80" and not i386_available:
                expected, layer = ("signal", "SIGSEGV"), "the kernel: no IA-32 emulation, so no i386 calls at all"
            with self.subTest(action=action, target=target):
                outcome, pid, body = run_action(server, action, targets.get(target))
                self.assertNotEqual(pid, sibling)
                self.assertEqual(outcome, expected, f"{action} against {target}: {body!r} (expected: {layer})")
                if action in ("read-root-file",):
                    self.assertIn("content=inside the jail", body)
                self.assertNotIn("outside the jail", body, "content from outside the root leaked")
        # The sibling and the supervisor survived every attack aimed at them.
        self.assertTrue(os.path.exists(f"/proc/{sibling}"), "an attack killed the sibling")
        self.assertIn(sibling, server.children())
        status, _, body = http_request(server.port, path="/index.html")
        self.assertEqual((status, body), (200, b"inside the jail\n"), "the supervisor no longer serves")
        # The aborts (abort, stack-smash) ended at a refused call and were logged as such.
        self.assertGreaterEqual(len(server.wait_for_log(r"child pid=\d+ .*signal=31 \(SIGSYS\)")), 1)
        # No attack wrote anything into the root.
        self.assertEqual(sorted(os.listdir(self.root)), ["index.html"])

    def test_each_connection_process_has_its_own_canary(self):
        server = self.server(binary=TEST_BINARY)
        canaries = []
        for _ in range(3):
            outcome, _, body = run_action(server, "canary")
            self.assertEqual(outcome, ("ok",))
            canaries.append(re.search(r"canary=([0-9a-f]{16})", body).group(1))
        self.assertEqual(len(set(canaries)), 3, f"connection processes share a canary: {canaries}")
        for canary in canaries:
            self.assertTrue(canary.endswith("00"), "the canary's low byte must stay zero")
            self.assertNotEqual(canary, "0" * 16)

    def test_release_binary_has_no_escape_hook(self):
        with open(os.path.join(REPO, "prong"), "rb") as f:
            self.assertNotIn(b"__escape", f.read(), "the escape hook is compiled into ./prong")
        with open(TEST_BINARY, "rb") as f:
            self.assertIn(b"__escape", f.read(), "control: the test build must contain the hook")
        server = self.server()
        status, _, _ = http_request(server.port, path="/__escape/getpid")
        self.assertEqual(status, 404)

    def test_crash_storm_refuses_the_client(self):
        limit = 3
        server = self.server("--crash-limit", str(limit), "--crash-block", "60", binary=TEST_BINARY)
        for _ in range(limit):
            outcome, _, _ = run_action(server, "segfault")
            self.assertEqual(outcome, ("signal", "SIGSEGV"))
        server.wait_for_log(r"client 127\.0\.0\.1 refused for 60 s: 3 connection processes crashed")
        status, headers, _ = http_request(server.port, path="/index.html")
        self.assertEqual(status, 503)
        self.assertIn("retry-after", headers)
        server.wait_for_log(r'"-" 503 0 "-" "-" 0 crash-storm')
        # Another client address is still served.
        connection = socket.socket()
        connection.bind(("127.0.0.2", 0))
        connection.settimeout(10)
        connection.connect(("127.0.0.1", server.port))
        connection.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        answer = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        connection.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:80])
