"""test_deploy_systemd.py: prong under systemd, without systemd as PID 1.

What it shows:
  - policy/prong.socket and policy/prong.service pass `systemd-analyze verify`
    (ExecStart pointed at the built ./prong, the man page on a temporary
    MANPATH), and fail it when the binary or the man page is missing;
  - the service's own sandbox lets prong do what it does: run as the unit runs
    it (user prong-log, only ambient CAP_SYS_CHROOT, CAP_SETUID and CAP_SETGID,
    no_new_privs, that bounding set, --user prong, the unit's ProtectProc= as a
    /proc mount option, sockets passed in) it
    serves, and every system call it makes, traced, is in the unit's
    SystemCallFilter= (expanded by systemd-analyze);
  - the unit's exact ExecStart flags start and serve (paths moved to temporary
    directories);
  - socket activation: systemd-socket-activate with two named sockets and
    `--listen systemd:NAME,proxy`; a launcher that sets LISTEN_PID/LISTEN_FDS/
    LISTEN_FDNAMES as systemd does: every passed socket without --listen (IPv4,
    IPv6, unix), a named one picked, an unasked one closed, an unknown name refused;
  - Type=notify on a test-owned NOTIFY_SOCKET (path and abstract): READY=1,
    STATUS= lines whose counts follow requests and refusals, RELOADING=1 then
    READY=1 on SIGHUP, STOPPING=1 on SIGTERM; a manager that does not read
    never stalls the logs or the stop;
  - the service's non-root mode: --attest passes (the monitor prong-log, the
    supervisor and children prong, no capability left in any, NoNewPrivs,
    Seccomp 2) and every escape action fails as it does as root.
Not emulated here: the unit's mount sandbox (ProtectSystem=, PrivateTmp=, ...)
and the seccomp filter itself (its allowlist is compared with a trace instead).
Every process started is stopped and reaped; sockets are on loopback only.
"""
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile

import harness
import time

from harness import PRONG, REPO, LiveTestCase, http_request, proc_fds
from test_deploy_support import (RUN_USER, SERVICE_USER, SERVICE_USER_PREFIX, TEST_BINARY, Deployed, NotifySocket,
                                 ensure_service_user, exchange, free_ports, get_request, listening_socket,
                                 outside_secret, passed_sockets, proxy_v1, run_escape_actions, run_to_exit, start,
                                 status_of, stop_process, supervisor_of)

SERVICE_UNIT = os.path.join(REPO, "policy", "prong.service")
SOCKET_UNIT = os.path.join(REPO, "policy", "prong.socket")
MAN_PAGE = os.path.join(REPO, "docs", "prong.8")
STATUS_LINE = re.compile(r"STATUS=(\d+) connections open, (\d+) requests served, (\d+) refused")


def unit_setting(name):
    """The value of a setting in policy/prong.service (the last one wins, as in systemd)."""
    values = re.findall(rf"^{name}=(.*)$", open(SERVICE_UNIT).read(), re.M)
    return values[-1].strip() if values else None


def scratch(test, prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, path, True)
    return path


class UnitFilesTest(LiveTestCase):
    def verify(self, directory, manpath):
        env = dict(os.environ, MANPATH=manpath, SYSTEMD_LOG_COLOR="0")
        return run_to_exit(["systemd-analyze", "verify", "--man=yes", os.path.join(directory, "prong.socket"),
                            os.path.join(directory, "prong.service")], cwd=directory, env=env, timeout=60)

    def test_units_pass_systemd_analyze_verify(self):
        work = scratch(self, "prong-units-")
        units, manpath = os.path.join(work, "units"), os.path.join(work, "man")
        os.makedirs(units)
        os.makedirs(os.path.join(manpath, "man8"))
        shutil.copy(MAN_PAGE, os.path.join(manpath, "man8", "prong.8"))
        shutil.copy(SOCKET_UNIT, os.path.join(units, "prong.socket"))
        service = open(SERVICE_UNIT).read()
        self.assertIn("ExecStart=/usr/local/sbin/prong ", service, "the unit must name the installed path")
        with open(os.path.join(units, "prong.service"), "w") as f:
            f.write(service.replace("/usr/local/sbin/prong", PRONG))
        result = self.verify(units, manpath)
        mentions = [line for line in (result.stdout + result.stderr).splitlines() if "prong" in line]
        self.assertEqual((result.returncode, mentions), (0, []), result.stdout + result.stderr)
        # Controls: the same check fails without the man page, and with a missing binary.
        empty = os.path.join(work, "no-man")
        os.makedirs(empty)
        result = self.verify(units, empty)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("man prong(8)", result.stdout + result.stderr)
        with open(os.path.join(units, "prong.service"), "w") as f:
            f.write(service.replace("/usr/local/sbin/prong", os.path.join(work, "missing", "prong")))
        result = self.verify(units, manpath)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("is not executable", result.stdout + result.stderr)

    def test_units_name_what_prong_needs(self):
        self.assertEqual(unit_setting("Type"), "notify")
        self.assertEqual(unit_setting("User"), SERVICE_USER)
        self.assertEqual(unit_setting("AmbientCapabilities"), "CAP_SYS_CHROOT CAP_SETUID CAP_SETGID")
        self.assertEqual(unit_setting("CapabilityBoundingSet"), "CAP_SYS_CHROOT CAP_SETUID CAP_SETGID")
        self.assertIn(f"--user {RUN_USER}", unit_setting("ExecStart"))
        self.assertEqual(unit_setting("NoNewPrivileges"), "yes")
        self.assertEqual(unit_setting("ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertNotIn("--listen", unit_setting("ExecStart"), "the service takes its sockets from prong.socket")
        self.assertIn("FileDescriptorName=", open(SOCKET_UNIT).read())


class ServiceSandboxTest(LiveTestCase):
    """prong run the way the unit runs it, inside what of the unit's sandbox can
    be rebuilt without systemd: the user and capabilities (setpriv), its
    ProtectProc= (a /proc mounted with that hidepid= in a private mount
    namespace), and its SystemCallFilter= (compared with an strace of the run)."""

    def setUp(self):
        super().setUp()
        ensure_service_user()

    def allowed_system_calls(self):
        listing = run_to_exit(["systemd-analyze", "syscall-filter", "--no-pager"]).stdout
        groups, current = {}, None
        for line in listing.splitlines():
            if line.startswith("@"):
                current = groups.setdefault(line.strip(), [])
            elif current is not None and line.strip() and not line.strip().startswith("#"):
                current.append(line.strip())

        def expand(item, seen=()):
            if not item.startswith("@"):
                return {item}
            if item not in groups or item in seen:
                raise AssertionError(f"systemd-analyze does not know the group {item}")
            result = set()
            for member in groups[item]:
                result |= expand(member, seen + (item,))
            return result

        allowed = expand("@default")  # systemd always allows these
        for item in unit_setting("SystemCallFilter").split():
            allowed |= expand(item)
        return allowed

    def test_service_sandbox_allows_every_call_prong_makes(self):
        hidepid = {"default": None, None: None, "invisible": "invisible", "noaccess": "noaccess",
                   "ptraceable": "ptraceable"}[unit_setting("ProtectProc")]
        work = scratch(self, "prong-service-")
        os.chmod(work, 0o755)
        trace = os.path.join(work, "trace")
        tcp = listening_socket()
        self.addCleanup(tcp.close)
        port = tcp.getsockname()[1]
        prefix, fds = passed_sockets([tcp], ["http"])
        mount = "mount -t proc" + (f" -o hidepid={hidepid}" if hidepid else "") + " proc /proc"
        # strace, then setpriv, then a shell that sets LISTEN_PID to its own pid and
        # execs prong: the traced process is prong from its first instruction.
        inner = (["strace", "-f", "-qq", "-o", trace] + SERVICE_USER_PREFIX +
                 ["sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', "sh",
                  PRONG, "--root", self.root, "--user", RUN_USER, "--access-log", "-"])
        argv = prefix + ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                         f"{mount} && exec " + " ".join(shlex.quote(a) for a in inner)]
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   pass_fds=fds, start_new_session=True, text=True)
        self.addCleanup(stop_process, process)
        tcp.close()
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("prong: listening on "):
                break
        self.assertIn(f"prong: listening on 127.0.0.1:{port}", lines,
                      f"prong did not start inside the unit's sandbox (ProtectProc={unit_setting('ProtectProc')}):\n"
                      + "\n".join(lines))
        status, _, body = http_request(port, path="/index.html")
        self.assertEqual(status, 200)
        monitor = supervisor_of(process.pid)  # strace's child is prong's monitor
        os.kill(monitor, signal.SIGHUP)
        time.sleep(0.3)
        os.kill(monitor, signal.SIGTERM)
        process.stdout.read()
        self.assertEqual(process.wait(30), 0)
        used, started, main = set(), False, None
        for line in open(trace):
            match = re.match(r"(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]", line)
            if not match:
                continue
            pid, name = match.groups()
            main = main or pid
            if pid == main and not started:  # setpriv and the shell, until prong's execve
                started = name == "execve" and PRONG in line and "= 0" in line
                continue
            used.add(name)
        self.assertTrue(started, "the trace does not show prong's execve")
        self.assertGreater(len(used), 30, sorted(used))
        missing = used - self.allowed_system_calls()
        self.assertEqual(missing, set(), "system calls prong makes that the unit's SystemCallFilter= kills")

    def test_exec_start_flags_of_the_unit(self):
        """The unit's ExecStart, with /srv/www and /var/log/prong moved to temporary
        directories (the log directory owned by prong, as LogsDirectory= makes it)."""
        work = scratch(self, "prong-execstart-")
        os.chmod(work, 0o755)
        logs = os.path.join(work, "log")
        os.makedirs(logs)
        service = pwd.getpwnam(SERVICE_USER)
        os.chown(logs, service.pw_uid, service.pw_gid)
        os.chmod(logs, 0o750)
        argv = shlex.split(unit_setting("ExecStart"))
        self.assertEqual(argv[0], "/usr/local/sbin/prong")
        flags = [a.replace("/srv/www", self.root).replace("/var/log/prong", logs) for a in argv[1:]]
        self.assertNotEqual(flags, argv[1:], "ExecStart no longer names /srv/www or /var/log/prong")
        tcp = listening_socket()
        self.addCleanup(tcp.close)
        prefix, fds = passed_sockets([tcp], ["http"])
        server = start(self, None, listen=(), listeners=1, prefix=prefix + SERVICE_USER_PREFIX, pass_fds=fds,
                       command=[PRONG] + flags)
        tcp.close()
        status, _, _ = http_request(server.port, path="/index.html", headers={"User-Agent": "execstart"})
        self.assertEqual(status, 200)
        deadline = time.monotonic() + 10
        access = os.path.join(logs, "access.log")
        while time.monotonic() < deadline and "execstart" not in (open(access).read() if os.path.exists(access)
                                                                  else ""):
            time.sleep(0.05)
        self.assertIn('"execstart"', open(access).read())
        self.assertEqual(os.stat(access).st_uid, service.pw_uid)
        self.assertEqual(server.stop(), 0)


class SocketActivationTest(LiveTestCase):
    def test_systemd_socket_activate_with_named_sockets(self):
        """systemd-socket-activate binds two sockets and execs prong on the first
        connection; `systemd:lb,proxy` picks the one named lb and expects a PROXY
        header there, `systemd:web` the other."""
        web, lb = free_ports(2)
        server = Deployed(self.root, listen=("systemd:lb,proxy", "systemd:web"), expect_start=False,
                          prefix=["systemd-socket-activate", "-l", f"127.0.0.1:{web}", "-l", f"127.0.0.1:{lb}",
                                  "--fdname=web:lb"])
        self.addCleanup(server.__exit__, None, None, None)
        server.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("Listening on" in l for l in server.log_lines()):
            time.sleep(0.02)
        # The first connection makes systemd-socket-activate exec prong; it is served.
        response, _ = exchange(web, get_request("/index.html", "activation-first"))
        self.assertEqual(status_of(response), 200, response)
        server.wait_listening()
        self.assertEqual(sorted(server.addresses), sorted([f"127.0.0.1:{web}", f"127.0.0.1:{lb}"]))
        # lb speaks PROXY: a bare request is dropped unanswered, a proxied one is served.
        response, closed = exchange(lb, get_request("/index.html", "bare-on-lb"))
        self.assertEqual((response, closed), (b"", True))
        response, _ = exchange(lb, proxy_v1("203.0.113.50", 40000) + get_request("/index.html", "via-lb"))
        self.assertEqual(status_of(response), 200, response)
        line = server.wait_for_log(r'"via-lb"')[0]
        self.assertTrue(line.startswith("203.0.113.50 "), line)
        self.assertEqual(server.stop(), 0)

    def test_every_passed_socket_is_used_without_listen(self):
        work = scratch(self, "prong-sockets-")
        os.chmod(work, 0o755)
        sockets = [listening_socket(), listening_socket("::1", socket.AF_INET6),
                   listening_socket(path=os.path.join(work, "http.sock"))]
        for s in sockets:
            self.addCleanup(s.close)
        prefix, fds = passed_sockets(sockets, ["http", "http", "local"])
        server = start(self, self.root, listen=(), listeners=3, prefix=prefix, pass_fds=fds)
        v4, v6 = sockets[0].getsockname()[1], sockets[1].getsockname()[1]
        for s in sockets:
            s.close()
        self.assertEqual(server.addresses, [f"127.0.0.1:{v4}", f"[::1]:{v6}", f"unix:{work}/http.sock"])
        self.assertEqual(http_request(v4, path="/index.html")[0], 200)
        response, _ = exchange(v6, get_request("/index.html"), host="::1")
        self.assertEqual(status_of(response), 200)
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(os.path.join(work, "http.sock"))
            client.sendall(get_request("/index.html", "over-unix"))
            data = b""
            while chunk := client.recv(65536):
                data += chunk
        self.assertEqual(status_of(data), 200)
        self.assertTrue(server.wait_for_log(r'"over-unix"')[0].startswith("local "))
        # The monitor holds none of them: its only sockets are the log channel's, unix ones.
        monitor_sockets = [target[len("socket:["):-1] for target in proc_fds(server.pid).values()
                           if target.startswith("socket:")]
        self.assertEqual(len(monitor_sockets), 2, "the monitor holds a socket besides the log channel")
        unix = harness.unix_socket_inodes()
        self.assertEqual([inode for inode in monitor_sockets if inode not in unix], [], "a network socket")

    def test_named_socket_picked_and_unasked_socket_closed(self):
        web, lb, extra = listening_socket(), listening_socket(), listening_socket()
        for s in (web, lb, extra):
            self.addCleanup(s.close)
        ports = {name: s.getsockname()[1] for name, s in (("web", web), ("lb", lb), ("extra", extra))}
        prefix, fds = passed_sockets([web, lb, extra], ["web", "lb", "extra"])
        server = start(self, self.root, listen=("systemd:lb,proxy",), prefix=prefix, pass_fds=fds)
        for s in (web, lb, extra):
            s.close()  # prong's copies are now the only ones
        self.assertEqual(server.addresses, [f"127.0.0.1:{ports['lb']}"])
        response, _ = exchange(ports["lb"], proxy_v1("198.51.100.77", 1234) + get_request("/", "named-lb"))
        self.assertEqual(status_of(response), 200)
        self.assertTrue(server.wait_for_log(r'"named-lb"')[0].startswith("198.51.100.77 "))
        # Sockets passed but not asked for were closed: nobody listens there any more.
        for name in ("web", "extra"):
            with self.assertRaises(ConnectionRefusedError, msg=name):
                socket.create_connection(("127.0.0.1", ports[name]), timeout=5).close()

    def test_unknown_socket_name_is_refused(self):
        web = listening_socket()
        self.addCleanup(web.close)
        prefix, fds = passed_sockets([web], ["web"])
        result = run_to_exit(prefix + [PRONG, "--root", self.root, "--listen", "systemd:nosuch"], pass_fds=fds)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("systemd:nosuch: systemd passed no unused socket of that name", result.stderr)
        # Meant for another process (LISTEN_PID differs): ignored, so the name is unknown too.
        env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1", LISTEN_FDNAMES="web")
        result = run_to_exit([PRONG, "--root", self.root, "--listen", "systemd:web"], env=env)
        self.assertEqual(result.returncode, 2, result.stderr)


class NotifyTest(LiveTestCase):
    def notify_server(self, notify, *flags, **options):
        env = dict(os.environ, NOTIFY_SOCKET=notify.address)
        return start(self, self.root, *flags, env=env, **options)

    def test_ready_status_reload_and_stop(self):
        notify = NotifySocket(scratch(self, "prong-notify-")).start_reading()
        self.addCleanup(notify.close)
        server = self.notify_server(notify, listen=("127.0.0.1:0", "127.0.0.1:0,proxy"))
        ready = notify.wait_for(lambda m: "READY=1" in m.splitlines(), what="READY=1")
        self.assertEqual(http_request(server.ports[0], path="/index.html")[0], 200, "not serving after READY=1")
        first = STATUS_LINE.search(notify.wait_for(STATUS_LINE.search, what="a STATUS= line"))
        served, refused = int(first.group(2)), int(first.group(3))
        for _ in range(3):
            self.assertEqual(http_request(server.ports[0], path="/index.html")[0], 200)
        exchange(server.ports[1], b"not a proxy header\r\n")  # refused without an answer
        notify.wait_for(lambda m: (s := STATUS_LINE.search(m)) and int(s.group(2)) >= served + 3
                        and int(s.group(3)) >= refused + 1, timeout=5, what="a STATUS= line counting them")
        server.process.send_signal(signal.SIGHUP)
        reloading = notify.wait_for(lambda m: m.startswith("RELOADING=1"), what="RELOADING=1")
        self.assertRegex(reloading, r"\nMONOTONIC_USEC=\d+$")
        notify.wait_for(lambda m: m == "READY=1" and notify.after(reloading, m), what="READY=1 after RELOADING=1")
        self.assertIn(ready, notify.all())
        self.assertEqual(server.stop(), 0)
        self.assertIn("STOPPING=1", notify.all())

    def test_abstract_notify_socket(self):
        notify = NotifySocket(None, abstract=True).start_reading()
        self.addCleanup(notify.close)
        server = self.notify_server(notify)
        notify.wait_for(lambda m: "READY=1" in m.splitlines(), what="READY=1 on an abstract socket")
        self.assertEqual(server.stop(), 0)
        notify.wait_for(lambda m: m == "STOPPING=1", what="STOPPING=1 on an abstract socket")

    def test_a_manager_that_does_not_read_never_stalls_prong(self):
        """The notification socket's queue is full (net.unix.max_dgram_qlen): the
        notifications are lost, the logs and the stop are not held up."""
        notify = NotifySocket(scratch(self, "prong-notify-"))  # never read
        self.addCleanup(notify.close)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as filler:
            filler.setblocking(False)
            for _ in range(100000):
                try:
                    filler.sendto(b"X", notify.address)
                except BlockingIOError:
                    break
            else:
                self.fail("the notification socket's queue never filled")
        server = self.notify_server(notify)
        for _ in range(2):
            status, _, _ = http_request(server.port, path="/index.html", headers={"User-Agent": "unread-notify"})
            self.assertEqual(status, 200)
        server.wait_for_log(r'"unread-notify"', timeout=5, count=2)
        server.process.send_signal(signal.SIGHUP)
        time.sleep(1.2)  # a reload and a STATUS= line, both lost
        status, _, _ = http_request(server.port, path="/index.html", headers={"User-Agent": "after-reload"})
        self.assertEqual(status, 200)
        server.wait_for_log(r'"after-reload"', timeout=5)
        started = time.monotonic()
        self.assertEqual(server.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 5)

    def test_bad_notify_socket_is_a_setup_error(self):
        env = dict(os.environ, NOTIFY_SOCKET="relative/path")
        result = run_to_exit([PRONG, "--root", self.root, "--listen", "127.0.0.1:0"], env=env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("NOTIFY_SOCKET=relative/path", result.stderr)


class ServiceUserModeTest(LiveTestCase):
    """Started as the unit starts it: user prong-log with only ambient
    CAP_SYS_CHROOT, CAP_SETUID and CAP_SETGID, no_new_privs, sockets passed in.
    The monitor keeps prong-log and drops every capability; the supervisor
    uses them to become prong and enter the root, then drops them."""

    def setUp(self):
        super().setUp()
        ensure_service_user()
        self.service = pwd.getpwnam(SERVICE_USER)
        self.run_user = pwd.getpwnam(RUN_USER)

    def passed(self):
        tcp = listening_socket()
        self.addCleanup(tcp.close)
        prefix, fds = passed_sockets([tcp], ["http"])
        return tcp, prefix + SERVICE_USER_PREFIX, fds

    def test_attest_as_the_service_user(self):
        tcp, prefix, fds = self.passed()
        result = run_to_exit(prefix + [PRONG, "--root", self.root, "--user", RUN_USER, "--listen", "systemd:http",
                                       "--attest"],
                             pass_fds=fds, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        roles = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([r["role"] for r in roles], ["monitor", "supervisor", "child"])
        for role in roles:
            self.assertTrue(role["ok"], role)
            user = self.service if role["role"] == "monitor" else self.run_user
            self.assertEqual(role["uid"], [user.pw_uid] * 4, role["role"])
            self.assertEqual(role["gid"], [user.pw_gid] * 4, role["role"])
            for capability_set in ("cap_inheritable", "cap_permitted", "cap_effective", "cap_ambient"):
                self.assertEqual(int(role[capability_set], 16), 0, (role["role"], capability_set))
            self.assertEqual(role["no_new_privs"], 1)
            self.assertEqual(role["seccomp"], 2)
        self.assertEqual(roles[0]["sockets"], 0, "the monitor holds a socket")

    def test_serves_and_every_escape_action_fails(self):
        tcp, prefix, fds = self.passed()
        server = start(self, self.root, "--crash-limit", "0", "--user", RUN_USER, binary=TEST_BINARY,
                       listen=("systemd:http",),
                       prefix=prefix, pass_fds=fds)
        tcp.close()
        status = [line for line in open(f"/proc/{server.pid}/status") if line.startswith(("Uid:", "CapEff:"))]
        self.assertIn(f"Uid:\t{self.service.pw_uid}", status[0])
        self.assertEqual(int(status[1].split()[1], 16), 0, "the monitor kept a capability")
        supervisor = server.supervisor_pid()
        self.assertEqual(os.readlink(f"/proc/{supervisor}/root"), os.path.realpath(self.root))
        run_escape_actions(self, server, outside_secret(self))
