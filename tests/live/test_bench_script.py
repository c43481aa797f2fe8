"""test_bench_script.py: `make bench`'s runner, bench/bench.py, runs to the end and says everything.

Figures are never asserted (speed lives in benchmarks): what is checked is
that the in-tree runner, with nothing outside the repository, prints every
table with a row for every server (figures, or why none: a peer not
installed, a floor's fixed answer), every goal line of issue 19 and issue 7
with met or MISSED (or "not measured" for a peer that is absent here), the
memory, CPU and system-call lines and the account of its servers; that its
--json file holds the same; and that it leaves no server process and no site
behind, as /proc shows, not only as it says. The --compare A/B, a bad flag,
and both floors spoken to directly (bench/apps/: the fork floor answers once
and closes, the process floor keeps the connection until asked to close)
are checked too. The floors are built by `make test-live`; run alone, the
test builds them with make. One run takes ~50 s: one second per figure, a
100-connection crowd instead of 1,000, small probes.
"""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from harness import PRONG, REPO, LiveTestCase

BENCH = os.path.join(REPO, "bench", "bench.py")
FLOORS = {name: os.path.join(REPO, "build", "bench", name) for name in ("fork_floor", "process_floor")}
SERVERS = ["nginx", "prong", "fork-floor", "process-floor", "lighttpd", "mini_httpd", "webfs", "althttpd"]
LABELS = {"nginx": "nginx 1 worker", "prong": "prong (every layer on)", "fork-floor": "C fork floor",
          "process-floor": "process floor", "lighttpd": "lighttpd", "mini_httpd": "mini_httpd",
          "webfs": "webfs", "althttpd": "althttpd"}
BINARIES = {PRONG, *FLOORS.values(), "/usr/sbin/nginx", "/usr/sbin/lighttpd", "/usr/sbin/mini_httpd",
            "/usr/bin/webfsd"}
GOALS_19 = [r"1 KiB Connection: close \(50 connections\) vs the C fork floor",
            r"1 KiB Connection: close vs the C fork floor, the aim",
            r"prong's CPU per connection beyond the process floor's, as a share of the floor's",
            r"1 KiB keep-alive \(50 connections\) vs nginx", r"system calls per kept-alive request",
            r"100 connections keep-alive vs nginx", r"100 connections: prong's requests over wrk's 2 s timeout",
            r"100 connections p99 vs nginx's", r"memory per idle kept-alive connection, all-in \(20 connections\)",
            r"--attest on the build measured"]
# These need only prong and the floors, which are always here: they must be measured.
ALWAYS_MEASURED = {0, 1, 2, 4, 6, 8, 9}
GOALS_7 = [r"1 KiB keep-alive vs mini_httpd", r"1 KiB Connection: close vs mini_httpd",
           r"1 KiB keep-alive vs althttpd", r"1 KiB Connection: close vs althttpd",
           r"1 KiB keep-alive p99 \(50 connections\) vs nginx's", r"10 MiB keep-alive vs nginx",
           r"10 MiB close vs nginx"]
VERDICT = r": (?:[\d,.]+(?:x| \w+) \(goal [<>]= [\d,.]+(?:x| \w+): (?:met|MISSED)[;)]|passed \(goal: passes: met)"
NOT_MEASURED = r": not measured \("


def server_pids():
    """Every process running one of the servers the runner starts."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") in BINARIES:
                found.add(int(pid))
        except OSError:
            continue
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BenchScriptTest(LiveTestCase):
    @classmethod
    def setUpClass(cls):
        if any(not os.access(path, os.X_OK) for path in FLOORS.values()):
            subprocess.run(["make", "-s", "-C", REPO, *(os.path.relpath(p, REPO) for p in FLOORS.values())],
                           check=True, timeout=120)

    def run_bench(self, *flags, expect=0, limit=105):
        """bench.py in its own session, all of it killed if it overruns;
        returns its standard output."""
        before, sites_before = server_pids(), set(glob.glob("/srv/prong-bench-*"))
        bench = subprocess.Popen([sys.executable, BENCH, "--prong", PRONG, *flags], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = bench.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.communicate()
            raise
        self.assertEqual(bench.returncode, expect, out[-3000:] + err[-3000:])
        deadline = time.monotonic() + 5
        while server_pids() - before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(server_pids() - before, set(), "bench.py left a server process behind")
        self.assertEqual(set(glob.glob("/srv/prong-bench-*")) - sites_before, set(), "bench.py left its site")
        return out, err

    def test_every_table_goal_and_probe(self):
        report = os.path.join(self.root, "bench.json")
        out, _ = self.run_bench("--quick", "--warmup", "0", "--many", "100", "--idle-connections", "20",
                                "--cpu-blocks", "2", "--cpu-block-requests", "20", "--syscall-requests", "20",
                                "--json", report)
        tables = re.split(r"\n(?=\| 1 KiB, 50 connections|\| 10 MiB, 50 connections|\| 1 KiB, 100 connections)", out)
        self.assertEqual(len(tables), 4, out)
        for text in tables[1:]:
            rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("|---")]
            self.assertRegex(rows[0], r"keep-alive (req|MiB)/s \| p99 \| over timeout \|")
            self.assertEqual(len(rows), 1 + len(SERVERS), text)
            for name, row in zip(SERVERS, rows[1:]):
                self.assertTrue(row.startswith(f"| {LABELS[name]}"), (name, row))
        small, big, many = tables[1:]
        for text in (small, big, many):  # prong is measured in every table
            self.assertRegex(text, r"\| prong \(every layer on\) \| [\d,]+ \| [\d,.]+ m?s \| \d+ \|")
        for floor in ("C fork floor", "process floor"):
            self.assertRegex(small, rf"\| {floor} [^|]*\| [\d,]+ \| [\d,.]+ m?s \| \d+ \| [\d,]+ \|")
            self.assertRegex(big, rf"\| {floor} [^|]*\| answers a fixed 1 KiB: no 10 MiB figures \|")
        self.assertRegex(out, r"--attest: passed \(exit 0\)")
        self.assertRegex(out, r"one connection process, idle after one request: RSS \d+ KiB, PSS \d+ KiB")
        self.assertRegex(out, r"20 idle kept-alive connections: every prong process together PSS [\d.]+ MiB "
                              r"\+ page tables \(VmPTE\) [\d.]+ MiB = [\d.]+ KiB per connection all-in")
        self.assertRegex(out, r"  prong: supervisor \d+ us( \+ monitor \d+ us)? \+ connection process \d+ us "
                              r"\([\d.]+ minor faults\) = \d+ us")
        self.assertRegex(out, r"  process floor: parent \d+ us \+ connection process \d+ us")
        self.assertRegex(out, r"System calls per kept-alive request \(strace -p of one connection process after 20 "
                              r"requests, then 20 more\): [\d.]+ \((\w+ [\d.]+(, )?)+\)")
        for index, goal in enumerate(GOALS_19):
            verdicts = VERDICT if index in ALWAYS_MEASURED else f"(?:{VERDICT}|{NOT_MEASURED})"
            self.assertRegex(out, rf"\n  {goal}{verdicts}", goal)
        for goal in GOALS_7:
            self.assertRegex(out, rf"\n  {goal}(?:{VERDICT}|{NOT_MEASURED})", goal)
        self.assertRegex(out, r"\nServers: \d+ starts, each stopped by its pid and reaped; left running: none\n")
        with open(report) as f:
            written = json.load(f)
        self.assertEqual(sorted(written["tables"]), ["big", "many", "small"])
        self.assertEqual(sorted(written["tables"]["small"]), sorted(SERVERS))
        self.assertEqual(sorted(written["probes"]), ["attest", "cpu", "memory", "syscalls"])
        self.assertEqual(len(written["goals"]), len(GOALS_19) + len(GOALS_7))
        self.assertTrue(all(g["met"] in (True, False, None) for g in written["goals"]))

    def test_only_prong_still_prints_every_goal(self):
        """Without its peers the run still ends, each missing figure named."""
        out, _ = self.run_bench("--only", "prong", "--secs", "1", "--warmup", "0", "--many", "20",
                                "--idle-connections", "5", "--cpu-blocks", "1", "--cpu-block-requests", "10",
                                "--syscall-requests", "5", limit=60)
        self.assertRegex(out, r"vs the C fork floor: not measured \(no small-table figures for fork-floor in this run\)")
        self.assertRegex(out, r"beyond the process floor's, as a share of the floor's: not measured")
        self.assertRegex(out, r"1 KiB keep-alive vs althttpd: not measured \(no small-table figures for althttpd")
        self.assertRegex(out, r"the process floor: not measured \(not selected or not built\)")

    def test_compare_two_builds(self):
        out, _ = self.run_bench("--compare", PRONG, "--cpu-blocks", "2", "--cpu-block-requests", "20", limit=60)
        self.assertRegex(out, r"CPU per connection \(2 blocks of 20 sequential Connection: close requests each")
        self.assertEqual(len(re.findall(r"\n  [AB] \S+: supervisor \d+ us", out)), 2, out)
        self.assertRegex(out, r"A / B: [\d.]+x the CPU per connection")
        self.assertNotIn("Goals of issue 19", out, "--compare does only the A/B")

    def test_bad_flag_exits_2_naming_it(self):
        _, err = self.run_bench("--only", "prong,nope", expect=2, limit=20)
        self.assertRegex(err, r"--only: unknown server nope")

    def test_fork_floor_answers_once_and_closes(self):
        with self.floor("fork_floor") as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /anything HTTP/1.1\r\nHost: bench\r\n\r\n")
            answer = self.read_to_close(sock)
        self.assertEqual(answer, b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n" + b"x" * 1024)

    def test_process_floor_keeps_alive_then_closes(self):
        sys.path.insert(0, os.path.dirname(BENCH))
        import client  # noqa: E402  (the runner's own reader of one answer)
        with self.floor("process_floor") as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for ask_to_close in (False, False, True):
                sock.sendall(b"GET /small.txt HTTP/1.1\r\nHost: bench\r\n"
                             + (b"Connection: close\r\n\r\n" if ask_to_close else b"\r\n"))
                status, head, body, rest = client.read_answer(sock)
                self.assertEqual(status, "HTTP/1.1 200 OK")
                self.assertIn(b"\r\nContent-Length: 1024\r\n", head)
                self.assertEqual((body, rest), (b"x" * 1024, b""))
                self.assertEqual(b"Connection: close" in head, ask_to_close, head)
            self.assertEqual(sock.recv(1), b"", "the connection stays open after Connection: close")

    def floor(self, name):
        test = self

        class Running:
            def __enter__(self):
                self.port = free_port()
                self.process = subprocess.Popen([FLOORS[name], str(self.port)], start_new_session=True)
                for _ in range(100):
                    test.assertIsNone(self.process.poll(), f"{name} ended")
                    try:
                        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                        return self.port
                    except ConnectionRefusedError:
                        time.sleep(0.05)
                test.fail(f"{name} is not listening on {self.port}")

            def __exit__(self, *exc):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

        return Running()

    @staticmethod
    def read_to_close(sock):
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data
