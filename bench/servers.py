"""servers.py: the servers `make bench` measures, and how each is started, pinned and stopped.

The site: a temporary directory below /srv (root's, not world-writable, since
prong and mini_httpd refuse a document root an unprivileged user could
replace), holding www/ with small.txt (1 KiB) and big.bin (10 MiB of random
bytes), readable by nobody and writable by root only, and run/ for the peers'
configuration files and each start's log.

The peers, each as Debian ships it with only what a benchmark needs set:
serving as nobody (they start as root and drop to it; a server that refuses
to run as root is given its user flag), no access log, its connection limit
raised past the largest scenario's connection count, and its listen backlog
at prong's 4096 where it can be configured:
  nginx       1 worker, sendfile on, tcp_nopush, access_log off
  lighttpd    one process
  mini_httpd  a process per connection
  webfs       webfsd, one process
  althttpd    a process per connection, chrooted (not packaged: --althttpd PATH)
and the floors, built by `make bench` from bench/apps/:
  fork-floor      fork_floor.c, dynamic: one read, one fixed 1 KiB answer, close
  process-floor   process_floor.c, static PIE as prong is: keep-alive, fixed 1 KiB answer
A floor answers without reading the path, so it has no row for 10 MiB.

Contract: started(server, cpus, ...) runs one server under `taskset -c CPUS`
on 127.0.0.1, in its own session, standard output and error into its log
file; it yields once GET /small.txt has been answered with the 1 KiB body,
and on leaving stops the server by its pid (SIGTERM, then SIGKILL after
STOP_GRACE seconds) and kills and reaps every descendant it had, so nothing
outlives its row (bench.py makes the runner a child subreaper, so orphans are
reaped here, not by init). Every wait is bounded. Standard library only.
Must not: bind anything but loopback, write outside the site directory, or
leave a process behind.
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import client

SMALL_BYTES = 1024
BIG_BYTES = 10 << 20
START_TIMEOUT = 20  # seconds until a server must answer its first request
STOP_GRACE = 10  # seconds a server has to exit after SIGTERM
BACKLOG = 4096  # prong's listen backlog (src/process/listener.c), given to peers that take one
MAX_CONNECTIONS = 4096  # each peer's own connection limit, above every scenario's

NGINX_CONF = """# nginx for make bench: one worker, sendfile, no access log
worker_processes 1; daemon off; master_process on; user nobody nogroup;
pid {run}/nginx.pid; error_log {run}/nginx-error.log;
worker_rlimit_nofile {files};
events {{ worker_connections {connections}; }}
http {{
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types {{ text/plain txt; application/octet-stream bin; }}
  client_body_temp_path {run}/nginx-body; proxy_temp_path {run}/nginx-proxy;
  fastcgi_temp_path {run}/nginx-fastcgi; uwsgi_temp_path {run}/nginx-uwsgi; scgi_temp_path {run}/nginx-scgi;
  server {{ listen 127.0.0.1:{port} backlog={backlog}; root {root}; }}
}}
"""
LIGHTTPD_CONF = """# lighttpd for make bench: one process, no access log (none is loaded)
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.username = "nobody"
server.groupname = "nogroup"
server.max-keep-alive-requests = 1000000
server.max-connections = {connections}
server.max-fds = {files}
server.listen-backlog = {backlog}
mimetype.assign = (".txt" => "text/plain", ".bin" => "application/octet-stream")
"""


class Site:
    """The document root and the run directory of one `make bench` run."""

    def __init__(self, parent):
        self.parent = parent
        self.root = os.path.join(parent, "www")
        self.run = os.path.join(parent, "run")


@contextlib.contextmanager
def site():
    os.makedirs("/srv", mode=0o755, exist_ok=True)
    with tempfile.TemporaryDirectory(dir="/srv", prefix="prong-bench-") as parent:
        os.chmod(parent, 0o755)
        made = Site(parent)
        os.mkdir(made.root, 0o755)
        os.mkdir(made.run, 0o755)
        for name, data in (("small.txt", b"x" * SMALL_BYTES), ("big.bin", os.urandom(BIG_BYTES))):
            path = os.path.join(made.root, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o644)
        yield made


class Server:
    """One server under test: its short name (what --only takes), the label
    of its table rows, and either how to start it or why it cannot be."""

    def __init__(self, name, label, command=None, missing=None, fixed_answer=False):
        self.name = name
        self.label = label
        self.command = command  # command(port, extra_flags) -> argv
        self.missing = missing
        self.fixed_answer = fixed_answer  # answers 1 KiB whatever is asked: no 10 MiB row


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def nginx(made):
    if not shutil.which("nginx"):
        return Server("nginx", "nginx 1 worker", missing="not installed (Debian package nginx)")

    def command(port, _extra):
        conf = _write(os.path.join(made.run, f"nginx-{port}.conf"), NGINX_CONF.format(
            run=made.run, root=made.root, port=port, backlog=BACKLOG, connections=MAX_CONNECTIONS,
            files=2 * MAX_CONNECTIONS + 64))
        return ["nginx", "-c", conf, "-p", made.run, "-e", os.path.join(made.run, "nginx-error.log")]
    return Server("nginx", "nginx 1 worker", command)


def lighttpd(made):
    if not shutil.which("lighttpd"):
        return Server("lighttpd", "lighttpd", missing="not installed (Debian package lighttpd)")

    def command(port, _extra):
        conf = _write(os.path.join(made.run, f"lighttpd-{port}.conf"), LIGHTTPD_CONF.format(
            root=made.root, port=port, backlog=BACKLOG, connections=MAX_CONNECTIONS,
            files=2 * MAX_CONNECTIONS + 64))
        return ["lighttpd", "-D", "-f", conf]
    return Server("lighttpd", "lighttpd", command)


def mini_httpd(made):
    if not shutil.which("mini_httpd"):
        return Server("mini_httpd", "mini_httpd (fork per connection)",
                      missing="not installed (Debian package mini-httpd)")
    return Server("mini_httpd", "mini_httpd (fork per connection)", lambda port, _extra: [
        "mini_httpd", "-D", "-p", str(port), "-h", "127.0.0.1", "-d", made.root, "-u", "nobody", "-l", "/dev/null"])


def webfs(made):
    if not shutil.which("webfsd"):
        return Server("webfs", "webfs", missing="not installed (Debian package webfs)")
    return Server("webfs", "webfs", lambda port, _extra: [
        "webfsd", "-F", "-4", "-i", "127.0.0.1", "-p", str(port), "-r", made.root, "-u", "nobody", "-g", "nogroup",
        "-c", str(MAX_CONNECTIONS)])


def althttpd(made, binary):
    label = "althttpd (fork per connection)"
    if not binary:
        return Server("althttpd", label, missing="not packaged: build its one C file, pass --althttpd PATH")
    if not os.access(binary, os.X_OK):
        return Server("althttpd", label, missing=f"{binary} is not an executable")
    # althttpd chroots into --root and serves DIR/default.website: the files live inside.
    sites = os.path.join(made.parent, "althttpd")
    website = os.path.join(sites, "default.website")
    if not os.path.isdir(website):
        os.mkdir(sites, 0o755)
        shutil.copytree(made.root, website)
    return Server("althttpd", label, lambda port, _extra: [
        os.path.abspath(binary), "--root", sites, "--port", str(port), "--user", "nobody"])


def fork_floor(binary):
    label = "C fork floor (dynamic, no parsing, closes)"
    if not os.access(binary, os.X_OK):
        return Server("fork-floor", label, missing=f"{binary} is not built (make bench builds it)")
    return Server("fork-floor", label, lambda port, _extra: [binary, str(port)], fixed_answer=True)


def process_floor(binary):
    label = "process floor (static PIE, keep-alive, no parsing)"
    if not os.access(binary, os.X_OK):
        return Server("process-floor", label, missing=f"{binary} is not built (make bench builds it)")
    return Server("process-floor", label, lambda port, _extra: [binary, str(port)], fixed_answer=True)


def prong(made, binary, flags):
    """prong with every layer on; flags lift the per-client caps, and each
    start may add its own (extra_flags: --max-children for 1,000 connections)."""
    label = "prong (every layer on)"
    if not os.access(binary, os.X_OK):
        return Server("prong", label, missing=f"{binary} is not built (make)")
    return Server("prong", label, lambda port, extra: [
        binary, "--root", made.root, "--listen", f"127.0.0.1:{port}", *flags, *extra])


# ---------------------------------------------------------------- processes
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid):
    """pid's children, from /proc/PID/task/*/children; [] once it is gone."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return found


def descendants_of(pid):
    found, queue = [], [pid]
    while queue:
        for child in children_of(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def cpus_allowed(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    return line.split(":", 1)[1].strip()
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def reap_strays(keep=()):
    """Kill and reap the runner's children that are no server it still runs
    (orphans a stopped server left, given to the runner as subreaper)."""
    strays = [pid for pid in children_of(os.getpid()) if pid not in keep]
    for pid in strays:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in strays:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return strays


class Started:
    """A running server: .pid (the process started), .port, .log (its output)."""

    def __init__(self, server, cpus, run_dir, tag, extra_flags=()):
        self.server = server
        self.port = free_port()
        self.cpus = cpus
        self.argv = server.command(self.port, list(extra_flags))
        self.log = os.path.join(run_dir, f"{server.name}-{tag}-{self.port}.log")
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(["taskset", "-c", cpus, *self.argv], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.process.pid
        self.left_behind = []

    def wait_ready(self):
        """None once it answers small.txt whole, else why it is not usable."""
        deadline = time.monotonic() + START_TIMEOUT
        problem = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"exited with status {self.process.returncode}: {self.log_tail()}"
            problem = client.small_answer_problem(self.port, SMALL_BYTES)
            if problem is None:
                return None
            time.sleep(0.1)
        return f"did not answer GET /small.txt within {START_TIMEOUT} s ({problem}): {self.log_tail()}"

    def pinning_problem(self):
        """None when the server and every process it has run on self.cpus."""
        wrong = [(pid, cpus_allowed(pid)) for pid in [self.pid, *descendants_of(self.pid)]]
        wrong = [(pid, cpus) for pid, cpus in wrong if cpus is not None and cpus != self.cpus]
        return None if not wrong else f"not on CPUs {self.cpus}: " + ", ".join(f"{p} on {c}" for p, c in wrong)

    def log_tail(self, lines=5):
        with open(self.log, "rb") as f:
            text = f.read().decode("latin-1").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self):
        """SIGTERM by pid, SIGKILL after STOP_GRACE; then every descendant it
        had is killed and reaped. Sets .left_behind to any pid still alive."""
        family = descendants_of(self.pid)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.process.wait(STOP_GRACE)
        for pid in family + descendants_of(self.pid):
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and any(alive(pid) for pid in family):
            reap_strays(keep=RUNNING)
            time.sleep(0.05)
        reap_strays(keep=RUNNING)
        self.left_behind = [pid for pid in [self.pid, *family] if alive(pid)]


RUNNING = set()  # pids of the servers now running (reap_strays leaves them alone)
STOPPED = []  # every Started, once stopped: the run's account of what it ended


@contextlib.contextmanager
def started(server, cpus, run_dir, tag, extra_flags=()):
    """Yields (Started, None) once it answers, or (Started, problem) when it
    cannot be used; stops and reaps it on leaving, whatever happened."""
    running = Started(server, cpus, run_dir, tag, extra_flags)
    RUNNING.add(running.pid)
    try:
        problem = running.wait_ready()
        yield running, problem
    finally:
        RUNNING.discard(running.pid)
        running.stop()
        STOPPED.append(running)
