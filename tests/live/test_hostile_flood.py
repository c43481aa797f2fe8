"""test_hostile_flood.py: floods of connections and of requests, against the real binary.

  - A connection flood from one address (thousands of connect/close, a third
    with part of a head, half of them reset) plus silent half-open connections
    from another address holding --max-per-ip slots: a normal client is served
    all along, the silent ones beyond the cap get 503 per-client-cap, nothing
    is left behind (no zombie once the flood is over), and SIGTERM sent in the
    middle of a second flood still stops prong with exit 0, within --grace.
  - 10,000 pipelined requests on one connection (--max-requests 10000), a mix
    of GETs of 100 different files, HEADs and 404s, read incrementally: every
    response has the right status and body, in order, at the right byte; a
    10,001st request gets no answer and the connection closes.
Loops are bounded in count and in time; the stop is asserted only against a
generous bound (--grace plus the supervisor's own margin).
Must not: leave a socket, thread or process behind.
"""
import os
import signal
import sys
import threading
import time

from harness import LiveTestCase, descendants, zombies_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attack"))
import hostile  # noqa: E402  (tests/attack/hostile.py: the shared hostile clients)

FLOODER, HOLDER = "127.0.0.8", "127.0.0.9"


def peek(sock):
    """What has arrived on sock, without consuming it (b"" if nothing yet)."""
    previous = sock.gettimeout()
    sock.settimeout(0)
    try:
        return sock.recv(64, hostile.socket.MSG_PEEK)
    except (BlockingIOError, OSError):
        return b""
    finally:
        sock.settimeout(previous)


class FloodTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>still here\n"}
    PER_IP, GRACE = 16, 3

    def test_connection_flood_and_half_open_connections_from_one_address(self):
        page = self.files["index.html"]
        server = self.server("--max-per-ip", str(self.PER_IP), "--max-children", "64", "--head-timeout", "120",
                             "--grace", str(self.GRACE))
        supervisor = server.supervisor_pid()
        seen_children = set()
        # Silent half-open connections: the cap's worth get a process, the rest a 503.
        held = hostile.hold_open(server.port, 40, HOLDER)
        self.addCleanup(hostile.close_all, held)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(peek(s).startswith(b"HTTP/1.1 503") for s in held) < 24:
            time.sleep(0.02)
        refused = [s for s in held if peek(s).startswith(b"HTTP/1.1 503")]
        self.assertEqual(len(refused), 40 - self.PER_IP)
        # Exactly the cap's worth, once any process of an earlier connection is reaped.
        server.wait_for_exactly(self.PER_IP)
        # A flood from another address while a normal client works.
        outcome = {}
        flood = threading.Thread(target=lambda: outcome.update(hostile.flood(server.port, 3000, FLOODER,
                                                                             time_limit=40)), daemon=True)
        # Served, not fast: each flood connection costs a process, and the normal
        # client waits behind them in the kernel's accept queue (tests/attack/README.md).
        normal = hostile.Prober(server.port, "/", page, timeout=30)
        flood.start()
        normal.start()
        while flood.is_alive():
            seen_children.update(server.children())
            flood.join(0.05)
        normal.stop()
        self.assertTrue(normal.join(20))
        during = normal.summary()
        print(f"\n  flood: {outcome.get('connected')} connections in {outcome.get('seconds', 0):.2f} s; normal client "
              f"during it: {during['requests']} requests, {during['errors']} errors, p50 "
              f"{hostile.milliseconds(during['p50'])}, p99 {hostile.milliseconds(during['p99'])}", file=sys.stderr)
        self.assertEqual(normal.errors, [])
        self.assertGreater(normal.summary()["requests"], 0)
        self.assertGreater(outcome.get("connected", 0), 1000)
        # Once the flood is over only the held connections remain, and no zombie.
        # The flood's client loop ends before the server has seen all of it: the
        # kernel's accept queue, and TCP retransmissions under load, can hand the
        # supervisor a flood connection later (a clean-clone run once counted 17
        # at 10 s; another saw a zombie just after the count was right: a late
        # connection's process ending). So the state is judged when it is first
        # reached, within 30 s, not read again after: a leaked process or an
        # unreaped zombie never lets it be reached. The head timeout is 120 s, so
        # the held connections' processes outlive the flood (40 s at most), the
        # prober's join (20) and this wait, and a flood connection's process that
        # missed its client's close is still there to fail the count.
        deadline = time.monotonic() + 30
        while True:
            children, zombies = server.children(), zombies_of(supervisor)
            if len(children) == self.PER_IP and not zombies:
                break
            if time.monotonic() > deadline:
                self.fail(f"30 s after the flood, {len(children)} connection processes (zombies {zombies}): "
                          f"{server.describe_children()}")
            time.sleep(0.05)
        self.assertEqual([line for line in server.access_lines() if line.startswith("127.0.0.1 ") and " 503 " in line],
                         [])
        # SIGTERM in the middle of a second flood: prong stops, exit 0, within --grace (+ margin).
        stop_flood = threading.Event()
        flood = threading.Thread(target=hostile.flood, args=(server.port, 3000, FLOODER),
                                 kwargs={"time_limit": 20, "stop": stop_flood}, daemon=True)
        flood.start()
        time.sleep(0.3)
        seen_children.update(server.children())
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.wait(timeout=self.GRACE + 15)
        stopped_after = time.monotonic() - signalled
        stop_flood.set()
        flood.join(20)
        print(f"  SIGTERM during the flood: exit {code} after {stopped_after:.2f} s", file=sys.stderr)
        self.assertEqual(code, 0)
        self.assertLess(stopped_after, self.GRACE + 5)
        # Nothing of prong is left: supervisor and every connection process seen are gone.
        deadline = time.monotonic() + 10
        remaining = [pid for pid in seen_children | {supervisor} if os.path.exists(f"/proc/{pid}")]
        while remaining and time.monotonic() < deadline:
            time.sleep(0.05)
            remaining = [pid for pid in remaining if os.path.exists(f"/proc/{pid}")]
        self.assertEqual(remaining, [])
        self.assertEqual(descendants(server.pid), [])


class PipelineTest(LiveTestCase):
    files = dict({"index.html": b"<!doctype html><p>index\n"},
                 **{f"p/{n:02d}.txt": (f"file {n:02d};" * (n + 1)).encode() for n in range(100)})

    def test_ten_thousand_pipelined_requests_answered_in_order(self):
        server = self.server("--max-requests", "10000", "--access-log", "off", "--log-children")
        exchanges = []
        for i in range(10000):
            name = f"p/{i % 100:02d}.txt"
            if i % 13 == 0:
                exchanges.append((hostile.request(f"/p/missing-{i}.txt"), 404, None, False))
            elif i % 10 == 0:
                exchanges.append((hostile.request(f"/{name}", method="HEAD"), 200, b"", True))
            else:
                exchanges.append((hostile.request(f"/{name}"), 200, self.files[name], False))
        verified, problem, seconds = hostile.pipeline(server.port, exchanges, trailing=hostile.request("/"),
                                                      expect_close=True, time_limit=90)
        print(f"\n  10,000 pipelined requests: {verified} verified in {seconds:.2f} s", file=sys.stderr)
        self.assertIsNone(problem)
        self.assertEqual(verified, 10000)
        line = server.wait_for_log(r"child pid=\d+ client=127\.0\.0\.1 exit=0 .* requests=10000 ")[0]
        self.assertIn("requests=10000 ", line)
