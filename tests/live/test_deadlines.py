"""test_deadlines.py: the three read deadlines of a connection, against the real
binary. The first head must complete by --head-timeout after accept (408), a
kept-alive connection may idle for --idle-timeout (closed, no 408), and a later
head must complete by --next-head-timeout from its first byte (closed, no 408).
Each deadline is absolute: bytes trickling in do not move it. Bounds are loose
on the fast side (the close must come after most of the timeout) and generous
on the slow side (well before three times the timeout), never exact."""
import socket
import time

from harness import LiveTestCase, parse_responses

TIMEOUT = 1.0
TRICKLE_EVERY = 0.3


def request(path="/", *extra):
    return ("\r\n".join([f"GET {path} HTTP/1.1", "Host: t"] + list(extra)) + "\r\n\r\n").encode()


def read_one_response(sock, body_length):
    """Read exactly one response head plus body_length bytes."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < body_length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"closed mid-response: {data!r}")
        data += chunk
    return data


def trickle(sock, data, every=TRICKLE_EVERY, limit=15.0):
    """Send data one byte at a time, one byte every `every` seconds, reading what
    comes back in between, until the server closes. Returns (bytes received,
    bytes sent, seconds from the call to the close)."""
    started = time.monotonic()
    received, sent = b"", 0
    sock.settimeout(every)
    while time.monotonic() - started < limit:
        if sent < len(data):
            try:
                sock.send(data[sent:sent + 1])
                sent += 1
            except (BrokenPipeError, ConnectionResetError):
                pass  # already closed; the next recv tells
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return received, sent, time.monotonic() - started
        if not chunk:
            return received, sent, time.monotonic() - started
        received += chunk
    raise AssertionError(f"the server did not close within {limit}s (sent {sent} bytes, got {received!r})")


def wait_for_close(sock, limit=15.0):
    """Bytes received until the server closes, and the seconds that took."""
    started = time.monotonic()
    received = b""
    sock.settimeout(limit)
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except socket.timeout:
            raise AssertionError(f"the server did not close within {limit}s")
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


class DeadlineTest(LiveTestCase):
    def assert_close_time(self, elapsed, timeout=TIMEOUT):
        self.assertGreaterEqual(elapsed, timeout * 0.8, f"closed after {elapsed:.2f}s, before the deadline")
        self.assertLess(elapsed, timeout * 3, f"closed after {elapsed:.2f}s: the deadline moved or was missed")

    def test_trickled_first_head_gets_408_at_an_absolute_deadline(self):
        server = self.server("--head-timeout", str(TIMEOUT), "--idle-timeout", "10", "--next-head-timeout", "10")
        # Never complete: 200 header bytes at 0.3 s each would take a minute.
        head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 200
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            received, sent, elapsed = trickle(s, head)
        self.assert_close_time(elapsed)
        self.assertLess(sent, len(head))
        (status, headers, body), = parse_responses(received)
        self.assertEqual(status, 408)
        self.assertEqual(headers.get("connection"), "close")
        self.assertEqual(headers.get("content-security-policy"), "default-src 'none'")
        server.wait_for_log(r' 408 \d+ "-" "-" \d+ head-timeout(?: |$)')

    def test_silent_client_gets_408_after_head_timeout(self):
        server = self.server("--head-timeout", str(TIMEOUT))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            received, elapsed = wait_for_close(s)
        self.assert_close_time(elapsed)
        (status, _, _), = parse_responses(received)
        self.assertEqual(status, 408)

    def test_idle_kept_alive_connection_closed_without_408(self):
        server = self.server("--idle-timeout", str(TIMEOUT), "--head-timeout", "10", "--next-head-timeout", "10")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(request())
            first = read_one_response(s, len(self.files["index.html"]))
            received, elapsed = wait_for_close(s)
        (status, _, body), = parse_responses(first)
        self.assertEqual((status, body), (200, self.files["index.html"]))
        self.assertEqual(received, b"", "an idle connection got a response")
        self.assert_close_time(elapsed)
        time.sleep(0.2)  # a late access line would show up by now
        self.assertEqual([line for line in server.access_lines() if " 408 " in line], [])
        self.assertEqual(len(server.access_lines()), 1, server.access_lines())

    def test_idle_timeout_restarts_after_each_response(self):
        """Requests every 0.6 s on one connection with a 1 s idle timeout: it stays open."""
        server = self.server("--idle-timeout", str(TIMEOUT), "--head-timeout", str(TIMEOUT))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            for _ in range(4):
                s.sendall(request())
                read_one_response(s, len(self.files["index.html"]))
                time.sleep(TIMEOUT * 0.6)
            s.sendall(request("/", "Connection: close"))
            received, _ = wait_for_close(s)
        self.assertEqual(parse_responses(received)[0][0], 200)

    def test_stalled_second_head_closed_without_408(self):
        server = self.server("--next-head-timeout", str(TIMEOUT), "--idle-timeout", "10", "--head-timeout", "10")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(request())
            read_one_response(s, len(self.files["index.html"]))
            time.sleep(0.5)  # idle for a while: the next head's deadline starts at its first byte
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")  # and then nothing more
            received, elapsed = wait_for_close(s)
        self.assertEqual(received, b"", "a stalled later head got a response (RFC 9112 §9.5: close instead)")
        self.assert_close_time(elapsed)
        server.wait_for_log(r' 408 0 "-" "-" \d+ head-timeout-closed(?: |$)')

    def test_trickled_second_head_closed_at_an_absolute_deadline(self):
        server = self.server("--next-head-timeout", str(TIMEOUT), "--idle-timeout", "10", "--head-timeout", "10")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(request())
            read_one_response(s, len(self.files["index.html"]))
            received, sent, elapsed = trickle(s, b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 200)
        self.assertEqual(received, b"")
        self.assert_close_time(elapsed)
        server.wait_for_log(r" 408 0 .* head-timeout-closed(?: |$)")

    def test_a_deadline_does_not_disturb_other_connections(self):
        server = self.server("--head-timeout", str(TIMEOUT))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\n")
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as fast:
                fast.sendall(request("/", "Connection: close"))
                received, _ = wait_for_close(fast)
            self.assertEqual(parse_responses(received)[0][0], 200)
            # Served before the slow connection's deadline, not behind it: its 408
            # has not been sent yet.
            slow.setblocking(False)
            with self.assertRaises(BlockingIOError, msg="the slow connection was answered first"):
                slow.recv(1)
            slow.setblocking(True)
            received, _ = wait_for_close(slow)
        self.assertEqual(parse_responses(received)[0][0], 408)
