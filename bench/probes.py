"""probes.py: what `make bench` measures of prong beyond throughput, each read from /proc or strace.

- memory():   prong with N idle kept-alive connections (each answered once):
              PSS of every prong process (/proc/PID/smaps_rollup: shared pages
              divided among the processes mapping them, so the sum is what
              they hold together) plus their page tables (VmPTE of
              /proc/PID/status, kernel memory that PSS leaves out).
- cpu():      CPU per Connection: close connection of servers that fork one
              process per connection and reap it (prong's supervisor, the
              process floor): sequential connections in interleaved blocks,
              the forking process's own time from /proc/PID/schedstat (ns) and
              its reaped children's utime + stime and minor faults from
              /proc/PID/stat (cutime, cstime, cminflt: wait(2) adds a child's
              usage there when it reaps it, exit included). Each process's
              own time, so other work on the machine's CPUs is not counted.
- syscalls(): system calls per kept-alive request in the steady state:
              `strace -qq -o FILE -p PID` attached to one connection process
              after warm-up requests, N more requests, each call counted.
- attest():   `prong --attest` on the build measured.

Contract: each takes started servers or starts its own through
servers.started(), returns a dict of figures (for --json) and prints its
lines; nothing here judges a figure. Every wait is bounded, every process
started is stopped. Standard library only.
Must not: leave a socket, a tracer or a server behind.
"""
import contextlib
import os
import re
import resource
import signal
import subprocess
import time

import client
import servers

TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- /proc readers
def smaps_rollup(pid):
    """(RSS, PSS, USS) of pid in KiB; USS is what only it holds."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            match = re.match(r"(\w+):\s+(\d+) kB", line)
            if match:
                fields[match.group(1)] = int(match.group(2))
    return fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"]


def page_tables(pid):
    """VmPTE of pid in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmPTE:"):
                return int(line.split()[1])
    return 0


def run_ns(pid):
    """Nanoseconds pid has run (/proc/PID/schedstat, first field)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def reaped_children(pid):
    """(CPU ns, minor faults) of pid's children reaped so far (/proc/PID/stat
    cutime + cstime, in clock ticks, and cminflt)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3, state
    return (int(fields[13]) + int(fields[14])) * 1_000_000_000 // TICK, int(fields[8])


def used_kib():
    """MemTotal - MemAvailable: the machine's view, kernel included."""
    with open("/proc/meminfo") as f:
        fields = {line.split(":")[0]: int(line.split()[1]) for line in f}
    return fields["MemTotal"] - fields["MemAvailable"]


def raise_file_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout} s")
        time.sleep(0.02)


def supervisor_of(monitor):
    wait_for(lambda: servers.children_of(monitor), 10, "no supervisor process")
    return servers.children_of(monitor)[0]


# ---------------------------------------------------------------- memory
def memory(prong, cpus, run_dir, connections):
    """--idle-timeout 120 keeps the first connections open while the last are
    made (the default 5 s can pass on a slow machine); --max-children room for all."""
    raise_file_limit(connections + 256)
    extra = ["--max-children", str(max(2048, connections + 64)), "--idle-timeout", "120"]
    with servers.started(prong, cpus, run_dir, "memory", extra) as (running, problem):
        if problem:
            raise RuntimeError(f"prong did not start: {problem}")
        monitor, supervisor = running.pid, supervisor_of(running.pid)
        at_rest = {"monitor": smaps_rollup(monitor), "supervisor": smaps_rollup(supervisor)}
        with contextlib.ExitStack() as stack:
            one = client.kept_alive(running.port, 1)[0]
            stack.callback(one.close)
            wait_for(lambda: servers.children_of(supervisor), 10, "no connection process")
            time.sleep(0.3)
            child = servers.children_of(supervisor)[0]
            one_child = smaps_rollup(child) + (page_tables(child),)
        wait_for(lambda: not servers.children_of(supervisor), 10, "the connection process did not end")
        before = used_kib()
        socks = client.kept_alive(running.port, connections)
        try:
            wait_for(lambda: len(servers.children_of(supervisor)) >= connections, 30,
                     f"fewer than {connections} connection processes")
            time.sleep(1)
            grown = used_kib() - before
            kids = servers.children_of(supervisor)
            pss = ptes = uss = 0
            for pid in [monitor, supervisor, *kids]:
                _, proc_pss, proc_uss = smaps_rollup(pid)
                pss, ptes = pss + proc_pss, ptes + page_tables(pid)
                uss += proc_uss if pid in kids else 0
        finally:
            for sock in socks:
                sock.close()
    figures = {"connections": len(kids), "pss_kib": pss, "page_tables_kib": ptes, "children_uss_kib": uss,
               "machine_grew_kib": grown, "per_connection_kib": (pss + ptes) / max(1, len(kids)),
               "at_rest": {role: dict(zip(("rss", "pss", "uss"), values)) for role, values in at_rest.items()},
               "one_child": dict(zip(("rss", "pss", "uss", "page_tables"), one_child))}
    print_memory(figures)
    return figures


def print_memory(m):
    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    print("Memory (RSS counts shared pages whole, PSS shares them out, USS is what a process alone holds):")
    for role in ("monitor", "supervisor"):
        rest = m["at_rest"][role]
        print(f"  {role}, at rest: RSS {rest['rss']} KiB, PSS {rest['pss']} KiB, USS {rest['uss']} KiB")
    one = m["one_child"]
    print(f"  one connection process, idle after one request: RSS {one['rss']} KiB, PSS {one['pss']} KiB, "
          f"USS {one['uss']} KiB, page tables {one['page_tables']} KiB")
    count = m["connections"]
    print(f"  {count:,} idle kept-alive connections: every prong process together PSS {mib(m['pss_kib'])} "
          f"+ page tables (VmPTE) {mib(m['page_tables_kib'])} = {m['per_connection_kib']:.1f} KiB per connection "
          f"all-in; the connection processes' own (USS) {m['children_uss_kib'] / max(1, count):.0f} KiB each; "
          f"the machine's used memory (client sockets and kernel included) grew by {mib(m['machine_grew_kib'])}")


# ---------------------------------------------------------------- CPU per connection
class Forker:
    """A started server whose `parent` forks and reaps a process per connection."""

    def __init__(self, label, running, parent, others=()):
        self.label, self.running, self.parent, self.others = label, running, parent, list(others)
        self.parent_ns = self.other_ns = self.child_ns = self.child_faults = self.connections = 0

    def sample(self):
        child_ns, faults = reaped_children(self.parent)
        return run_ns(self.parent), sum(run_ns(pid) for pid in self.others), child_ns, faults

    def block(self, count, client_cpus):
        """count sequential Connection: close requests from client_cpus; adds their cost."""
        before = self.sample()
        with pinned(client_cpus):
            for _ in range(count):
                client.fetch_and_close(self.running.port)
        wait_for(lambda: not servers.children_of(self.parent), 10, f"{self.label}: children not reaped")
        after = self.sample()
        self.parent_ns += after[0] - before[0]
        self.other_ns += after[1] - before[1]
        self.child_ns += after[2] - before[2]
        self.child_faults += after[3] - before[3]
        self.connections += count

    def per_connection(self):
        n = max(1, self.connections)
        return {"connections": self.connections, "parent_us": self.parent_ns / n / 1000,
                "other_us": self.other_ns / n / 1000, "child_us": self.child_ns / n / 1000,
                "child_minor_faults": self.child_faults / n,
                "total_us": (self.parent_ns + self.other_ns + self.child_ns) / n / 1000}


@contextlib.contextmanager
def pinned(cpus):
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus))
    try:
        yield
    finally:
        os.sched_setaffinity(0, saved)


def forker(label, running, is_prong):
    """prong: the supervisor forks and reaps, the monitor is counted beside it;
    a floor: the process started does both."""
    if is_prong:
        return Forker(label, running, supervisor_of(running.pid), others=[running.pid])
    return Forker(label, running, running.pid)


def cpu(forkers, blocks, per_block, client_cpus):
    """Interleaved blocks: each forker in turn, blocks times; figures per connection."""
    for f in forkers:  # warm-up, not counted
        for _ in range(20):
            client.fetch_and_close(f.running.port)
    for _ in range(blocks):
        for f in forkers:
            f.block(per_block, client_cpus)
    return {f.label: f.per_connection() for f in forkers}


def print_cpu(figures, blocks, per_block, parent_names):
    print(f"CPU per connection ({blocks} blocks of {per_block} sequential Connection: close requests each, "
          "servers in turn; the forking process's time from /proc/PID/schedstat, its reaped children's "
          "utime+stime and minor faults from /proc/PID/stat):")
    for label, f in figures.items():
        parent = parent_names.get(label, "parent")
        other = f" + monitor {f['other_us']:.0f} us" if f["other_us"] >= 0.5 else ""
        print(f"  {label}: {parent} {f['parent_us']:.0f} us{other} + connection process {f['child_us']:.0f} us "
              f"({f['child_minor_faults']:.1f} minor faults) = {f['total_us']:.0f} us")


# ---------------------------------------------------------------- system calls per request
STRACE_LINE = re.compile(r"^(?:<\.\.\. (\w+) resumed>|(\w+)\()")


def count_calls(trace_text):
    """{name: completed calls} of one strace output (one process, -qq); a call
    split by strace into "<unfinished ...>" and "<... resumed>" counts once,
    and the wait still in progress at detach not at all."""
    counts = {}
    for line in trace_text.splitlines():
        match = STRACE_LINE.match(line)
        if not match or line.rstrip().endswith(("<unfinished ...>", "<detached ...>")) or "= ?" in line:
            continue
        name = match.group(1) or match.group(2)
        counts[name] = counts.get(name, 0) + 1
    return counts


def syscalls(prong, cpus, run_dir, requests, warm=20):
    trace = os.path.join(run_dir, "strace-connection.txt")
    with servers.started(prong, cpus, run_dir, "syscalls") as (running, problem):
        if problem:
            raise RuntimeError(f"prong did not start: {problem}")
        supervisor = supervisor_of(running.pid)
        with client.connect(running.port) as sock:
            client.keep_alive_requests(sock, warm)
            wait_for(lambda: len(servers.children_of(supervisor)) == 1, 10, "not one connection process")
            child = servers.children_of(supervisor)[0]
            tracer = subprocess.Popen(["strace", "-qq", "-o", trace, "-p", str(child)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            servers.RUNNING.add(tracer.pid)
            try:
                wait_for(lambda: traced_by(child) == tracer.pid or tracer.poll() is not None, 10,
                         "strace did not attach")
                if tracer.poll() is not None:
                    raise RuntimeError(f"strace ended: {tracer.stderr.read().decode(errors='replace')[:200]}")
                time.sleep(0.2)  # past the attach: its interrupted wait is resumed before the first request
                client.keep_alive_requests(sock, requests)
                time.sleep(0.2)
            finally:
                tracer.send_signal(signal.SIGINT)
                try:
                    tracer.wait(15)
                except subprocess.TimeoutExpired:
                    tracer.kill()
                    tracer.wait(5)
                servers.RUNNING.discard(tracer.pid)
    with open(trace, errors="replace") as f:
        counts = count_calls(f.read())
    per_request = {name: count / requests for name, count in sorted(counts.items(), key=lambda kv: -kv[1])}
    figures = {"requests": requests, "per_request": sum(counts.values()) / requests, "by_call": per_request}
    calls = ", ".join(f"{name} {count:.2f}" for name, count in per_request.items())
    print(f"System calls per kept-alive request (strace -p of one connection process after {warm} requests, "
          f"then {requests} more): {figures['per_request']:.2f} ({calls})")
    return figures


def traced_by(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- attest
def attest(prong_binary, root):
    """`prong --attest` on this build: every layer in place (exit 0)."""
    argv = [prong_binary, "--root", root, "--listen", "127.0.0.1:0", "--attest"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, start_new_session=True)
        passed, detail = done.returncode == 0, f"exit {done.returncode}"
        if not passed:
            detail += ": " + " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
    except subprocess.TimeoutExpired:
        passed, detail = False, "did not finish within 60 s"
    print(f"$ {' '.join(argv)}: {'passed' if passed else 'FAILED'} ({detail})")
    return {"passed": passed, "detail": detail}
