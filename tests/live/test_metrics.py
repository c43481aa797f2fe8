"""test_metrics.py: --metrics, the supervisor's counters in Prometheus's text format.

What it checks, on the real binary:
  - a scrape over a unix socket (a raw socket, and curl) and over 127.0.0.1:PORT and
    [::1]:PORT answers HTTP/1.0 200 with Content-Type text/plain; version=0.0.4 and
    a Content-Length equal to the body; every body line is a HELP, a TYPE or a
    sample of the metric last TYPEd, names match [a-zA-Z_:][a-zA-Z0-9_:]*,
    counters end in _total, values are numbers;
  - the counters move exactly: N requests add N to prong_requests_total and to the
    2xx responses; a 400 adds one 4xx; a per-IP refusal adds one to
    prong_refusals_total{cause="per-client-cap"}; a held connection shows as one
    connection process in phase "waiting";
  - the socket file is created 0660, owned by the starting user (its group a setgid
    directory's), in a directory
    only its owner may write; a stale socket is replaced, any other file is not;
  - scrapers that connect and never send or read (more than the supervisor keeps
    waiting) do not stop it from serving or answering the next scrape, and each
    of them is closed within the deadline;
  - a connection process does not hold the metrics socket (the supervisor does:
    the positive control), and --attest finds no extra socket in it;
  - a non-loopback address, a shorthand, systemd:, listener options, a relative
    path, a directory others may write, a missing directory: one line naming
    --metrics, exit 2.
Must not: wait without a limit, or leave a process or a file behind."""
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

from harness import PRONG, LiveTestCase, proc_fds, raw_exchange

METRICS_LINE = re.compile(r"^prong: metrics on (\S+)$")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r')(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? '
                    r"(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$")
TYPE = re.compile(r"^# TYPE (" + NAME + r") (counter|gauge|histogram|summary|untyped)$")
HELP = re.compile(r"^# HELP (" + NAME + r") .*$")
REQUEST = b"GET /metrics HTTP/1.0\r\nHost: metrics\r\n\r\n"
PAGE = b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


def read_all(connection, limit=10.0):
    connection.settimeout(limit)
    received = bytearray()
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return bytes(received)
        received += chunk


def scrape_unix(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(REQUEST)
        return read_all(connection)


def scrape_tcp(host, port, family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect((host, port))
        connection.sendall(REQUEST)
        return read_all(connection)


class Scrape:
    """One answer, checked as a scraper reads it, with its samples by name and labels."""

    def __init__(self, test, answer):
        head, separator, body = answer.partition(b"\r\n\r\n")
        test.assertTrue(separator, f"no end of head: {answer[:200]!r}")
        lines = head.decode("ascii").split("\r\n")
        test.assertEqual(lines[0], "HTTP/1.0 200 OK")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        test.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        test.assertEqual(int(headers["content-length"]), len(body), "Content-Length is the body's")
        self.samples = {}
        typed = None
        text = body.decode("utf-8")
        test.assertTrue(text.endswith("\n"), "the body ends with a line feed")
        for line in text[:-1].split("\n"):
            if HELP.match(line):
                continue
            declared = TYPE.match(line)
            if declared:
                typed = declared.group(1)
                if declared.group(2) == "counter":
                    test.assertTrue(typed.endswith("_total"), f"a counter ends in _total: {line}")
                continue
            sample = SAMPLE.match(line)
            test.assertIsNotNone(sample, f"not a sample line: {line!r}")
            test.assertEqual(sample.group(1), typed, f"a sample not after its own TYPE line: {line!r}")
            self.samples[(sample.group(1), sample.group(2) or "")] = float(sample.group(4))
        test.assertGreater(len(self.samples), 30)

    def value(self, name, labels=""):
        return self.samples[(name, labels)]


class MetricsTest(LiveTestCase):
    def setUp(self):
        super().setUp()
        self.directory = tempfile.mkdtemp(prefix="prong-metrics-")  # 0700, root's
        self.addCleanup(shutil.rmtree, self.directory, True)
        self.path = os.path.join(self.directory, "metrics.sock")

    def metrics_address(self, server):
        line = server.wait_for_log(METRICS_LINE.pattern)[0]
        return METRICS_LINE.match(line).group(1)

    def scrape(self):
        return Scrape(self, scrape_unix(self.path))

    # ------------------------------------------------------------ unix socket
    def test_unix_scrape_is_the_text_format_and_counts_exactly(self):
        server = self.server("--metrics", f"unix:{self.path}", "--access-log", "off")
        self.assertEqual(self.metrics_address(server), f"unix:{self.path}")
        mode = os.stat(self.path)
        self.assertTrue(stat.S_ISSOCK(mode.st_mode))
        self.assertEqual(stat.S_IMODE(mode.st_mode), 0o660, "the socket file's default mode")
        self.assertEqual(mode.st_uid, os.geteuid(), "owned by the user who started prong")
        before = self.scrape()
        build = [(labels, value) for (name, labels), value in before.samples.items() if name == "prong_build_info"]
        self.assertEqual(len(build), 1, build)
        self.assertRegex(build[0][0], r'^\{version="[0-9][^"]*"\}$')
        self.assertEqual(build[0][1], 1)
        requests = 5
        for _ in range(requests):  # each read to the close: the child has counted it by then
            answer, closed = raw_exchange(server.port, PAGE)
            self.assertTrue(answer.startswith(b"HTTP/1.1 200 ") and closed, answer[:100])
        after = self.scrape()
        self.assertEqual(after.value("prong_requests_total") - before.value("prong_requests_total"), requests)
        self.assertEqual(after.value("prong_responses_total", '{code="2xx"}')
                         - before.value("prong_responses_total", '{code="2xx"}'), requests)
        self.assertGreaterEqual(after.value("prong_connections_accepted_total")
                                - before.value("prong_connections_accepted_total"), requests)
        self.assertGreater(after.value("prong_sent_bytes_total"), before.value("prong_sent_bytes_total"))
        self.assertEqual(after.value("prong_metrics_scrapes_total") - before.value("prong_metrics_scrapes_total"), 1)
        # A bad request: one more request, and one more 4xx.
        answer, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\n\r\n")  # no Host: 400
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 ") and closed, answer[:100])
        refused = self.scrape()
        self.assertEqual(refused.value("prong_responses_total", '{code="4xx"}')
                         - after.value("prong_responses_total", '{code="4xx"}'), 1)
        self.assertEqual(refused.value("prong_requests_total") - after.value("prong_requests_total"), 1)
        # Every reaped child is counted once, by one cause.
        server.wait_for_no_children()
        final = self.scrape()
        ends = sum(value for (name, _), value in final.samples.items()
                   if name == "prong_connection_process_ends_total")
        self.assertEqual(ends, final.value("prong_connection_processes_started_total"))
        self.assertEqual(final.value("prong_connection_process_ends_total", '{cause="normal"}'), ends)

    def test_curl_scrapes_the_unix_socket(self):
        curl = shutil.which("curl")
        if not curl:
            self.fail("curl is missing (CI installs it: make deps)")
        self.server("--metrics", f"unix:{self.path}")
        done = subprocess.run([curl, "-sS", "--max-time", "10", "--unix-socket", self.path,
                               "http://localhost/metrics", "-D", "-"], capture_output=True, timeout=20)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"\r\nContent-Type: text/plain; version=0.0.4", done.stdout)
        self.assertIn(b"\n# TYPE prong_requests_total counter\n", done.stdout)

    def test_a_stale_socket_is_replaced_and_another_file_is_not(self):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.path)
        stale.close()  # the file stays: a socket from an earlier run
        server = self.server("--metrics", f"unix:{self.path}")
        self.scrape()
        server.stop()
        os.unlink(self.path)
        with open(self.path, "w") as f:
            f.write("not a socket\n")
        done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--metrics",
                               f"unix:{self.path}", "--check"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertRegex(done.stderr, r"^prong: --metrics 'unix:.*': .* exists and is not a socket\n$")
        with open(self.path) as f:
            self.assertEqual(f.read(), "not a socket\n", "a file that is not a socket is left alone")

    def test_a_setgid_directory_gives_the_socket_its_group(self):
        group = 65534  # nogroup: a group the scraper could be in (docs/metrics.md, systemd)
        os.chown(self.directory, os.geteuid(), group)
        os.chmod(self.directory, 0o2750)
        server = self.server("--metrics", f"unix:{self.path}")
        self.metrics_address(server)
        mode = os.stat(self.path)
        self.assertEqual((mode.st_uid, mode.st_gid, stat.S_IMODE(mode.st_mode)), (os.geteuid(), group, 0o660))
        self.scrape()

    # ------------------------------------------------------------ loopback TCP
    def test_loopback_port_scrape_and_a_per_ip_refusal(self):
        server = self.server("--metrics", "127.0.0.1:0", "--max-per-ip", "1", "--access-log", "off")
        address = self.metrics_address(server)
        host, port = address.rsplit(":", 1)
        self.assertEqual(host, "127.0.0.1")
        before = Scrape(self, scrape_tcp("127.0.0.1", int(port)))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as held:
            server.wait_for_children(1)
            answer, closed = raw_exchange(server.port, PAGE)  # the same address: over the cap
            self.assertTrue(answer.startswith(b"HTTP/1.1 503 "), answer[:100])
            during = Scrape(self, scrape_tcp("127.0.0.1", int(port)))
            self.assertEqual(during.value("prong_refusals_total", '{cause="per-client-cap"}')
                             - before.value("prong_refusals_total", '{cause="per-client-cap"}'), 1)
            self.assertEqual(during.value("prong_refusals_total", '{cause="server-full"}'),
                             before.value("prong_refusals_total", '{cause="server-full"}'))
            phases = {labels: value for (name, labels), value in during.samples.items()
                      if name == "prong_connection_processes"}
            self.assertEqual(sum(phases.values()), 1, phases)
            self.assertEqual(during.value("prong_connections_open"), 1)
            for _ in range(250):  # bounded: the child may still be starting
                if during.value("prong_connection_processes", '{phase="waiting"}') == 1:
                    break
                time.sleep(0.02)
                during = Scrape(self, scrape_tcp("127.0.0.1", int(port)))
            self.assertEqual(during.value("prong_connection_processes", '{phase="waiting"}'), 1,
                             "the held connection, from which nothing has arrived")
            held.sendall(PAGE)
            self.assertTrue(read_all(held).startswith(b"HTTP/1.1 200 "))

    def test_ipv6_loopback_port(self):
        server = self.server("--metrics", "[::1]:0")
        address = self.metrics_address(server)
        self.assertTrue(address.startswith("[::1]:"), address)
        Scrape(self, scrape_tcp("::1", int(address.rsplit(":", 1)[1]), socket.AF_INET6))

    # ------------------------------------------------------------ a slow scraper
    def test_scrapers_that_never_read_do_not_stop_the_server(self):
        server = self.server("--metrics", f"unix:{self.path}", "--access-log", "off")
        silent = []
        try:
            deaf = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # asks, never reads
            silent.append(deaf)
            deaf.connect(self.path)
            deaf.sendall(REQUEST)
            for _ in range(20):  # more than the supervisor keeps waiting for a request (8)
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                silent.append(connection)
                connection.connect(self.path)
            for _ in range(3):
                answer, closed = raw_exchange(server.port, PAGE)
                self.assertTrue(answer.startswith(b"HTTP/1.1 200 ") and closed, answer[:100])
            self.scrape()
            # Every one of them is answered and closed, within a bounded time.
            for connection in silent:
                answer = read_all(connection, limit=10.0)
                self.assertTrue(answer.startswith(b"HTTP/1.0 200 OK\r\n"), answer[:80])
        finally:
            for connection in silent:
                connection.close()

    # ------------------------------------------------------------ who holds it
    def metrics_inode(self):
        with open("/proc/net/unix") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 8 and fields[7] == self.path:
                    return fields[6]
        self.fail("the metrics socket is not in /proc/net/unix")

    def test_a_connection_process_does_not_hold_the_metrics_socket(self):
        server = self.server("--metrics", f"unix:{self.path}")
        listening = f"socket:[{self.metrics_inode()}]"
        supervisor = server.supervisor_pid()
        self.assertIn(listening, proc_fds(supervisor).values(),
                      "positive control: the supervisor holds the metrics socket")
        self.assertNotIn(listening, proc_fds(server.pid).values(), "the monitor holds no socket of it")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10):
            child = server.wait_for_children(1)[0]
            time.sleep(0.2)  # not an assertion on time: let the child finish closing its descriptors
            descriptors = proc_fds(child)
            self.assertNotIn(listening, descriptors.values())
            sockets = [fd for fd, target in descriptors.items() if target.startswith("socket:")]
            self.assertEqual(sorted(sockets), [2, 3], "its log channel and its client only")

    def test_attest_sees_no_extra_socket_in_a_connection_process(self):
        done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--metrics",
                               f"unix:{self.path}", "--attest"] + self.weak_landlock(),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        child = [line for line in done.stdout.splitlines() if '"role": "child"' in line]
        self.assertEqual(len(child), 1, done.stdout)
        self.assertIn('"sockets": 0', child[0])

    def weak_landlock(self):
        from harness import weak_landlock_accepted_for_tests
        return ["--allow-weak-landlock"] if weak_landlock_accepted_for_tests() else []

    # ------------------------------------------------------------ bad flags
    def test_bad_metrics_addresses_are_one_line_and_exit_2(self):
        writable = tempfile.mkdtemp(prefix="prong-metrics-open-")
        self.addCleanup(shutil.rmtree, writable, True)
        os.chmod(writable, 0o1777)
        cases = [
            ("0.0.0.0:9100", r"not a loopback address"),
            ("192.0.2.1:9100", r"not a loopback address"),
            ("[::]:9100", r"not a loopback address"),
            ("[2001:db8::1]:9100", r"not a loopback address"),
            ("localhost:9100", r"give 127\.0\.0\.1:PORT or \[::1\]:PORT"),
            ("9100", r"expected"),
            ("systemd:metrics", r"expected unix:/PATH"),
            ("127.0.0.1:9100,proxy", r"expected unix:/PATH"),
            ("127.0.0.1:99999", r"the port must be a number"),
            ("unix:relative.sock", r"absolute path"),
            (f"unix:{writable}/m.sock", r"writable by its group or by others"),
            (f"unix:{self.directory}/missing/m.sock", r"No such file or directory"),
        ]
        for text, reason in cases:
            with self.subTest(text=text):
                done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--metrics", text,
                                       "--check"], capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
                self.assertEqual(done.stderr.count("\n"), 1, done.stderr)
                self.assertTrue(done.stderr.startswith(f"prong: --metrics '{text}': "), done.stderr)
                self.assertRegex(done.stderr, reason)
        self.assertEqual(os.listdir(writable), [], "nothing created in the refused directory")
        # The positive control: the same command with good addresses passes the check.
        for text in (f"unix:{self.path}", "127.0.0.1:0", "[::1]:0"):
            with self.subTest(text=text):
                done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--metrics", text,
                                       "--check"] + self.weak_landlock(), capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertRegex(done.stdout, r"(?m)^metrics:   ")
