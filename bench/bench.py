"""bench.py: `make bench`: prong against its peers in one run, then the ratios and prong's memory.

Runs ../shared/bench/peers.py (or --peers PATH) twice, for the 1 KiB file and
the 10 MiB file, with prong added as a --server, every layer on and only the
per-client caps lifted (wrk's 50 connections all come from one address, which
the defaults would cap at 64 and at 200 new connections a second). The 1 KiB
run also has the process floor (bench/apps/process_floor.c: a process per
connection, linked as prong is, with nothing else), so each run shows what the
process model alone costs here. Then it prints each goal of the speed issue as
a ratio measured in this run, prong against the process floor, and
measures prong's memory: monitor, supervisor and one connection process, and
everything together while 1,000 kept-alive connections sit idle.

`bench.py --prong A --compare B` does only an A/B of two builds instead: CPU
per Connection: close request in interleaved blocks (docs/architecture.md,
"Per-connection cost", reports its figures).

Needs root (prong chroots and drops to nobody), wrk, taskset and the peers.
Prints figures only; nothing here asserts a time. Standard library only (and the
live tests' harness, tests/live/harness.py, to start, inspect and reap prong).
Must not: run as part of `make test` (tests/live/test_bench_script.py runs it
briefly, asserting no figure), leave a server or a socket behind, or
write outside --out and a temporary root under /srv.
"""
import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from statistics import median_high  # the upper median: sorted(values)[len(values) // 2]

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "live"))
from harness import Server  # noqa: E402  (starts, inspects and reaps the real binary)

PRONG_FLAGS = ("--access-log off --max-per-ip 0 --max-connection-rate 0 --max-requests 1000000")
PEER_NAMES = {  # short name -> the start of peers.py's row name
    "nginx": "nginx",
    "lighttpd": "lighttpd",
    "webfs": "webfs",
    "mini_httpd": "mini_httpd",
    "althttpd": "althttpd",
    "floor": "floor",
}
# No "prong" in the name: peers.py's --only matches substrings, and --only prong must not pick this row.
PROCESS_FLOOR = "process floor (static PIE, fork per connection, keep-alive, no parsing or sandbox)"


# ---------------------------------------------------------------- peers.py
def build_process_floor(out):
    """bench/apps/process_floor.c as a static PIE, as prong is linked; None
    (and a note) when there is no compiler or it fails."""
    binary = os.path.join(out, "process_floor")
    source = os.path.join(HERE, "apps", "process_floor.c")
    if not shutil.which("cc") or subprocess.run(["cc", "-O2", "-fPIE", "-static-pie", "-o", binary, source]).returncode:
        print("make bench: process_floor.c did not build; its row is left out", flush=True)
        return None
    return binary


def run_peers(args, scenario, prong, process_floor=None):
    out = os.path.join(args.out, f"{scenario}.json")
    server = f"prong={prong} --root {{root}} --listen 127.0.0.1:{{port}} {PRONG_FLAGS}"
    command = [sys.executable, args.peers, "--scenario", scenario]
    if process_floor:  # before prong, which stays last; its fixed 1 KiB answer means nothing for 10 MiB
        command += ["--server", f"{PROCESS_FLOOR}={process_floor} {{port}}"]
    command += ["--server", server, "--json", out, "--secs", str(args.secs), "--conns", str(args.conns)]
    if args.althttpd:
        command += ["--althttpd", args.althttpd]
    if args.only:
        command += ["--only", args.only]
    print("$ " + " ".join(f"'{c}'" if " " in c else c for c in command), flush=True)
    table = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    print(table, flush=True)
    with open(out) as f:
        return {row["server"]: row for row in json.load(f)}


def find(rows, short):
    for name, row in rows.items():
        if name.startswith(PEER_NAMES.get(short, short)) and "keepalive" in row:
            return row
    return None


def ratio(ours, theirs):
    return None if not ours or not theirs else ours / theirs


def goal_line(label, value, goal, higher_is_better=True):
    if value is None:
        return f"  {label}: not measured (peer missing or failed)"
    met = value >= goal if higher_is_better else value <= goal
    sign = ">=" if higher_is_better else "<="
    return f"  {label}: {value:.2f}x (goal {sign} {goal}x: {'met' if met else 'MISSED'})"


def print_ratios(small, big):
    prong = find(small, "prong")
    if not prong:
        print("prong did not run in the small scenario: no ratios")
        return
    keep, close = prong["keepalive"]["rps"], prong["close"]["rps"]
    print("Ratios, this run (prong / peer; server on one core, wrk on the other):")
    nginx = find(small, "nginx")
    print(goal_line("1 KiB keep-alive vs nginx", ratio(keep, nginx and nginx["keepalive"]["rps"]), 0.6))
    floor = find(small, "floor")
    print(goal_line("1 KiB Connection: close vs the unsandboxed fork floor",
                    ratio(close, floor and floor["close"]["rps"]), 1.0))
    for peer in ("mini_httpd", "althttpd"):
        row = find(small, peer)
        print(goal_line(f"1 KiB keep-alive vs {peer}", ratio(keep, row and row["keepalive"]["rps"]), 5))
        print(goal_line(f"1 KiB Connection: close vs {peer}", ratio(close, row and row["close"]["rps"]), 2))
    for peer in ("lighttpd", "webfs"):
        row = find(small, peer)
        if row:
            print(f"  1 KiB vs {peer}: keep-alive {keep / row['keepalive']['rps']:.2f}x, "
                  f"close {close / row['close']['rps']:.2f}x" if row["keepalive"]["rps"] and row["close"]["rps"]
                  else f"  1 KiB vs {peer}: peer answered nothing")
    if nginx and prong["keepalive"]["p99_ms"] and nginx["keepalive"]["p99_ms"]:
        print(goal_line("1 KiB keep-alive p99 vs nginx's (lower is better)",
                        prong["keepalive"]["p99_ms"] / nginx["keepalive"]["p99_ms"], 2, higher_is_better=False))
        if prong["close"]["p99_ms"] and nginx["close"]["p99_ms"]:
            print(f"  1 KiB Connection: close p99 vs nginx's: "
                  f"{prong['close']['p99_ms'] / nginx['close']['p99_ms']:.2f}x (for information)")
    prong_big, nginx_big = find(big, "prong"), find(big, "nginx")
    if prong_big and nginx_big:
        print(goal_line("10 MiB keep-alive MB/s vs nginx", ratio(prong_big["keepalive"]["mb_s"],
                                                                 nginx_big["keepalive"]["mb_s"]), 0.95))
        print(goal_line("10 MiB Connection: close MB/s vs nginx", ratio(prong_big["close"]["mb_s"],
                                                                       nginx_big["close"]["mb_s"]), 0.95))
    else:
        print("  10 MiB vs nginx: not measured")
    print_process_floor(prong, find(small, "process floor"))


def print_process_floor(prong, floor):
    """Not goals: prong against the bare process model, to tell what the model
    costs on this machine from what prong's own work adds."""
    if not floor or not floor["keepalive"]["rps"] or not floor["close"]["rps"]:
        print("  process floor: not measured")
        return
    print("For context, not goals: prong / the process floor (the same process model with nothing else):")
    print(f"  1 KiB keep-alive {prong['keepalive']['rps'] / floor['keepalive']['rps']:.2f}x, "
          f"Connection: close {prong['close']['rps'] / floor['close']['rps']:.2f}x")
    if prong["keepalive"]["p99_ms"] and floor["keepalive"]["p99_ms"]:
        print(f"  1 KiB keep-alive p99: prong {prong['keepalive']['p99_ms']:.1f} ms, "
              f"the process floor {floor['keepalive']['p99_ms']:.1f} ms "
              f"({prong['keepalive']['p99_ms'] / floor['keepalive']['p99_ms']:.2f}x)")


# ---------------------------------------------------------------- memory
def memory_of(pid):
    """(RSS, PSS, USS) in KiB from /proc/PID/smaps_rollup: PSS shares each page
    among the processes mapping it, so it can be summed; USS is what only this
    process holds (what ending it would free)."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            match = re.match(r"(\w+):\s+(\d+) kB", line)
            if match:
                fields[match.group(1)] = int(match.group(2))
    return fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"]


def page_tables_of(pid):
    """VmPTE in KiB: the page tables, kernel memory that smaps does not count."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmPTE:"):
                return int(line.split()[1])
    return 0


def used_kib():
    """MemTotal - MemAvailable: the whole machine's view, kernel included."""
    with open("/proc/meminfo") as f:
        fields = {line.split(":")[0]: int(line.split()[1]) for line in f}
    return fields["MemTotal"] - fields["MemAvailable"]


def read_small_answer(sock):
    """(head, body) of one answer carrying small.txt's 1 KiB body; RuntimeError
    when the connection closes before it is whole."""
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + 1024:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"the server closed a kept-alive connection mid-answer: {answer[:80]!r}")
        answer += chunk
    end = answer.index(b"\r\n\r\n") + 4
    return answer[:end], answer[end:]


def kept_alive(port, count):
    """count connections, each having had one answered keep-alive request."""
    request = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\n\r\n"
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        socks.append(sock)
        sock.sendall(request)
        head, _ = read_small_answer(sock)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {head[:40]!r}")
    return socks


def started(prong, root, *extra):
    """prong on 127.0.0.1:0 through the live tests' harness (which drains its
    standard error and reaps every process it started); printed as run."""
    server = Server(root, *PRONG_FLAGS.split(), *extra, binary=prong)
    print("$ " + " ".join(server.argv()), flush=True)
    return server


@contextlib.contextmanager
def bench_root():
    """A document root holding small.txt, below a directory only root can write
    (prong refuses a root its run user could write, and /tmp is world-writable)."""
    os.makedirs("/srv", exist_ok=True)
    with tempfile.TemporaryDirectory(dir="/srv", prefix="prong-bench-") as parent:
        os.chmod(parent, 0o755)
        root = os.path.join(parent, "www")
        os.mkdir(root, 0o755)
        with open(os.path.join(root, "small.txt"), "wb") as f:
            f.write(b"x" * 1024)
        os.chmod(os.path.join(root, "small.txt"), 0o644)
        yield root


def measure_memory(prong, root, connections):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, connections + 256)), hard))
    socks = []
    with started(prong, root, "--max-children", str(connections + 64), "--idle-timeout", "120") as server:
        try:
            supervisor = server.supervisor_pid()
            at_rest = {"monitor": memory_of(server.pid), "supervisor": memory_of(supervisor)}
            socks = kept_alive(server.port, 1)
            time.sleep(0.3)
            one_child = memory_of(server.children()[0])
            socks.pop().close()
            time.sleep(0.5)
            before = used_kib()
            socks = kept_alive(server.port, connections)
            time.sleep(1)
            grown = used_kib() - before
            kids = server.children()
            per_child = [memory_of(pid) for pid in kids]
            page_tables = sum(page_tables_of(pid) for pid in kids)
            loaded = {"monitor": memory_of(server.pid), "supervisor": memory_of(supervisor)}
        finally:
            for sock in socks:
                sock.close()
    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    print("Memory (from /proc/PID/smaps_rollup; RSS counts shared pages in full, PSS shares them out, "
          "USS is what the process alone holds):")
    for role in ("monitor", "supervisor"):
        rss, pss, uss = at_rest[role]
        print(f"  {role}, at rest: RSS {rss} KiB, PSS {pss} KiB, USS {uss} KiB")
    rss, pss, uss = one_child
    print(f"  one connection process, idle after one request: RSS {rss} KiB, PSS {pss} KiB, USS {uss} KiB")
    total_pss = sum(p for _, p, _ in per_child) + loaded["monitor"][1] + loaded["supervisor"][1]
    total_uss = sum(u for _, _, u in per_child)
    print(f"  {len(kids)} idle kept-alive connections: every prong process together PSS {mib(total_pss)}; "
          f"the connection processes' own memory (USS) {mib(total_uss)}, "
          f"{total_uss / max(1, len(kids)):.0f} KiB each; supervisor RSS with them {loaded['supervisor'][0]} KiB")
    print(f"  their page tables (VmPTE, kernel memory not in PSS) {mib(page_tables)}; the machine's used memory "
          f"(MemTotal - MemAvailable, kernel and client sockets included) grew by {mib(grown)} while they opened")
    if len(kids) != connections:
        print(f"  note: {connections} connections opened but {len(kids)} connection processes found")


# ---------------------------------------------------------------- per connection
def on_cpu_ns(pid):
    """Nanoseconds pid has run so far (/proc/PID/schedstat, first field)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def fetch_and_close(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        while sock.recv(65536):
            pass


def measure_per_connection(prong, root, count):
    """count sequential Connection: close requests; the supervisor's CPU per
    connection (accept, fork's parent side, reap) from schedstat, and each
    connection process's CPU, maximum RSS and minor faults from its end line."""
    request = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    with started(prong, root, "--log-children") as server:
        supervisor = server.supervisor_pid()
        for _ in range(50):  # warm-up, not counted
            fetch_and_close(server.port, request)
        time.sleep(0.5)
        start = on_cpu_ns(supervisor)
        for _ in range(count):
            fetch_and_close(server.port, request)
        time.sleep(0.5)
        supervisor_us = (on_cpu_ns(supervisor) - start) / 1000 / count
    # minflt= is absent from the lines of builds before it was added: compare those too.
    ends = re.findall(r"child pid=\d+ \S+ exit=0 cpu_us=(\d+) maxrss_kb=(\d+)(?: minflt=(\d+))?", "\n".join(server.log_lines()))
    ends = ends[-count:]
    if not ends:
        print("  per connection: no connection process end was logged")
        return
    child_us = median_high([int(e[0]) for e in ends])
    print(f"Per connection ({count} sequential Connection: close requests): supervisor {supervisor_us:.0f} us of CPU "
          f"(accept, fork, reap); connection process median {child_us} us of CPU, maxrss "
          f"{median_high([int(e[1]) for e in ends])} KiB, "
          f"{median_high([int(e[2] or -1) for e in ends])} minor faults (-1: not logged); "
          f"together {supervisor_us + child_us:.0f} us")


def cpu_busy_ns(cpu):
    """Nanoseconds CPU cpu has spent on anything but idle and iowait (/proc/stat)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                ticks = [int(value) for value in line.split()[1:]]
                return (sum(ticks) - ticks[3] - ticks[4]) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    raise RuntimeError(f"no cpu{cpu} line in /proc/stat")


def measure_compare(binaries, root, blocks, per_block, server_cpu=1, client_cpu=0):
    """An A/B of prong builds on this noisy machine: blocks of per_block
    sequential Connection: close requests, taking turns between the builds, so
    a drift of the machine hits them alike. Each block's cost is the server
    CPU's busy time per connection: supervisor, connection process, exit and
    the kernel's network work together, all of which a build can change."""
    request = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    os.sched_setaffinity(0, {client_cpu})
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(started(binary, root)) for binary in binaries]
        for server in servers:  # children inherit the supervisor's CPU
            for pid in (server.pid, server.supervisor_pid()):
                os.sched_setaffinity(pid, {server_cpu})
            for _ in range(50):  # warm-up, not counted
                fetch_and_close(server.port, request)
        costs = [[] for _ in servers]
        for _ in range(blocks):
            for server, cost in zip(servers, costs):
                start = cpu_busy_ns(server_cpu)
                for _ in range(per_block):
                    fetch_and_close(server.port, request)
                time.sleep(0.05)  # the last exits and reaps
                cost.append((cpu_busy_ns(server_cpu) - start) / 1000 / per_block)
    print(f"CPU {server_cpu} busy time per Connection: close request, {blocks} blocks of {per_block}, builds in turn:")
    for binary, cost in zip(binaries, costs):
        print(f"  {binary}: median {median_high(cost):.0f} us  (blocks: {' '.join(f'{c:.0f}' for c in cost)})")
    if len(binaries) == 2:
        print(f"  {binaries[0]} / {binaries[1]}: {median_high(costs[0]) / median_high(costs[1]):.2f}x the CPU per connection")


def main():
    parser = argparse.ArgumentParser(description="prong against its peers, ratios and memory (make bench)")
    parser.add_argument("--peers", default=os.path.join(HERE, "..", "..", "shared", "bench", "peers.py"))
    parser.add_argument("--prong", default=os.path.join(HERE, "..", "prong"))
    parser.add_argument("--out", default=os.path.join(HERE, "..", "build", "bench"))
    parser.add_argument("--secs", type=int, default=8)
    parser.add_argument("--conns", type=int, default=50)
    parser.add_argument("--althttpd", help="a built althttpd binary, passed on to peers.py")
    parser.add_argument("--idle-connections", type=int, default=1000)
    parser.add_argument("--per-connection", type=int, default=2000, help="sequential connections for the CPU breakdown")
    parser.add_argument("--only-memory", action="store_true", help="skip peers.py")
    parser.add_argument("--only", help="peers.py's --only: comma-separated parts of the server names to run (prong too)")
    parser.add_argument("--compare", metavar="OTHER_PRONG",
                        help="instead of the rest: CPU per Connection: close request of --prong and this other build, "
                             "in interleaved blocks (an A/B for a change)")
    parser.add_argument("--blocks", type=int, default=8, help="--compare: blocks per build")
    parser.add_argument("--block-requests", type=int, default=400, help="--compare: sequential requests per block")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("make bench: run as root (prong and the peers chroot and drop to nobody)")
    prong = os.path.abspath(args.prong)
    if not os.access(prong, os.X_OK):
        sys.exit(f"make bench: {prong} is not built (make)")
    os.makedirs(args.out, exist_ok=True)
    if args.compare:
        with bench_root() as root:
            measure_compare([prong, os.path.abspath(args.compare)], root, args.blocks, args.block_requests)
        return
    if not args.only_memory:
        if not os.path.isfile(args.peers):
            sys.exit(f"make bench: {args.peers} not found (set PEERS=PATH to peers.py)")
        small = run_peers(args, "small", prong, build_process_floor(args.out))
        big = run_peers(args, "big", prong)
        print_ratios(small, big)
    with bench_root() as root:
        measure_memory(prong, root, args.idle_connections)
        measure_per_connection(prong, root, args.per_connection)


if __name__ == "__main__":
    main()
