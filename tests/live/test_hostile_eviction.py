"""test_hostile_eviction.py: who gets a connection slot when clients hoard them,
against the real binary.

The supervisor's caps and eviction rule (src/process/supervisor.c):
  - --max-per-ip N: the (N+1)-th simultaneous connection of one client gets a
    503 with Retry-After, written without forking (access log: per-client-cap);
  - when --max-children are alive, a newcomer makes room by ending a child of
    the /24 (or /48), then the client, holding the most connections, in any
    phase but closing: one that waits for a head or idles first, then one
    reading a head, then one serving a response (a slow reader, whose download
    can resume with Range), the oldest first; a newcomer whose own client and
    prefix already hold as many as that victim's is refused (503, server-full).
Each scenario builds its state one connection at a time and waits for the
children to exist before the next step, so no outcome depends on timing; which
connection was evicted is read from the sockets (closed without a response)
and from the supervisor's child-end lines (--log-children: "... evicted").
Must not: leave a socket or a process behind (every socket is closed by
cleanup, every server stopped and reaped by LiveTestCase).
"""
import hashlib
import os
import re
import sys
import time

from harness import LiveTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attack"))
import hostile  # noqa: E402  (tests/attack/hostile.py: the shared hostile clients)

PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "
STOPPED = re.compile(r"stopped: (\d+) connections, (\d+) requests, (\d+) bytes, (\d+) refused, (\d+) evicted")
BIG = 24 << 20  # larger than anything the kernel buffers for one connection: its sender stays "serving"


class EvictionTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>index\n"}

    # ------------------------------------------------------------ helpers
    def keep(self, sock):
        self.addCleanup(sock.close)
        return sock

    def waiting(self, server, source, expect_children):
        """A connection from source that sent part of a head: its child waits for the rest."""
        sock = self.keep(hostile.connect_from(source, server.port))
        sock.sendall(PARTIAL_HEAD)
        server.wait_for_exactly(expect_children)
        return sock

    def idle(self, server, source, expect_children):
        """A connection from source that got one response and stays open (keep-alive)."""
        sock = self.keep(hostile.connect_from(source, server.port))
        sock.sendall(hostile.request("/"))
        status, _, body = hostile.ResponseStream(sock).next(time.monotonic() + 10)
        self.assertEqual((status, body), (200, self.files["index.html"]))
        server.wait_for_exactly(expect_children)
        return sock

    def serving(self, server, source, expect_children):
        """A download of /big.bin that the client does not read: its child is stuck
        sending. Returns (socket, stream positioned at the body, headers)."""
        sock = self.keep(hostile.connect_from(source, server.port, rcvbuf=4096))
        sock.sendall(hostile.request("/big.bin"))
        stream = hostile.ResponseStream(sock)
        stream.wait_for_head(time.monotonic() + 10)
        server.wait_for_exactly(expect_children)
        return sock, stream

    def get(self, server, source):
        """One GET / with Connection: close from source: (status, headers, body)."""
        with hostile.connect_from(source, server.port) as sock:
            sock.sendall(hostile.request("/", close=True))
            data, _ = hostile.read_until_close(sock, 10)
        return self.parse(data)

    def parse(self, data):
        head, _, body = data.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        return hostile.status_of(data), headers, body

    def evicted_clients(self, server, count, limit=10.0):
        """The client= of the first `count` child-end lines marked evicted."""
        lines = server.wait_for_log(r"child pid=\d+ client=\S+ .* evicted$", timeout=limit, count=count)
        return sorted(re.search(r"client=(\S+)", line).group(1) for line in lines)

    def stopped_totals(self, server):
        self.assertEqual(server.stop(), 0)
        line = server.wait_for_log(STOPPED.pattern)[0]
        connections, _, _, refused, evicted = (int(n) for n in STOPPED.search(line).groups())
        return connections, refused, evicted

    # ------------------------------------------------------------ tests
    def test_per_client_cap_refuses_without_forking(self):
        server = self.server("--max-per-ip", "3", "--max-children", "16", "--log-children")
        held = [self.waiting(server, "127.0.0.5", n + 1) for n in range(3)]
        with hostile.connect_from("127.0.0.5", server.port) as fourth:
            data, how = hostile.read_until_close(fourth, 10)
        status, headers, _ = self.parse(data)
        self.assertEqual(status, 503, data[:200])
        self.assertEqual(headers.get("retry-after"), "5")
        self.assertEqual(headers.get("connection"), "close")
        self.assertEqual(how, "closed")
        self.assertEqual(len(server.children()), 3, "a process was created for a refused connection")
        server.wait_for_log(r'^127\.0\.0\.5 - - \[.*\] "-" 503 0 "-" "-" 0 per-client-cap')
        # Another client is not affected by this one's cap.
        self.assertEqual(self.get(server, "127.0.0.6")[0], 200)
        # A slot given back is a slot the client may use again.
        held[0].close()
        server.wait_for_exactly(2)
        self.assertEqual(self.get(server, "127.0.0.5")[0], 200)
        hostile.close_all(held)
        connections, refused, evicted = self.stopped_totals(server)
        self.assertEqual((connections, refused, evicted), (5, 1, 0), "3 held + 2 served processes, 1 refusal")

    def test_waiting_and_idle_children_go_first_then_slow_readers(self):
        digest = hostile.write_file(os.path.join(self.root, "big.bin"), BIG)
        # A stalled download stays "serving": no send-rate cut-off for the whole test.
        server = self.server("--max-children", "3", "--max-per-ip", "0", "--log-children",
                             "--min-send-rate", "1", "--send-window", "60")
        downloader, stream = self.serving(server, "127.0.0.2", 1)
        idler = self.idle(server, "127.0.0.3", 2)
        waiter = self.waiting(server, "127.0.0.4", 3)
        # Full. Two newcomers, downloads that keep their slots: each evicts one of
        # the idle and the waiting child before any serving one.
        newcomers = [self.serving(server, "127.0.0.5", 3)[0]]
        self.assertEqual(hostile.is_open(idler) + hostile.is_open(waiter), 1, "exactly one was evicted")
        newcomers.append(self.serving(server, "127.0.0.6", 3)[0])
        self.assertFalse(hostile.is_open(idler))
        self.assertFalse(hostile.is_open(waiter))
        self.assertEqual(self.evicted_clients(server, 2), ["127.0.0.3", "127.0.0.4"])
        self.assertTrue(hostile.is_open(downloader), "a serving connection went while others waited")
        # Full of slow readers only: a newcomer holding nothing still gets served,
        # by ending the oldest of the downloads (every client holds one).
        status, _, body = self.get(server, "127.0.0.7")
        self.assertEqual((status, body), (200, self.files["index.html"]))
        self.assertEqual(self.evicted_clients(server, 3), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        # The cut download resumes where it stopped, with Range (RFC 9110 §14.2).
        head_status, _, partial = stream.next(time.monotonic() + 30, allow_short=True)
        self.assertEqual(head_status, 200)
        self.assertLess(len(partial), BIG, "the evicted download was not cut")
        server.wait_for_exactly(2)  # the two other downloads: a slot is free for the resumption
        with hostile.connect_from("127.0.0.2", server.port) as again:
            again.sendall(hostile.request("/big.bin", f"Range: bytes={len(partial)}-", close=True))
            data, _ = hostile.read_until_close(again, 60)
        status, headers, rest = self.parse(data)
        self.assertEqual(status, 206)
        self.assertEqual(hashlib.sha256(partial + rest).hexdigest(), digest, "the resumed download differs")
        hostile.close_all(newcomers)  # else the stop waits --grace for their downloads
        server.wait_for_exactly(0)
        connections, refused, evicted = self.stopped_totals(server)
        self.assertEqual((connections, refused, evicted), (7, 0, 3))
        self.assertEqual(len([line for line in server.child_end_lines() if " evicted" in line]), 3)

    def test_client_holding_most_connections_loses_first(self):
        server = self.server("--max-children", "3", "--max-per-ip", "0", "--log-children")
        lone = self.waiting(server, "127.0.0.2", 1)  # the longest wait, but a client with one connection
        pair = [self.waiting(server, "127.0.0.3", 2 + n) for n in range(2)]
        self.assertEqual(self.get(server, "127.0.0.4")[0], 200)
        self.assertTrue(hostile.is_open(lone), "the client with one connection lost it to a client with two")
        self.assertEqual(sum(hostile.is_open(sock) for sock in pair), 1)
        self.assertEqual(self.evicted_clients(server, 1), ["127.0.0.3"])
        # Refill: three clients with one waiting connection each.
        server.wait_for_exactly(2)
        self.waiting(server, "127.0.0.5", 3)
        # A newcomer whose client already holds one (as many as any victim's) is refused...
        status, _, _ = self.get(server, "127.0.0.3")
        self.assertEqual(status, 503)
        server.wait_for_log(r'^127\.0\.0\.3 - - \[.*\] "-" 503 0 "-" "-" 0 server-full')
        # ...a newcomer holding none is not: it takes the longest-waiting slot (127.0.0.2's).
        self.assertEqual(self.get(server, "127.0.0.6")[0], 200)
        self.assertFalse(hostile.is_open(lone))
        self.assertEqual(self.evicted_clients(server, 2), ["127.0.0.2", "127.0.0.3"])

    def test_connections_a_client_is_closing_do_not_count_against_it(self):
        """A client's answered connection whose process is still closing (here:
        draining after a refusal, up to 2 s, because the client keeps its side
        open) is on its way out: it must not make that client's next connection
        lose to slow clients holding one connection each."""
        server = self.server("--max-children", "4", "--max-per-ip", "0", "--log-children", "--head-timeout", "30")
        for n, address in enumerate(hostile.sources(3)):
            self.waiting(server, address, n + 1)
        refused = self.keep(hostile.connect_from("127.0.0.1", server.port))
        refused.sendall(b"\x00\r\n\r\n")  # a 400; the process then drains what the client still sends
        data = b""
        while not data.endswith(b"</h1>\n"):
            chunk = refused.recv(4096)
            self.assertTrue(chunk, data)
            data += chunk
        self.assertEqual(hostile.status_of(data), 400)
        self.assertEqual(len(server.children()), 4, "the refusing process should still be draining")
        status, _, body = self.get(server, "127.0.0.1")
        self.assertEqual((status, body), (200, self.files["index.html"]))
        self.assertEqual(len(self.evicted_clients(server, 1)), 1)

    def test_slow_clients_on_many_addresses_cannot_lock_out_a_fast_one(self):
        """One waiting connection per address fills the server; a fast client
        holding nothing must still get in, again and again (each time it evicts
        one slow connection, which the attacker replaces from a new address)."""
        slots = 6
        server = self.server("--max-children", str(slots), "--max-per-ip", "0", "--log-children",
                             "--head-timeout", "30")
        addresses = iter(hostile.sources(slots + 5))
        for n in range(slots):
            self.waiting(server, next(addresses), n + 1)
        for round_number in range(5):
            with self.subTest(round=round_number):
                status, _, body = self.get(server, "127.0.0.1")
                self.assertEqual((status, body), (200, self.files["index.html"]))
            server.wait_for_exactly(slots - 1)
            self.waiting(server, next(addresses), slots)  # the attacker refills the slot
        server.wait_for_log(r"prong\[supervisor \d+\]: child pid=", count=10)
        ends = server.child_end_lines()
        self.assertEqual(len(ends), 10, "5 evicted slow connections + 5 served requests:\n" + "\n".join(ends))
        self.assertEqual(len([line for line in ends if line.endswith(" evicted")]), 5)
        self.assertEqual([line for line in server.access_lines() if " 503 " in line], [])
