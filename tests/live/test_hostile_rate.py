"""test_hostile_rate.py: --max-connection-rate. A client that connects and closes
faster than its rate gets 503 "rate-limit" written without a process, while
another client is served; the number of processes forked is bounded by the
rate, not by the flood."""
import re
import socket
import time

from harness import LiveTestCase, http_request

RATE = 20
FLOOD_CONNECTIONS = 400


def connect_and_read(port, source):
    with socket.socket() as s:
        s.bind((source, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


class ConnectionRateTest(LiveTestCase):
    def test_flooding_client_is_limited_others_are_not(self):
        server = self.server("--max-connection-rate", str(RATE), "--log-children")
        started = time.monotonic()
        statuses = []
        for _ in range(FLOOD_CONNECTIONS):
            statuses.append(int(connect_and_read(server.port, "127.0.0.1").split(b" ", 2)[1]))
        elapsed = time.monotonic() - started
        served = statuses.count(200)
        limited = statuses.count(503)
        self.assertEqual(served + limited, FLOOD_CONNECTIONS, set(statuses))
        # One second's burst plus the refill while the flood lasted, and a margin.
        allowed = RATE + RATE * elapsed + RATE
        self.assertLessEqual(served, allowed, f"{served} served in {elapsed:.1f} s at {RATE}/s")
        self.assertGreater(limited, 0)
        server.wait_for_log(r'" 503 0 "-" "-" 0 rate-limit')
        # Another client is unaffected.
        answer = connect_and_read(server.port, "127.0.0.2")
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:60])
        # A refused connection cost no process: forked children = served requests
        # (and the other client's). Every served one's end line is waited for, so
        # a late line cannot make the count look smaller than it is.
        server.wait_for_log(r"\]: child pid=\d+ ", count=served + 1)
        forked = len([line for line in server.log_lines() if re.search(r"\]: child pid=\d+ ", line)])
        self.assertEqual(forked, served + 1)

    def test_zero_means_no_limit(self):
        server = self.server("--max-connection-rate", "0")
        for _ in range(3 * 200 // 2):
            status, _, _ = http_request(server.port, path="/", headers={"Connection": "close"})
            self.assertEqual(status, 200)
