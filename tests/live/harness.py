"""harness.py: start, talk to, inspect and stop the real prong binary for live tests.

Every live test goes through this module, so each one runs the real ./prong as
root on loopback, with a deadline on every wait and every process it starts
reaped (also on failure). Standard library only.

Contract:
  - Server(root, *flags) starts prong on 127.0.0.1 port 0 and waits for the
    "prong: listening on ADDR:PORT" line; .port, .ports, .pid (the monitor),
    .supervisor_pid(), .children(); .stop() sends SIGTERM and reaps, returning
    the exit code; used as a context manager it always stops and reaps.
  - Its standard error is collected in the background: .log_lines(),
    .wait_for_log(pattern), .access_lines(), .child_end_lines().
  - .wait_for_children(n) / .wait_for_exactly(n) / .wait_for_no_children(); proc_status(pid),
    proc_fds(pid) and zombies_of(pid) read /proc (a process that vanishes
    mid-read is simply not counted).
  - make_root() builds a document root that the run user can read but not write.
  - raw_exchange() sends bytes and reads until close or silence; http() speaks
    one HTTP/1.1 request with http.client.
  - LiveTestCase gives each test a hard time limit (alarm) and a temporary root.
Must not: leave a process or a temporary directory behind, or wait without a limit.
"""
import ctypes
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import tracing

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRONG = os.environ.get("PRONG", os.path.join(REPO, "prong"))
LAB_BINARY = os.path.join(REPO, "build", "prong-lab")  # make lab (test-live builds it): never installed
TEST_TIME_LIMIT = int(os.environ.get("PRONG_TEST_TIME_LIMIT", "120"))  # seconds per test
LISTENING = re.compile(r"^prong: listening on (\S+):(\d+)$")


class Server:
    """The real binary, started as the test runner's user (root in CI)."""

    def __init__(self, root, *flags, listen=("127.0.0.1:0",), binary=None, env=None, expect_start=True):
        self.root = root
        self.flags = list(flags)
        self.listen = list(listen)
        self.binary = binary or PRONG
        self.env = env
        self.expect_start = expect_start
        self.process = None
        self.ports = []
        self.addresses = []
        self._lines = []
        self._lock = threading.Lock()
        self._reader = None
        self.exit_code = None
        self.tracer = None

    # ------------------------------------------------------------ lifecycle
    def argv(self):
        argv = [self.binary, "--root", self.root]
        for address in self.listen:
            argv += ["--listen", address]
        if weak_landlock_accepted_for_tests() and not any("landlock" in flag for flag in self.flags):
            argv.append("--allow-weak-landlock")
        return argv + self.flags

    def start(self, timeout=15):
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True, env=self.env)
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        if not self.expect_start:
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [LISTENING.match(line) for line in self._lines]
            found = [m for m in found if m]
            if len(found) >= len(self.listen):
                self.addresses = [(m.group(1), int(m.group(2))) for m in found]
                self.ports = [port for _, port in self.addresses]
                self.tracer = tracing.attach(self)
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        output = "\n".join(self.log_lines())
        self.kill()
        raise AssertionError(f"prong did not start (exit {self.process.returncode}):\n{output}")

    def _collect(self):
        for raw in self.process.stdout:
            line = raw.decode("latin-1").rstrip("\n")
            with self._lock:
                self._lines.append(line)

    @property
    def port(self):
        return self.ports[0]

    @property
    def pid(self):
        return self.process.pid

    def wait(self, timeout=15):
        """Wait for prong to exit by itself; returns its exit code."""
        try:
            self.exit_code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("prong did not exit in time")
        if self._reader:
            self._reader.join(5)
        return self.exit_code

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signal the monitor and reap everything; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.wait(timeout) if self.process else None
        self.process.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        """Last resort: SIGKILL the monitor's session (supervisor and children have
        their own process group, so they are found through /proc)."""
        if self.process is None:
            return
        victims = [self.process.pid] + descendants(self.process.pid)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass
        if self._reader:
            self._reader.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.process and self.process.poll() is None:
                self.stop()
        finally:
            self.kill()
            wait_until_gone(self.process.pid if self.process else None)
            tracing.detach(self.tracer)
        self.check_sanitizer_reports()

    def check_sanitizer_reports(self):
        """Under make test-asan (PRONG_SANITIZED), any sanitizer report fails the test:
        reports reach the log through descriptor 2 ("prong[ROLE PID]: stderr: ..."), and the
        sanitizers' exit codes (86, 87) show in the supervisor's child-end lines."""
        if not os.environ.get("PRONG_SANITIZED") or self.binary != PRONG:
            return  # only the sanitized build; the test build's deliberate crashes write there too
        reports = [line for line in self.log_lines()
                   if re.search(r"AddressSanitizer|runtime error:|\]: stderr: |exit=8[67]\b", line)]
        if reports:
            raise AssertionError("sanitizer report from prong:\n" + "\n".join(reports[:40]))

    # ------------------------------------------------------------ inspection
    def log_lines(self):
        with self._lock:
            return list(self._lines)

    def wait_for_log(self, pattern, timeout=10, count=1):
        """Wait until `count` collected lines match the regular expression."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matches = [line for line in self.log_lines() if regex.search(line)]
            if len(matches) >= count:
                return matches
            time.sleep(0.02)
        raise AssertionError(f"no log line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.log_lines()))

    def access_lines(self):
        return [line for line in self.log_lines() if re.match(r"^\S+ - - \[", line)]

    def supervisor_pid(self, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kids = child_pids(self.pid)
            if kids:
                return kids[0]
            time.sleep(0.02)
        raise AssertionError("no supervisor process")

    def children(self):
        """Connection processes: the supervisor's children."""
        return child_pids(self.supervisor_pid())

    def wait_for_no_children(self, timeout=10):
        """Wait until the supervisor has no connection process left (all reaped)."""
        self.wait_for_exactly(0, timeout)

    def wait_for_exactly(self, count, timeout=10):
        """Wait until exactly `count` connection processes exist (finished ones reaped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.children()) == count:
                return
            time.sleep(0.02)
        raise AssertionError(f"expected {count} connection processes, have {self.describe_children()}")

    def describe_children(self):
        """For a failure message: each connection process's pid, state, age and
        the client it serves (descriptor 3's TCP peer), so a count that is off
        says which connection the extra process belongs to."""
        peers = tcp_peers_by_inode()
        described = []
        for pid in self.children():
            try:
                status = proc_status(pid)
                with open(f"/proc/{pid}/stat") as f:
                    started_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
                with open("/proc/uptime") as f:
                    age = float(f.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
                link = os.readlink(f"/proc/{pid}/fd/3") if os.path.exists(f"/proc/{pid}/fd/3") else "-"
            except (FileNotFoundError, ProcessLookupError):
                continue  # gone while we looked
            inode = link[len("socket:["):-1] if link.startswith("socket:[") else None
            described.append(f"{pid} {status.get('State', '?')} age {age:.1f} s client {peers.get(inode, link)}")
        return described

    def child_end_lines(self):
        """The supervisor's "child pid=..." lines (every end with --log-children)."""
        return [line for line in self.log_lines() if re.search(r"prong\[supervisor \d+\]: child pid=\d+ ", line)]

    def wait_for_children(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kids = self.children()
            if len(kids) >= count:
                return kids
            time.sleep(0.02)
        raise AssertionError(f"expected {count} connection processes, have {self.children()}")


# ---------------------------------------------------------------- /proc
def child_pids(pid):
    pids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return pids


def descendants(pid):
    found, queue = [], [pid]
    while queue:
        for kid in child_pids(queue.pop()):
            found.append(kid)
            queue.append(kid)
    return found


def wait_until_gone(pid, timeout=10):
    if pid is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.02)


def tcp_peers_by_inode():
    """Socket inode -> "address:port" of the remote end, from /proc/net/tcp (IPv4)."""
    peers = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            address, port = fields[2].split(":")
            dotted = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))  # little-endian hex
            peers[fields[9]] = f"{dotted}:{int(port, 16)}"
    return peers


LANDLOCK_CREATE_RULESET_VERSION = 1  # <linux/landlock.h>
SYS_LANDLOCK_CREATE_RULESET = 444  # x86_64


def landlock_abi():
    """The kernel's Landlock ABI version (0 when Landlock is off or missing),
    probed as landlock_create_ruleset(2) describes."""
    syscall = ctypes.CDLL(None, use_errno=True).syscall
    syscall.restype = ctypes.c_long
    abi = syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                  ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


_weak_landlock_note = []


def weak_landlock_accepted_for_tests():
    """prong refuses to start below Landlock ABI 3 unless told to accept it; on
    such a kernel the tests say so once and start every server with
    --allow-weak-landlock (tests of the refusal itself pass their own flags)."""
    if landlock_abi() >= 3:
        return False
    if not _weak_landlock_note:
        _weak_landlock_note.append(True)
        print(f"harness: this kernel's Landlock ABI is {landlock_abi()} (< 3): servers start with "
              "--allow-weak-landlock", file=sys.stderr)
    return True


def proc_status(pid):
    """/proc/<pid>/status as a dict of name -> value (stripped)."""
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            status[name] = value.strip()
    return status


def proc_fds(pid):
    """/proc/<pid>/fd as a dict of descriptor number -> link target."""
    fds = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except FileNotFoundError:
            pass  # closed while we listed
    return fds


def running(pid):
    """Whether pid exists and is not a zombie (killed but not yet reaped, its
    /proc entry still there)."""
    try:
        return not proc_status(pid).get("State", "").startswith("Z")
    except (FileNotFoundError, ProcessLookupError):
        return False


def zombies_of(pid):
    zombies = []
    for kid in child_pids(pid):
        try:
            if proc_status(kid).get("State", "").startswith("Z"):
                zombies.append(kid)
        except (FileNotFoundError, ProcessLookupError):
            pass  # reaped while we looked: not a zombie
    return zombies


# ---------------------------------------------------------------- document roots
def log_user_ids(root):
    """(uid, gid) of the user the monitor becomes, as `prong --check` reports it
    ("log user: NAME (uid N, gid M)"): --log-user's default depends on whether
    this machine has a user prong-log."""
    done = subprocess.run([PRONG, "--root", root, "--listen", "127.0.0.1:0", "--check"],
                          capture_output=True, text=True, timeout=30)
    match = re.search(r"^log user: .*\(uid (\d+), gid (\d+)\)", done.stdout, re.M)
    if not match:
        raise AssertionError(f"prong --check names no log user: {done.stdout!r} {done.stderr!r}")
    return int(match.group(1)), int(match.group(2))


def make_log_directory(root):
    """A fresh directory for log files, owned by the user the monitor becomes
    (docs/deploy.md: the log directory belongs to the log user, mode 0750), so
    the monitor can create a log anew after rotation. The caller removes it."""
    uid, gid = log_user_ids(root)
    path = tempfile.mkdtemp(prefix="prong-logs-")
    os.chown(path, uid, gid)
    os.chmod(path, 0o750)
    return path


def unix_socket_inodes():
    """Inodes of every unix socket of this network namespace (/proc/net/unix)."""
    with open("/proc/net/unix") as f:
        next(f)
        return {line.split()[6] for line in f if len(line.split()) > 6}


def make_root(files=None, base=None):
    """A root the run user (nobody) can read but not write: directories 0755,
    files 0644, everything owned by the runner (root in CI). files maps a
    relative path to bytes. Returns the path; remove it with shutil.rmtree."""
    top = tempfile.mkdtemp(prefix="prong-root-", dir=base)
    os.chmod(top, 0o755)
    for relative, content in (files or {}).items():
        path = os.path.join(top, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
    for directory, dirs, names in os.walk(top):
        for d in dirs:
            os.chmod(os.path.join(directory, d), 0o755)
        for n in names:
            os.chmod(os.path.join(directory, n), 0o644)
    return top


# ---------------------------------------------------------------- talking
def raw_exchange(port, data, *, idle=0.5, total=10.0, half_close=False, host="127.0.0.1", family=socket.AF_INET):
    """Send raw bytes on a fresh connection; read until the server closes or stays
    silent for `idle` seconds. Returns (bytes received, closed_by_server)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(total)
        s.connect((host, port))
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received, closed = bytearray(), False
        deadline = time.monotonic() + total
        s.settimeout(idle)
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
        return bytes(received), closed


def parse_responses(data, head_requests=0):
    """Split a byte stream of HTTP/1.1 responses (Content-Length framed) into
    (status, headers dict with lower-case names, body) tuples."""
    responses, position = [], 0
    while position < len(data):
        end = data.find(b"\r\n\r\n", position)
        if end < 0:
            raise AssertionError(f"truncated response head: {data[position:position + 200]!r}")
        lines = data[position:end].split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
        position = end + 4
        length = 0 if (len(responses) < head_requests or status in (204, 304)) else int(headers.get("content-length", 0))
        responses.append((status, headers, data[position:position + length]))
        position += length
    return responses


def http_request(port, method="GET", path="/", headers=None, host="127.0.0.1", timeout=10):
    """One request on a new connection: (status, headers dict lower-case, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


# ---------------------------------------------------------------- test case base
class TestTimeout(Exception):
    pass


class LiveTestCase(unittest.TestCase):
    """A hard time limit per test (SIGALRM) and a fresh document root."""

    files = {"index.html": b"<!doctype html><title>t</title><p>index\n"}

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("live tests run the real binary as root (CI runs them as root)")
        if not os.path.exists(PRONG):
            self.fail(f"{PRONG} is missing: run make first")

        def expire(signum, frame):
            raise TestTimeout(f"test exceeded {TEST_TIME_LIMIT}s")

        self._previous_alarm = signal.signal(signal.SIGALRM, expire)
        signal.alarm(TEST_TIME_LIMIT)
        self.root = make_root(self.files)
        self.addCleanup(shutil.rmtree, self.root, True)

    def tearDown(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._previous_alarm)

    def server(self, *flags, **options):
        """A started server for this test, stopped and reaped at cleanup."""
        server = Server(options.pop("root", self.root), *flags, **options)
        server.start()
        self.addCleanup(server.__exit__, None, None, None)
        return server
