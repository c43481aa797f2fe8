"""test_slow_clients.py: slow clients cannot take prong down, against the real binary.

Reduced, bounded versions of the attacks that tests/attack/ runs at full size
(`make attack`), with the same client code (tests/attack/hostile.py):
  - slowloris: 60 connections from 20 loopback addresses, each trickling a
    header byte every 0.5 s (and reconnecting when closed), against a server
    with --head-timeout 2, --max-children 24 (the attack alone would need 60)
    and --max-per-ip 4 (each address stays under it, so the per-client cap
    alone cannot win), while a normal client on 127.0.0.1 does sequential GETs.
    Asserted: every normal request is a 200; every slow connection ends by
    itself, with a 408 (it kept its process until its head deadline), closed
    without a response (evicted for a newcomer whose client held fewer
    connections) or a 503 (it arrived while the server was full and its own
    address held at least as many connections as any evictable one:
    server-full; or more than --max-per-ip, unreaped ones included:
    per-client-cap), never later than its deadline allows; the live
    connection processes never exceed --max-children; every 503 is one of
    those two reasons, cost no process (forks + refusals = connections), and
    the normal client never got one. Its latency, unloaded and under attack,
    is printed, never asserted.
  - slow readers: with --min-send-rate 20000 --send-window 2, a client that
    stops reading a 16 MiB file (SO_RCVBUF shrunk) is cut off: the access log
    says send-failed with the body bytes actually sent, which is exactly what
    the client can still drain; clients reading files larger than everything
    the kernel buffers, slowly but above the rate (3x and 38x), get every byte.
  - a later head that is slow but within --next-head-timeout is not cut off by
    the supervisor's backstop.
Must not: assert a duration except as a generous upper bound on a deadline,
or leave a socket, thread or process behind.
"""
import hashlib
import os
import re
import sys
import time

from harness import LiveTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attack"))
import hostile  # noqa: E402  (tests/attack/hostile.py: the shared hostile clients)

STOPPED = re.compile(r"stopped: (\d+) connections, (\d+) requests, (\d+) bytes, (\d+) refused, (\d+) evicted")
ACCESS = re.compile(r'^(\S+) - - \[[^]]*\] "([^"]*)" (\d{3}) (\d+) "[^"]*" "[^"]*" (\d+) (\S+)')


def access_records(server):
    """(client, request line, status, body bytes, duration_us, reason) per access line."""
    records = []
    for line in server.access_lines():
        match = ACCESS.match(line)
        if match:
            client, request_line, status, size, duration, reason = match.groups()
            records.append((client, request_line, int(status), int(size), int(duration), reason))
    return records


class SlowlorisTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>the normal client's page\n"}
    HEAD_TIMEOUT = 2.0
    MAX_CHILDREN = 24
    MAX_PER_IP = 4

    def test_slowloris_from_many_addresses_does_not_deny_service(self):
        page = self.files["index.html"]
        server = self.server("--head-timeout", str(self.HEAD_TIMEOUT), "--max-children", str(self.MAX_CHILDREN),
                             "--max-per-ip", str(self.MAX_PER_IP), "--log-children")
        unloaded = hostile.Prober(server.port, "/", page, limit=40).run_inline()
        self.assertEqual(unloaded.errors, [])
        with hostile.ChildSampler(server) as sampler:
            attack = hostile.Slowloris(server.port, hostile.sources(20), 3, interval=0.5, duration=6.0,
                                       drain_limit=self.HEAD_TIMEOUT + 8).start()
            time.sleep(1.0)  # the attack has filled the server
            loaded = hostile.Prober(server.port, "/", page, duration=4.5).start()
            self.assertTrue(loaded.join(30), "the normal client hung")
            self.assertTrue(attack.join(30), "the attack did not end")
        before, during = unloaded.summary(), loaded.summary()
        print(f"\n  normal client unloaded: {before['requests']} requests, p50 {hostile.milliseconds(before['p50'])}, "
              f"p99 {hostile.milliseconds(before['p99'])}; under slowloris: {during['requests']} requests, "
              f"{during['errors']} errors, p50 {hostile.milliseconds(during['p50'])}, "
              f"p99 {hostile.milliseconds(during['p99'])}; slow connections: {attack.outcomes()}; "
              f"most live children {sampler.most}", file=sys.stderr)
        self.assertIsNone(attack.error)
        # The normal client was served every time.
        self.assertEqual(loaded.errors, [])
        self.assertGreater(during["requests"], 0)
        # Every slow connection was ended by the server, in one of the expected ways, by its deadline.
        outcomes = attack.outcomes()
        self.assertLessEqual(set(outcomes), {"408", "closed", "503"}, outcomes)
        self.assertGreater(outcomes.get("408", 0), 0, "no slow connection reached its head deadline")
        self.assertGreater(outcomes.get("closed", 0), 0, "the full server never evicted anyone")
        longest = max(a.closed - a.opened for a in attack.attempts)
        self.assertLess(longest, self.HEAD_TIMEOUT * 3, f"a slow connection lived {longest:.1f} s")
        # The process cap held.
        self.assertGreater(sampler.samples, 0)
        self.assertLessEqual(sampler.most, self.MAX_CHILDREN)
        # 503s only where the caps say, none for the normal client, none costing a process.
        self.assertEqual(server.stop(), 0)
        connections, _, _, refused, evicted = (int(n) for n in
                                               STOPPED.search(server.wait_for_log(STOPPED.pattern)[0]).groups())
        records = access_records(server)
        refusals = [r for r in records if r[2] == 503]
        self.assertLessEqual({r[5] for r in refusals}, {"server-full", "per-client-cap"})
        self.assertEqual([r for r in refusals if r[0] == "127.0.0.1"], [])
        self.assertEqual(len(refusals), refused)
        self.assertEqual(outcomes.get("503", 0), refused)
        total = len(attack.attempts) + before["requests"] + during["requests"]
        self.assertEqual(connections + refused, total, "a refused connection cost a process, or one was lost")
        self.assertEqual(len([line for line in server.child_end_lines() if line.endswith(" evicted")]), evicted)
        self.assertGreaterEqual(evicted, outcomes.get("closed", 0))


class SlowReaderTest(LiveTestCase):
    # A 2 s window: the reader at 3x the rate survives a 1.3 s scheduling stall on a loaded machine.
    RATE, WINDOW = 20000, 2

    def test_stalled_reader_is_cut_off_and_slow_readers_above_the_rate_finish(self):
        stalled_size, near_size, fast_size = 16 << 20, 512 << 10, 6 << 20
        digests = {
            "stalled.bin": hostile.write_file(os.path.join(self.root, "stalled.bin"), stalled_size, b"stalled"),
            "near.bin": hostile.write_file(os.path.join(self.root, "near.bin"), near_size, b"near"),
            "fast.bin": hostile.write_file(os.path.join(self.root, "fast.bin"), fast_size, b"fast"),
        }
        server = self.server("--min-send-rate", str(self.RATE), "--send-window", str(self.WINDOW), "--log-children")
        # 3x and 38x the minimum rate. Both files are larger than what the kernel
        # buffers for one connection (the client's receive buffer plus prong's
        # bounded unsent bytes), so the server waits for these readers in every
        # window; fast.bin is larger even than the megabytes a send buffer
        # autotunes to, which the rule used to mistake for a stalled reader. The
        # MSS is Ethernet's: loopback's 64 KiB segments would reopen a 3x
        # reader's receive window only about once a second.
        near = hostile.Readers(server.port, "/near.bin", 1, 3 * self.RATE, mss=1460, limit=40).start()
        fast = hostile.Readers(server.port, "/fast.bin", 1, 768 << 10, mss=1460, limit=40).start()
        with hostile.connect_from(hostile.LOOPBACK, server.port, rcvbuf=4096) as stalled:
            stalled.sendall(hostile.request("/stalled.bin"))
            line = server.wait_for_log(r'"GET /stalled\.bin HTTP/1\.1" 200 \d+ .* send-failed', timeout=20)[0]
            logged = int(ACCESS.match(line).group(4))
            # Everything the server sent is still in flight; drained, it is exactly what the log says.
            data, how = hostile.read_until_close(stalled, 20)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: %d" % stalled_size, head)
        self.assertEqual(how, "closed")
        self.assertLess(len(body), stalled_size)
        self.assertEqual(len(body), logged, "the access log does not say how many body bytes were sent")
        self.assertTrue(near.join(40) and fast.join(40))
        for readers, name, size in ((near, "near.bin", near_size), (fast, "fast.bin", fast_size)):
            with self.subTest(file=name):
                self.assertIsNone(readers.error)
                reader, = readers.readers
                self.assertEqual((reader.how, reader.status, reader.length, reader.body),
                                 ("complete", 200, size, size),
                                 f"read at {readers.rate} B/s, ended after {reader.closed - reader.began:.2f} s; "
                                 f"{[line for line in server.access_lines() if name in line]}")
                self.assertEqual(reader.digest.hexdigest(), digests[name])
        for client, request_line, status, size, _, reason in access_records(server):
            if "stalled" not in request_line:
                self.assertEqual((status, reason), (200, "-"), request_line)


class SlowLaterHeadTest(LiveTestCase):
    def test_backstop_allows_a_later_head_its_whole_deadline(self):
        """--next-head-timeout longer than the first-head and idle ones: a later
        head trickled over ~8 s (within its 12 s) is answered, not cut off by the
        supervisor's backstop (which allows a phase its deadline plus 5 s)."""
        server = self.server("--head-timeout", "1", "--idle-timeout", "1", "--next-head-timeout", "12")
        with hostile.connect_from(hostile.LOOPBACK, server.port, timeout=20) as sock:
            sock.setsockopt(hostile.socket.IPPROTO_TCP, hostile.socket.TCP_NODELAY, 1)
            stream = hostile.ResponseStream(sock)
            sock.sendall(hostile.request("/"))
            self.assertEqual(stream.next(time.monotonic() + 10)[0], 200)
            head = hostile.request("/", close=True)
            began = time.monotonic()
            try:
                for byte in head:
                    sock.sendall(bytes([byte]))
                    time.sleep(8.0 / len(head))
            except OSError:
                pass  # cut off: what was received says so
            elapsed = time.monotonic() - began
            data, how = hostile.read_until_close(sock, 10)
        self.assertEqual(hostile.status_of(data), 200, f"after {elapsed:.1f} s of a later head: {data[:80]!r} ({how})")
        self.assertGreater(elapsed, 6.5, "the trickle was too fast to reach past the backstop's old limit")
