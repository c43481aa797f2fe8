"""test_site_cli.py: the new flags on the real command line: --listen's shorthands,
--user UID:GID, and every refusal of --header, --cache-control, --error-page,
--listen and --user (exit 2, one line on standard error naming the argument,
nothing on standard output, nothing listening).

--listen localhost:PORT binds 127.0.0.1 and [::1]; :PORT and PORT bind 0.0.0.0
and [::]; each socket is printed ("prong: listening on ADDR:PORT") and answers;
port 0 gives both sockets one free port. The IPv6 socket of :PORT is
IPV6_V6ONLY: the IPv4 one could not share its port otherwise, and an IPv4
client reaches the IPv4 socket (the access log shows 127.0.0.1, not
::ffff:127.0.0.1). --user 4242:4343 runs the supervisor and the connection
processes with exactly those ids, which no account has (no lookup at all).
"""
import os
import re
import socket
import time

from harness import LiveTestCase, Server, http_request, proc_status
from test_cli import run_prong

LISTENING = re.compile(r"^prong: listening on (\S+):(\d+)$")


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port_both_families():
    """A port free on 127.0.0.1 and ::1 alike (bounded tries)."""
    for _ in range(50):
        with socket.socket() as v4:
            v4.bind(("127.0.0.1", 0))
            port = v4.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6) as v6:
                    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    v6.bind(("::", port))
            except OSError:
                continue
        return port
    raise AssertionError("no port free on both families")


def get(family, host, port):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


class ListenShorthandTest(LiveTestCase):
    def setUp(self):
        super().setUp()
        if not has_ipv6_loopback():
            self.skipTest("this host has no IPv6 loopback (::1): the shorthands need both families")

    def start(self, listen):
        server = Server(self.root, listen=(listen,))
        server.start()
        self.addCleanup(server.__exit__, None, None, None)
        server.wait_for_log(r"^prong: listening on ", count=2)
        return server, [LISTENING.match(line).groups() for line in server.log_lines() if LISTENING.match(line)]

    def test_localhost_binds_both_loopbacks_with_one_port(self):
        server, sockets = self.start("localhost:0")
        self.assertEqual(len(sockets), 2, sockets)
        (v4, p4), (v6, p6) = sockets
        self.assertEqual((v4, v6), ("127.0.0.1", "[::1]"))
        self.assertEqual(p4, p6)
        self.assertTrue(get(socket.AF_INET, "127.0.0.1", int(p4)).startswith(b"HTTP/1.1 200 "))
        self.assertTrue(get(socket.AF_INET6, "::1", int(p6)).startswith(b"HTTP/1.1 200 "))
        server.wait_for_log(r"^::1 - - \[")

    def test_port_alone_and_colon_port_bind_every_address(self):
        for form in (":{}", "{}"):
            with self.subTest(form=form):
                port = free_port_both_families()
                server, sockets = self.start(form.format(port))
                self.assertEqual(sockets, [("0.0.0.0", str(port)), ("[::]", str(port))])
                self.assertTrue(get(socket.AF_INET, "127.0.0.1", port).startswith(b"HTTP/1.1 200 "))
                self.assertTrue(get(socket.AF_INET6, "::1", port).startswith(b"HTTP/1.1 200 "))
                # IPV6_V6ONLY: the IPv4 client was served by the IPv4 socket.
                server.wait_for_log(r"^127\.0\.0\.1 - - \[")
                self.assertFalse([line for line in server.log_lines() if line.startswith("::ffff:")])
                server.stop()

    def test_options_apply_to_both_sockets(self):
        server, sockets = self.start("localhost:0,reuseport")
        port = int(sockets[0][1])
        # SO_REUSEPORT on both: another socket with it may bind the same port on each family.
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family) as other:
                other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                other.bind((host, port))

    def test_a_taken_port_is_refused_whole(self):
        with socket.socket(socket.AF_INET6) as taken:
            taken.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            taken.bind(("::1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            code, out, err = run_prong("--root", self.root, "--listen", f"localhost:{port}")
        self.assertEqual(code, 2)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertRegex(err, rf"^prong: cannot listen on \[::1\]:{port}: ")
        self.assertNotIn("listening on", err)


class NumericUserTest(LiveTestCase):
    def test_uid_gid_needs_no_account(self):
        server = self.server("--user", "4242:4343")
        status, _, _ = http_request(server.port, path="/")
        self.assertEqual(status, 200)
        supervisor = proc_status(server.supervisor_pid())
        self.assertEqual(supervisor["Uid"].split(), ["4242"] * 4)
        self.assertEqual(supervisor["Gid"].split(), ["4343"] * 4)
        self.assertEqual(supervisor.get("Groups", "").split(), [])

    def test_a_connection_process_runs_with_those_ids(self):
        server = self.server("--user", "4242:4343")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10):
            children = server.wait_for_children(1)
            status = proc_status(children[0])
            self.assertEqual((status["Uid"].split()[0], status["Gid"].split()[0]), ("4242", "4343"))

    def test_check_prints_the_ids(self):
        code, out, err = run_prong("--root", self.root, "--listen", "127.0.0.1:0", "--user", "4242:4343",
                                   "--check")
        self.assertEqual(code, 0, err)
        self.assertIn("user:      4242:4343 (uid 4242, gid 4343)", out)


class RefusalTest(LiveTestCase):
    def assert_refused(self, args, mentions):
        code, out, err = run_prong("--root", self.root, "--listen", "127.0.0.1:0", *args)
        self.assertEqual(code, 2, f"exit {code} for {args}: {err!r}")
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"{args}: {err!r}")
        self.assertTrue(lines[0].startswith("prong: "), lines[0])
        self.assertIn(mentions, lines[0])
        self.assertNotIn("listening on", err)

    def test_bad_header_rows(self):
        for argument in ("X-A", "X-A:", ": v", "X A: v", "Content-Length: 5", "transfer-encoding: chunked",
                         "Connection: close", "Date: x", "Server: x", "Content-Type: text/plain",
                         "X: a ", "X: caf\u00e9", "/assets X: v", "assets/ X: v", "/a//b/ X: v", "/p/",
                         "X: a\r\nprong: forged"):
            with self.subTest(argument=argument):
                shown = argument.encode().decode("latin-1").split("\r")[0]  # as run_prong decodes it
                self.assert_refused(["--header", argument], "--header '" + shown)

    def test_bad_cache_control(self):
        for value in (" no-cache", "no-cache ", "a\tb", "x\x7f"):
            with self.subTest(value=value):
                self.assert_refused(["--cache-control", value], "--cache-control")
        self.assert_refused(["--cache-control", "no-cache", "--header", "Cache-Control: max-age=1"],
                            "--header 'Cache-Control: max-age=1': --cache-control already sets")

    def test_headers_over_the_budget(self):
        args = []
        for i in range(3):
            args += ["--header", f"X-Big-{i}: " + "v" * 1000]
        self.assert_refused(args, "--header: the rows could add")
        self.assert_refused(["--header"] * 0 + [f"--header=X-{i}: v" for i in range(65)], "too many header rows")

    def test_bad_error_pages(self):
        for argument in ("404", "404=", "404=404.html", "200=/ok.html", "999=/x.html", "404=/.git/x.html",
                         "404=/errors/", "404=//x.html", "404=/a/../x.html", "abc=/x"):
            with self.subTest(argument=argument):
                self.assert_refused(["--error-page", argument], "--error-page '" + argument + "'")
        self.assert_refused(["--error-page", "404=/a.html", "--error-page", "404=/b.html"],
                            "--error-page '404=/b.html': status 404 has a page already")

    def test_bad_listen_shorthands(self):
        for argument in ("localhost", "localhost:", "localhost:65536", ":", ":x", "65536", "localhost:80,mode=0600",
                         "LOCALHOST:80", "ip6-localhost:80"):
            with self.subTest(argument=argument):
                self.assert_refused(["--listen", argument], "--listen '" + argument + "'")

    def test_bad_numeric_users(self):
        for argument in ("0:0", "0:1000", "1000:0", "4294967295:1", "12:x", "1:2:3"):
            with self.subTest(argument=argument):
                self.assert_refused(["--user", argument], "--user " + argument)
