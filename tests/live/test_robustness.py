"""test_robustness.py: stopping and churn, against the real binary. SIGTERM lets
a download in flight finish and exits 0; SIGINT stops too; idle connections do
not hold a stop up; bursts of short connections leave no zombie and every
child's end is reaped and accounted; clients that connect and vanish do not
disturb service."""
import hashlib
import os
import re
import signal
import socket
import struct
import threading
import time

from harness import LiveTestCase, http_request, parse_responses, wait_until_gone, zombies_of

STOPPED = re.compile(r"stopped: (\d+) connections, (\d+) requests, (\d+) bytes, (\d+) refused, (\d+) evicted, "
                     r"(\d+) ended abnormally")


def connection_refused(port):
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


class RobustnessTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>index\n", "small.txt": b"small\n"}

    def stopped_totals(self, server):
        line = server.wait_for_log(STOPPED.pattern)[0]
        return [int(n) for n in STOPPED.search(line).groups()]

    def test_sigterm_lets_a_download_in_flight_finish(self):
        size = 48 << 20
        pattern = hashlib.sha256(b"prong").digest() * 2048  # 64 KiB, not all zeros
        path = os.path.join(self.root, "big.bin")
        with open(path, "wb") as f:
            for _ in range(size // len(pattern)):
                f.write(pattern)
        os.chmod(path, 0o644)
        expected = hashlib.sha256(pattern * (size // len(pattern))).hexdigest()
        server = self.server("--log-children")
        supervisor = server.supervisor_pid()
        rate = 32 << 20  # bytes per second: the download takes about 1.5 s
        digest, received, body_started = hashlib.sha256(), 0, None
        signalled_at = None
        checked_during_stop = 0
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
            s.settimeout(10)
            s.connect(("127.0.0.1", server.port))
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")  # keep-alive: the stop must end it, not us
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                head += chunk
            head, _, body = head.partition(b"\r\n\r\n")
            self.assertIn(b"Content-Length: %d" % size, head)
            digest.update(body)
            received = len(body)
            body_started = time.monotonic()
            while received < size:
                chunk = s.recv(min(1 << 20, size - received))
                if not chunk:
                    break
                digest.update(chunk)
                received += len(chunk)
                if signalled_at is None and received > size // 8:
                    server.process.send_signal(signal.SIGTERM)
                    signalled_at = time.monotonic()
                ahead = received / rate - (time.monotonic() - body_started)
                if ahead > 0:
                    time.sleep(ahead)
                if signalled_at and time.monotonic() - signalled_at > 0.3 and received < size * 3 // 4:
                    # Well into the stop: no new connection is accepted, and prong is still running.
                    self.assertIsNone(server.process.poll(), "prong exited with a response in flight")
                    self.assertTrue(connection_refused(server.port), "still accepting after SIGTERM")
                    checked_during_stop += 1
            # The response is complete; then the server ends the kept-alive connection by itself.
            s.settimeout(5)
            self.assertEqual(s.recv(1), b"", "the connection stayed open after the stop")
        self.assertIsNotNone(signalled_at)
        self.assertGreater(checked_during_stop, 0, "the stop was never observed with the download in flight")
        self.assertGreater(time.monotonic() - signalled_at, 0.8, "the download was not in flight for the stop")
        self.assertEqual(received, size)
        self.assertEqual(digest.hexdigest(), expected)
        self.assertEqual(server.wait(15), 0)
        self.assertFalse(os.path.exists(f"/proc/{supervisor}"))
        server.wait_for_log(r"stopping: 1 connections finishing")
        server.wait_for_log(r'"GET /big\.bin HTTP/1\.1" 200 %d .* -(?: |$)' % size)
        server.wait_for_log(r"child pid=\d+ .* exit=0 .* requests=1 bytes=%d(?: |$)" % size)
        totals = self.stopped_totals(server)
        self.assertEqual(totals[:3], [1, 1, size])
        self.assertEqual(totals[5], 0)

    def test_sigint_stops_too(self):
        server = self.server()
        supervisor = server.supervisor_pid()
        self.assertEqual(http_request(server.port)[0], 200)
        self.assertEqual(server.stop(signal.SIGINT), 0)
        wait_until_gone(supervisor)
        self.assertFalse(os.path.exists(f"/proc/{supervisor}"))
        self.assertEqual(self.stopped_totals(server)[:2], [1, 1])

    def test_stop_does_not_wait_for_idle_connections(self):
        server = self.server("--idle-timeout", "30", "--grace", "30")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            data = b""
            while not data.endswith(b"small\n"):
                data += s.recv(65536)
            started = time.monotonic()
            self.assertEqual(server.stop(), 0)
            self.assertLess(time.monotonic() - started, 5, "an idle kept-alive connection held up the stop")
            s.settimeout(2)
            self.assertEqual(s.recv(1), b"")

    def test_burst_of_200_connections_leaves_no_zombie(self):
        server = self.server("--log-children")
        supervisor = server.supervisor_pid()
        threads, per_thread = 10, 20
        statuses, errors = [], []
        lock = threading.Lock()

        def client():
            for _ in range(per_thread):
                try:
                    status, _, body = http_request(server.port, "GET", "/small.txt", headers={"Connection": "close"})
                    with lock:
                        statuses.append((status, body))
                except Exception as error:  # counted, reported below
                    with lock:
                        errors.append(repr(error))

        workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
        for worker in workers:
            worker.start()
        most_zombies = 0
        while any(worker.is_alive() for worker in workers):
            most_zombies = max(most_zombies, len(zombies_of(supervisor)))
            time.sleep(0.01)
        for worker in workers:
            worker.join(30)
        total = threads * per_thread
        self.assertEqual(errors, [])
        self.assertEqual(statuses, [(200, b"small\n")] * total)
        # Settled: every connection process gone, none left as a zombie, each end logged once.
        server.wait_for_no_children()
        self.assertEqual(zombies_of(supervisor), [])
        ends = server.wait_for_log(r"child pid=\d+ client=127\.0\.0\.1 ", count=total)
        self.assertEqual(len(ends), total)
        pids = [int(re.search(r"child pid=(\d+) ", line).group(1)) for line in ends]
        self.assertEqual(len(set(pids)), total, "a child's end was logged twice")
        for line in ends:
            self.assertRegex(line, r" exit=0 cpu_us=\d+ maxrss_kb=\d+ minflt=\d+ requests=1 bytes=6(?: |$)")
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"child {pid} still exists")
        self.assertLess(most_zombies, total // 2, "zombies piled up during the burst")
        self.assertEqual(server.stop(), 0)
        totals = self.stopped_totals(server)
        self.assertEqual(totals[0], total)
        self.assertEqual(totals[1], total)
        self.assertEqual(totals[5], 0)

    def test_clients_that_connect_and_vanish(self):
        server = self.server("--log-children")
        supervisor = server.supervisor_pid()
        for i in range(100):
            s = socket.socket()
            if i % 2:  # half of them reset instead of closing
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.connect(("127.0.0.1", server.port))
            s.close()
            if i % 10 == 0:  # service goes on meanwhile
                status, _, body = http_request(server.port, "GET", "/small.txt")
                self.assertEqual((status, body), (200, b"small\n"))
        ends = server.wait_for_log(r"child pid=\d+ ", count=110)
        server.wait_for_no_children()
        self.assertEqual(zombies_of(supervisor), [])
        self.assertEqual([line for line in ends if " exit=0 " not in line], [])
        # Only the real requests were logged; the vanished clients were not answered.
        access = server.access_lines()
        self.assertEqual(len(access), 10, "\n".join(access))
        status, _, body = http_request(server.port, "GET", "/small.txt")
        self.assertEqual((status, body), (200, b"small\n"))
        self.assertEqual(server.stop(), 0)
        self.assertEqual(self.stopped_totals(server)[5], 0)

    def test_refused_connections_are_closed_and_their_processes_end(self):
        server = self.server()
        socks = []
        for data in (b"GET / HTTP/1.1\n\r\n", b"POST / HTTP/1.1\r\nHost: t\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            self.addCleanup(s.close)
            s.sendall(data)
            socks.append(s)
        for s in socks:  # the client keeps its end open: the server must close its own
            received = b""
            while chunk := s.recv(65536):
                received += chunk
            self.assertEqual(len(parse_responses(received)), 1)
        # The refusal's connection processes end even though these clients never close.
        server.wait_for_no_children(timeout=5)
