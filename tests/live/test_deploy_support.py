"""test_deploy_support.py: helpers shared by the deployment suites (tests/live/test_deploy_*.py).

Holds no test. It starts prong the ways administrators do and reads what it
reports, with a deadline on every wait and everything it starts reaped:
  - Deployed: harness.Server, plus an argv prefix (setpriv, systemd-socket-
    activate), descriptors to pass, another user, any number of listeners
    (TCP or unix: .addresses holds each "listening on" address as printed).
  - passed_sockets(): a launcher that puts given sockets on descriptors 3, 4, ...
    and sets LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES as systemd does, then execs.
  - SERVICE_USER_PREFIX: setpriv as the unit runs prong (user prong-log, only
    ambient CAP_SYS_CHROOT, CAP_SETUID and CAP_SETGID, no_new_privs, that
    bounding set; the unit's --user prong is the run user).
  - NotifySocket: a datagram socket standing in for systemd's NOTIFY_SOCKET.
  - temporary_user(): an ordinary user for the unprivileged mode, deleted after.
  - PROXY protocol headers (v1, v2, LOCAL) and small socket helpers.
  - run_escape_actions(): every action of tests/escape/actions.py against a
    started build/prong-test, with the outcomes the release jail must give.
Must not: leave a process, user, socket file or directory behind; bind
anything but loopback; change /tmp's permissions.
"""
import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import harness
from harness import REPO, Server, child_pids

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
from actions import ACTIONS, kernel_runs_i386_calls, run_action  # noqa: E402

TEST_BINARY = os.path.join(REPO, "build", "prong-test")
LISTENING_ANY = re.compile(r"^prong: listening on (\S+)$")
SERVICE_USER = "prong-log"  # the unit's User=: the monitor stays this user
RUN_USER = "prong"  # the unit's --user: the supervisor and connection processes become it
SERVICE_CAPABILITIES = "+sys_chroot,+setuid,+setgid"

# The unit's user, capabilities and flags (policy/prong.service), applied by setpriv.
SERVICE_USER_PREFIX = ["setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--clear-groups",
                       f"--inh-caps=-all,{SERVICE_CAPABILITIES}", f"--ambient-caps={SERVICE_CAPABILITIES}",
                       f"--bounding-set=-all,{SERVICE_CAPABILITIES}", "--no-new-privs"]

# Puts the descriptors named on its command line on 3, 4, ... and execs the rest,
# with the variables sd_listen_fds(3) reads (the pid stays the same across exec).
LAUNCHER = r"""
import fcntl, os, sys
count = int(sys.argv[1]); names = sys.argv[2]; fds = [int(f) for f in sys.argv[3:3 + count]]
argv = sys.argv[3 + count:]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]  # out of the way of 3, 4, ... first
for fd in fds:
    os.close(fd)
for index, fd in enumerate(high):
    os.dup2(fd, 3 + index, inheritable=True)
    os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(count), LISTEN_FDNAMES=names)
os.execvp(argv[0], argv)
"""


def ensure_service_user():
    """The unit's two users must exist (created by the package, or by the
    administrator: docs/deploy.md)."""
    for name in (SERVICE_USER, RUN_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                           check=True, timeout=30)


def passed_sockets(sockets, names):
    """(argv prefix, pass_fds) that hand `sockets` to the next program as systemd would."""
    fds = [s.fileno() for s in sockets]
    prefix = [sys.executable, "-c", LAUNCHER, str(len(fds)), ":".join(names)] + [str(fd) for fd in fds]
    return prefix, tuple(fds)


def listening_socket(address="127.0.0.1", family=socket.AF_INET, path=None):
    """A bound, listening socket as systemd's .socket unit would make it."""
    if path:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
    else:
        s = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((address, 0))
    s.listen(64)
    return s


def free_port(address="127.0.0.1"):
    return free_ports(1, address)[0]


def free_ports(count, address="127.0.0.1"):
    """`count` distinct ports free at this moment (held together while chosen)."""
    held = [socket.socket() for _ in range(count)]
    try:
        for s in held:
            s.bind((address, 0))
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


class Deployed(Server):
    """harness.Server started as an administrator would: through `prefix` (and
    with `pass_fds`), as `user`, with any listeners; `listen=()` gives no
    --listen at all, `command` a whole command line of its own. It is ready
    when `listeners` "listening on" lines came."""

    def __init__(self, root, *flags, listen=("127.0.0.1:0",), prefix=(), pass_fds=(), user=None, listeners=None,
                 binary=None, env=None, cwd=None, expect_start=True, command=None):
        super().__init__(root, *flags, listen=listen, binary=binary, env=env, expect_start=expect_start)
        self.command = list(command) if command else None  # a whole prong command line instead of root/flags
        self.prefix = list(prefix)
        self.pass_fds = tuple(pass_fds)
        self.user = user
        self.cwd = cwd
        self.expected_listeners = len(self.listen) if listeners is None else listeners

    def argv(self):
        return self.prefix + (self.command or super().argv())

    def start(self, timeout=15):
        options = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            options = dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True, env=self.env,
                                        pass_fds=self.pass_fds, cwd=self.cwd, **options)
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        if self.expect_start:
            self.wait_listening(timeout)
        return self

    def wait_listening(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m.group(1) for m in map(LISTENING_ANY.match, self.log_lines()) if m]
            if len(found) >= self.expected_listeners:
                self.addresses = found
                self.ports = [int(a.rsplit(":", 1)[1]) for a in found if not a.startswith("unix:")]
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        output = "\n".join(self.log_lines())
        self.kill()
        raise AssertionError(f"prong did not start (exit {self.process.returncode}):\n{output}")


def start(test, root, *flags, **options):
    """A started Deployed server, stopped and reaped at the test's cleanup."""
    server = Deployed(root, *flags, **options)
    test.addCleanup(server.__exit__, None, None, None)
    return server.start()


def run_to_exit(argv, timeout=30, **options):
    """Run a command that must end by itself; returns CompletedProcess (text)."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, **options)


def render_man(path):
    """`man -l PATH` as plain text (overstrike removed): (text, standard error, exit code)."""
    env = dict(os.environ, MANWIDTH="100", LC_ALL="C.UTF-8", MANPAGER="cat", PAGER="cat")
    result = run_to_exit(["man", "--warnings", "-l", path], env=env)
    return re.sub(r".\x08", "", result.stdout), result.stderr, result.returncode


# ---------------------------------------------------------------- systemd notifications
class NotifySocket:
    """A datagram socket standing in for systemd's: .path (or .abstract name) goes
    in NOTIFY_SOCKET; every datagram received is kept, in order."""

    def __init__(self, directory, abstract=False):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "prong-test-notify-" + secrets.token_hex(6)
            self.socket.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(directory, "notify")
            self.socket.bind(self.address)
        self.socket.settimeout(0.1)
        self.messages = []
        self._lock = threading.Lock()
        self._stop = False
        self._reader = None

    def start_reading(self):
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        while not self._stop:
            try:
                data = self.socket.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.messages.append(data.decode("utf-8", "replace"))

    def all(self):
        with self._lock:
            return list(self.messages)

    def wait_for(self, predicate, timeout=10, what="a notification"):
        """Wait until some received message satisfies predicate; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.all():
                if predicate(message):
                    return message
            time.sleep(0.02)
        raise AssertionError(f"no {what} within {timeout}s; received: {self.all()!r}")

    def after(self, first, second):
        """Whether message `second` was received after message `first`."""
        messages = self.all()
        return first in messages and second in messages[messages.index(first) + 1:]

    def close(self):
        self._stop = True
        if self._reader:
            self._reader.join(5)
        self.socket.close()


# ---------------------------------------------------------------- users
@contextlib.contextmanager
def temporary_user(prefix="prongt"):
    """An ordinary user (no capability, own group, home directory), deleted after."""
    name = prefix + secrets.token_hex(4)
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, timeout=30, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", "-r", "-f", name], timeout=30, capture_output=True)
        try:
            grp.getgrnam(name)
            subprocess.run(["groupdel", name], timeout=30, capture_output=True)
        except KeyError:
            pass


# ---------------------------------------------------------------- PROXY protocol
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v1(source, source_port, destination="127.0.0.1", destination_port=80):
    family = "TCP6" if ":" in source else "TCP4"
    return f"PROXY {family} {source} {destination} {source_port} {destination_port}\r\n".encode()


def proxy_v2(source, source_port, destination=None, destination_port=80, tlvs=b""):
    if ":" in source:
        destination = destination or "::1"
        block = (socket.inet_pton(socket.AF_INET6, source) + socket.inet_pton(socket.AF_INET6, destination) +
                 struct.pack("!HH", source_port, destination_port))
        family = 0x21
    else:
        destination = destination or "127.0.0.1"
        block = (socket.inet_pton(socket.AF_INET, source) + socket.inet_pton(socket.AF_INET, destination) +
                 struct.pack("!HH", source_port, destination_port))
        family = 0x11
    block += tlvs
    return V2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(block)) + block


def proxy_v2_local():
    return V2_SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])


def connect(port, host="127.0.0.1", source=None, timeout=10):
    """A TCP connection to prong, optionally from a given loopback address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


def read_until_closed(s, timeout=10):
    """Everything the server sends until it closes (or `timeout`); (bytes, closed)."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def exchange(port, payload, host="127.0.0.1", source=None, timeout=10):
    """Send payload on a new connection, read until the server closes: (bytes, closed)."""
    with connect(port, host, source, timeout) as s:
        s.sendall(payload)
        return read_until_closed(s, timeout)


def get_request(path="/", agent="deploy-test"):
    return f"GET {path} HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n".encode()


def status_of(response):
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    return int(match.group(1)) if match else None


def access_line_for(server, agent, timeout=10):
    """The access-log line of the request that carried User-Agent `agent`."""
    return server.wait_for_log(rf'" \d{{3}} \d+ "[^"]*" "{re.escape(agent)}" ', timeout=timeout)[0]


def client_of(line):
    return line.split(" ", 1)[0]


def forwarded_field(line):
    """The access log's last field (X-Forwarded-For / Forwarded from a trusted proxy)."""
    match = re.search(r' "([^"]*)"$', line)
    return match.group(1) if match else None


# ---------------------------------------------------------------- escape actions
def run_escape_actions(test, server, secret_path):
    """Every escape action against a started build/prong-test, each with the
    outcome the release jail gives as root (tests/live/test_escape.py)."""
    # The sibling must be this connection's process, not one of an earlier
    # request still exiting (CI once took such a process for the sibling).
    server.wait_for_no_children()
    sibling_socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    test.addCleanup(sibling_socket.close)
    sibling = server.wait_for_children(1)[0]
    targets = {"sibling": sibling, "supervisor": server.supervisor_pid(), "outside": secret_path,
               "inside": "index.html", "port": server.port}
    i386 = kernel_runs_i386_calls()
    outcomes = []
    for action, target, expected, layer in ACTIONS:
        if action == "int80" and not i386:
            expected, layer = ("signal", "SIGSEGV"), "the kernel: no IA-32 emulation"
        with test.subTest(action=action, target=target):
            outcome, pid, body = run_action(server, action, targets.get(target))
            outcomes.append((action, target, outcome))
            test.assertNotEqual(pid, sibling)
            test.assertEqual(outcome, expected, f"{action} against {target}: {body!r} (expected: {layer})")
            test.assertNotIn("outside the jail", body, "content from outside the root leaked")
    test.assertTrue(os.path.exists(f"/proc/{sibling}"), "an attack killed the sibling")
    status, _, body = harness.http_request(server.port, path="/index.html")
    test.assertEqual(status, 200, "the supervisor no longer serves after the attacks")
    return outcomes


def outside_secret(test):
    """A file outside any document root that the escape actions try to read."""
    outside = tempfile.mkdtemp(prefix="prong-outside-")
    os.chmod(outside, 0o755)
    secret = os.path.join(outside, "secret")
    with open(secret, "w") as f:
        f.write("outside the jail\n")
    os.chmod(secret, 0o644)
    test.addCleanup(shutil.rmtree, outside, True)
    return secret


def supervisor_of(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = child_pids(pid)
        if kids:
            return kids[0]
        time.sleep(0.02)
    raise AssertionError(f"process {pid} has no child")


def stop_process(process, sig=signal.SIGTERM, timeout=20):
    """Signal a Popen and reap it; SIGKILL (and its descendants) if it will not end."""
    if process.poll() is None:
        try:
            process.send_signal(sig)
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    for pid in [process.pid] + harness.descendants(process.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return process.wait(10)
