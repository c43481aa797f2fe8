"""test_bench_script.py: `make bench`'s driver, bench/bench.py, runs to the end.

Figures are never asserted (speed lives in benchmarks); what is checked is that
every part of the script runs against the real binary and prints its lines:
peers.py with prong and the fork floors (one second per scenario and mode), the
goal ratios and the lines against the process floor, the memory of idle kept-alive connections and the CPU per
connection; the A/B of two builds (--compare); and that it leaves no prong
process and no temporary root behind. The process floor (bench/apps/process_floor.c)
is also built and spoken to directly: kept-alive answers, then a close when asked.
peers.py is not part of this repository; where ../shared/bench is absent the
peers part skips and says so, the memory part still runs.
"""
import glob
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import REPO, LiveTestCase

BENCH = os.path.join(REPO, "bench", "bench.py")
PEERS = os.path.join(os.path.dirname(REPO), "shared", "bench", "peers.py")
PRONG = os.path.join(REPO, "prong")


def prong_pids():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") == PRONG:
                found.append(int(pid))
        except OSError:
            continue
    return found


class BenchScriptTest(LiveTestCase):
    def run_bench(self, *flags):
        """bench.py in its own process group, all of which is killed if it overruns."""
        before = set(prong_pids())
        roots_before = set(glob.glob("/srv/prong-bench-*"))
        bench = subprocess.Popen(["python3", BENCH, "--prong", PRONG, "--out", os.path.join(self.root, "bench"),
                                  "--idle-connections", "20", "--per-connection", "30", *flags],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = bench.communicate(timeout=100)
        except subprocess.TimeoutExpired:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.communicate()
            raise
        self.assertEqual(bench.returncode, 0, out[-3000:] + err[-3000:])
        self.assertEqual(set(prong_pids()) - before, set(), "bench.py left a prong process behind")
        self.assertEqual(set(glob.glob("/srv/prong-bench-*")) - roots_before, set(), "bench.py left its root behind")
        return out

    def check_memory_lines(self, out):
        self.assertRegex(out, r"monitor, at rest: RSS \d+ KiB, PSS \d+ KiB, USS \d+ KiB")
        self.assertRegex(out, r"supervisor, at rest: RSS \d+ KiB")
        self.assertRegex(out, r"one connection process, idle after one request: RSS \d+ KiB")
        self.assertRegex(out, r"20 idle kept-alive connections: every prong process together PSS [\d.]+ MiB")
        self.assertRegex(out, r"Per connection \(30 sequential Connection: close requests\): supervisor \d+ us")

    def test_memory_and_cost(self):
        self.check_memory_lines(self.run_bench("--only-memory"))

    def test_compare_two_builds(self):
        out = self.run_bench("--compare", PRONG, "--blocks", "2", "--block-requests", "20")
        self.assertRegex(out, r"CPU 1 busy time per Connection: close request, 2 blocks of 20, builds in turn:")
        self.assertEqual(len(re.findall(r"median \d+ us  \(blocks: \d+ \d+\)", out)), 2, out)
        self.assertRegex(out, r"x the CPU per connection")
        self.assertNotIn("idle kept-alive", out, "--compare does only the A/B")

    def test_peers_ratios_memory_and_cost(self):
        if not os.path.exists(PEERS):
            self.skipTest(f"{PEERS} is not on this machine (the peers benchmark lives outside the repository)")
        out = self.run_bench("--peers", PEERS, "--secs", "1", "--conns", "4", "--only", "prong,floor")
        for scenario in ("small", "big"):
            self.assertTrue(os.path.exists(os.path.join(self.root, "bench", f"{scenario}.json")), scenario)
        self.assertRegex(out, r"\| prong \| \d+ \|")
        self.assertRegex(out, r"1 KiB Connection: close vs the unsandboxed fork floor: [\d.]+x \(goal >= 1.0x: (met|MISSED)\)")
        self.assertRegex(out, r"1 KiB keep-alive vs nginx: not measured")
        self.assertRegex(out, r"\| process floor \(static PIE, fork per connection.*\| \d+ \|")
        self.assertRegex(out, r"1 KiB keep-alive [\d.]+x, Connection: close [\d.]+x")
        self.assertRegex(out, r"1 KiB keep-alive p99: prong [\d.]+ ms, the process floor [\d.]+ ms")
        self.check_memory_lines(out)

    def test_process_floor_keeps_alive_then_closes(self):
        sys.path.insert(0, os.path.dirname(BENCH))
        import bench  # noqa: E402  (the build step make bench uses)
        with tempfile.TemporaryDirectory() as out:
            binary = bench.build_process_floor(out)
            self.assertIsNotNone(binary, "process_floor.c did not build")
            with socket.socket() as probe:  # a free loopback port (process_floor takes a number, not 0)
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            floor = subprocess.Popen([binary, str(port)], start_new_session=True)
            try:
                sock = self.connect_when_listening(port, floor)
                with sock:
                    for ask_to_close in (False, False, True):
                        request = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\n"
                        sock.sendall(request + (b"Connection: close\r\n\r\n" if ask_to_close else b"\r\n"))
                        head, body = bench.read_small_answer(sock)
                        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n"), head)
                        self.assertEqual(body, b"x" * 1024)
                        self.assertEqual(b"Connection: close" in head, ask_to_close, head)
                    self.assertEqual(sock.recv(1), b"", "the connection stays open after Connection: close")
            finally:
                os.killpg(floor.pid, signal.SIGKILL)
                floor.wait(10)

    def connect_when_listening(self, port, process, attempts=100):
        for _ in range(attempts):
            self.assertIsNone(process.poll(), "process_floor ended")
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=10)
            except ConnectionRefusedError:
                time.sleep(0.05)
        self.fail(f"process_floor is not listening on {port}")
