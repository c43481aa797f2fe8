"""bench.py: `make bench`: prong against its peers and two floors in one run, then its goals.

Runs every server under test on the same CPUs (default: CPU 1; wrk on CPU 0),
one at a time, against one site (servers.py: small.txt, 1 KiB, and big.bin,
10 MiB, readable by nobody, on loopback), and measures each with wrk
(load.py) in three tables:
  small  1 KiB, --conns connections (50): keep-alive, and Connection: close
  big    10 MiB, --conns connections: keep-alive and Connection: close
  many   1 KiB, --many connections (1,000), keep-alive: req/s, p99 and the
         requests over wrk's 2 s timeout
Each server is started for each table (its row), warmed up with a keep-alive
run of --warmup seconds, measured, then stopped by its pid and reaped. prong
runs with every layer on and only the per-client caps lifted (PRONG_FLAGS:
all of wrk's connections come from one address), and for the many table
with --max-children large enough for them. Then, of prong (probes.py): its
memory with 1,000 idle kept-alive connections, its CPU per connection beside
the process floor's in the same run, its system calls per kept-alive
request, and --attest on the build measured; and last every goal of issue
19, and those of issue 7 that still mean something, each as a ratio within
this run with met or MISSED (report.py).

`bench.py --prong A --compare B` instead runs only the CPU per connection of
two builds, in interleaved blocks: an A/B for a change (docs/performance.md);
--a-flags and --b-flags add prong flags to either (the same build with
'--prefault on' and '--prefault off' is the prefault's A/B).

Usage: sudo python3 bench/bench.py [--quick] [--only NAMES] [--secs N]
[--althttpd PATH] [--json FILE] ...; --help lists every flag. Exit status 0
when every part ran, 1 when prong, a floor or a probe failed or a server was
left running (the figures printed are still this run's), 2 for a bad flag
or a missing tool. Needs root (the servers start as root and drop to
nobody), wrk, taskset and strace. Figures are only ever compared within one
run; nothing here asserts one (tests/live/test_bench_script.py runs this
briefly and checks what it prints, never a figure). Standard library only.
Must not: leave a server, a socket or its site behind, or write outside its
site under /srv and the --json file.
"""
import argparse
import contextlib
import ctypes
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import load  # noqa: E402
import probes  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402

PRONG_FLAGS = ["--access-log", "off", "--max-per-ip", "0", "--max-per-prefix", "0", "--max-connection-rate", "0", "--max-requests", "1000000"]
KEEP_ALIVE = {"key": "keep-alive", "name": "keep-alive", "close": False}
CLOSE = {"key": "close", "name": "close", "close": True}
ORDER = ["nginx", "prong", "fork-floor", "process-floor", "lighttpd", "mini_httpd", "webfs", "althttpd"]
PR_SET_CHILD_SUBREAPER = 36  # prctl(2): orphaned descendants become the runner's children


def tables(args):
    many_children = str(max(2048, args.many + 64))  # prong's default is 128 per CPU, at least 256
    return [
        {"key": "small", "title": f"1 KiB, {args.conns} connections", "path": "/small.txt", "conns": args.conns,
         "modes": [dict(KEEP_ALIVE, unit="req/s"), dict(CLOSE, unit="req/s")], "prong_flags": []},
        {"key": "big", "title": f"10 MiB, {args.conns} connections", "path": "/big.bin", "conns": args.conns,
         "modes": [dict(KEEP_ALIVE, unit="MiB/s"), dict(CLOSE, unit="MiB/s")], "prong_flags": []},
        {"key": "many", "title": f"1 KiB, {args.many:,} connections", "path": "/small.txt", "conns": args.many,
         "modes": [dict(KEEP_ALIVE, unit="req/s")], "prong_flags": ["--max-children", many_children]},
    ]


def progress(text):
    print(f"# {text}", file=sys.stderr, flush=True)


def measure_row(server, table, args, site):
    """One server's row of one table: its figures, or a note saying why none."""
    row = {"label": server.label}
    if server.missing:
        return dict(row, note=server.missing)
    if table["key"] == "big" and server.fixed_answer:
        return dict(row, note="answers a fixed 1 KiB: no 10 MiB figures")
    extra = table["prong_flags"] if server.name == "prong" else []
    with servers.started(server, args.server_cpus, site.run, table["key"], extra) as (running, problem):
        progress(f"$ taskset -c {args.server_cpus} {' '.join(running.argv)}")
        row["argv"] = running.argv
        if problem:
            return dict(row, note=f"did not start: {problem}", failed=True)
        pinning = running.pinning_problem()
        if pinning:
            row["pinning"] = pinning
        if args.warmup:
            load.run(running.port, table["path"], args.warmup, min(table["conns"], args.conns), False, args.wrk_cpus)
        row["figures"] = {}
        for mode in table["modes"]:
            row["figures"][mode["key"]] = load.run(running.port, table["path"], args.secs, table["conns"],
                                                   mode["close"], args.wrk_cpus)
            progress(f"{table['key']} {server.name} {mode['key']}: {row['figures'][mode['key']]}")
    return row


def run_tables(selected, args, site):
    results = {}
    for table in tables(args):
        rows = {}
        for server in selected:
            try:
                rows[server.name] = measure_row(server, table, args, site)
            except RuntimeError as error:  # wrk failed or overran: the row says so
                rows[server.name] = {"label": server.label, "note": f"failed: {error}", "failed": True}
        results[table["key"]] = rows
        title = f"{table['title']} (server on CPU {args.server_cpus}, wrk on CPU {args.wrk_cpus}, {args.secs} s)"
        print("\n" + report.table(title, table["modes"], rows.values()), flush=True)
        for row in rows.values():
            if row.get("pinning"):
                print(f"  note: {row['label']}: {row['pinning']}")
    return results


def run_probes(by_name, args, site):
    """prong's memory, CPU per connection (beside the process floor), system
    calls per request and --attest; a probe that fails is reported, not fatal."""
    results, failed = {}, []
    prong, floor = by_name.get("prong"), by_name.get("process-floor")
    steps = [("attest", lambda: probes.attest(os.path.abspath(args.prong), site.root))]
    steps.append(("memory", lambda: probes.memory(prong, args.server_cpus, site.run, args.idle_connections)))
    steps.append(("cpu", lambda: cpu_probe(prong, floor if floor and not floor.missing else None, args, site)))
    if shutil.which("strace"):
        steps.append(("syscalls", lambda: probes.syscalls(prong, args.server_cpus, site.run, args.syscall_requests)))
    else:
        print("System calls per kept-alive request: not measured (strace is not installed)")
    for name, step in steps:
        print(flush=True)
        try:
            results[name] = step()
        except (RuntimeError, OSError) as error:
            print(f"{name} probe failed: {error}", flush=True)
            failed.append(name)
    return results, failed


def cpu_probe(prong, floor, args, site):
    with contextlib.ExitStack() as stack:
        forkers = []
        for label, server in (("prong", prong), ("process floor", floor)):
            if server is None:
                continue
            running, problem = stack.enter_context(servers.started(server, args.server_cpus, site.run, "cpu"))
            if problem:
                raise RuntimeError(f"{server.name} did not start: {problem}")
            forkers.append(probes.forker(label, running, server.name == "prong"))
        figures = probes.cpu(forkers, args.cpu_blocks, args.cpu_block_requests, load.parse_cpus(args.wrk_cpus))
    probes.print_cpu(figures, args.cpu_blocks, args.cpu_block_requests, {"prong": "supervisor"})
    if floor is None:
        print("  the process floor: not measured (not selected or not built)")
    return figures


def compare(args, site):
    """--compare: CPU per connection of two prong builds, in turn."""
    builds = [(os.path.abspath(args.prong), "A", shlex.split(args.a_flags)),
              (os.path.abspath(args.compare), "B", shlex.split(args.b_flags))]
    with contextlib.ExitStack() as stack:
        forkers = []
        for binary, tag, flags in builds:
            server = servers.prong(site, binary, PRONG_FLAGS + flags)
            if server.missing:
                raise SystemExit(f"bench.py: {server.missing}")
            running, problem = stack.enter_context(servers.started(server, args.server_cpus, site.run, tag))
            if problem:
                raise SystemExit(f"bench.py: {binary} did not start: {problem}")
            forkers.append(probes.forker(f"{tag} {' '.join([binary] + flags)}", running, True))
        figures = probes.cpu(forkers, args.cpu_blocks, args.cpu_block_requests, load.parse_cpus(args.wrk_cpus))
    probes.print_cpu(figures, args.cpu_blocks, args.cpu_block_requests, {label: "supervisor" for label in figures})
    a, b = (figures[label]["total_us"] for label in figures)
    print(f"  A / B: {a / b:.2f}x the CPU per connection")
    return figures


def parse_args():
    parser = argparse.ArgumentParser(description="prong against its peers and the floors, in one run (make bench)")
    parser.add_argument("--prong", default=os.path.join(REPO, "prong"), help="the build to measure (./prong)")
    parser.add_argument("--quick", action="store_true", help="a short run (~1 minute): 1 s per figure, smaller probes")
    parser.add_argument("--only", help=f"comma-separated servers to run, of: {','.join(ORDER)}")
    parser.add_argument("--secs", type=int, help="seconds per wrk run (8; --quick 1)")
    parser.add_argument("--warmup", type=int, help="seconds of keep-alive load before a row is measured (2; --quick 1)")
    parser.add_argument("--conns", type=int, default=50, help="connections of the small and big tables (50)")
    parser.add_argument("--many", type=int, default=1000, help="connections of the many table (1000)")
    parser.add_argument("--server-cpus", default="1", help="taskset list for every server (1)")
    parser.add_argument("--wrk-cpus", default="0", help="taskset list for wrk and the probes' client (0)")
    parser.add_argument("--althttpd", help="a built althttpd binary (Debian does not package it)")
    parser.add_argument("--fork-floor", default=os.path.join(REPO, "build", "bench", "fork_floor"))
    parser.add_argument("--process-floor", default=os.path.join(REPO, "build", "bench", "process_floor"))
    parser.add_argument("--idle-connections", type=int, default=1000, help="for the memory probe (1000)")
    parser.add_argument("--cpu-blocks", type=int, help="CPU probe: blocks per server (8; --quick 4)")
    parser.add_argument("--cpu-block-requests", type=int, help="CPU probe: connections per block (400; --quick 250)")
    parser.add_argument("--syscall-requests", type=int, default=200, help="kept-alive requests strace counts (200)")
    parser.add_argument("--json", help="also write every figure and goal to this file")
    parser.add_argument("--a-flags", default="", help="--compare: more prong flags for A (e.g. '--prefault on')")
    parser.add_argument("--b-flags", default="", help="--compare: more prong flags for B")
    parser.add_argument("--compare", metavar="OTHER_PRONG", help="only an A/B: CPU per connection of --prong and this")
    args = parser.parse_args()
    for name, full, quick in (("secs", 8, 1), ("warmup", 2, 1), ("cpu_blocks", 8, 4), ("cpu_block_requests", 400, 250)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    for name in ("secs", "conns", "many", "idle_connections", "cpu_blocks", "cpu_block_requests", "syscall_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    for name in ("server_cpus", "wrk_cpus"):
        try:
            load.parse_cpus(getattr(args, name))
        except ValueError:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)!r}: expected a CPU list such as 1 or 0,2")
    unknown = set((args.only or "").split(",")) - set(ORDER) - {""}
    if unknown:
        parser.error(f"--only: unknown server {', '.join(sorted(unknown))} (known: {', '.join(ORDER)})")
    return args


def prepare(args):
    if os.geteuid() != 0:
        sys.exit("bench.py: run as root (the servers start as root and drop to nobody)")
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"bench.py: {tool} is needed (Debian package {'util-linux' if tool == 'taskset' else tool}; "
                     "make bench installs it)")
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"bench.py: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # wrk -c1000 and the memory probe's sockets
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def server_list(args, site):
    made = {
        "nginx": servers.nginx(site), "lighttpd": servers.lighttpd(site), "mini_httpd": servers.mini_httpd(site),
        "webfs": servers.webfs(site), "althttpd": servers.althttpd(site, args.althttpd),
        "fork-floor": servers.fork_floor(os.path.abspath(args.fork_floor)),
        "process-floor": servers.process_floor(os.path.abspath(args.process_floor)),
        "prong": servers.prong(site, os.path.abspath(args.prong), PRONG_FLAGS),
    }
    chosen = set(args.only.split(",")) if args.only else set(ORDER)
    return [made[name] for name in ORDER if name in chosen]


def header(args):
    version = subprocess.run([args.prong, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    print(f"make bench, {time.strftime('%Y-%m-%d %H:%M')}: {version or args.prong}, Linux {platform.release()}, "
          f"{os.cpu_count()} CPUs; servers on CPU {args.server_cpus}, wrk on CPU {args.wrk_cpus}, "
          f"{args.secs} s per figure after {args.warmup} s of warm-up{' (--quick)' if args.quick else ''}")
    print(f"prong: {os.path.abspath(args.prong)} --root SITE --listen 127.0.0.1:PORT {' '.join(PRONG_FLAGS)} "
          f"(every layer on; the per-client caps lifted)")


def account(failed):
    """The run's last word on its servers: each stopped by its pid and reaped."""
    left = [pid for started in servers.STOPPED for pid in started.left_behind]
    strays = servers.reap_strays()
    if left or strays:
        failed.append("cleanup")
    print(f"\nServers: {len(servers.STOPPED)} starts, each stopped by its pid and reaped; "
          f"left running: {', '.join(map(str, left + strays)) or 'none'}")


def main():
    args = parse_args()
    prepare(args)
    if not os.access(args.prong, os.X_OK):
        sys.exit(f"bench.py: {args.prong} is not built (make)")
    failed, output = [], {"settings": {k: v for k, v in vars(args).items()}}
    with servers.site() as site:
        if args.compare:
            output["compare"] = compare(args, site)
        else:
            selected = server_list(args, site)
            header(args)
            output["tables"] = run_tables(selected, args, site)
            failed += [f"{name} in {key}" for key, rows in output["tables"].items() for name, row in rows.items()
                       if row.get("failed") and name in ("prong", "fork-floor", "process-floor")]
            by_name = {server.name: server for server in selected}
            output["probes"] = {}
            if "prong" in by_name and not by_name["prong"].missing:
                output["probes"], failed_probes = run_probes(by_name, args, site)
                failed += failed_probes
            goals = report.Goals()
            counts = {"conns": args.conns, "many": args.many, "idle": args.idle_connections}
            report.issue_19(output["tables"], output["probes"], goals, counts)
            print("\nGoals of issue 19 (ratios within this run):")
            print("\n".join(goals.lines()))
            earlier = report.Goals()
            report.issue_7(output["tables"], earlier, counts)
            print("Goals of issue 7 that still hold:")
            print("\n".join(earlier.lines()))
            print("For context, not goals:")
            print("\n".join(report.context_lines(output["tables"], args.many)) or "  (no other peer measured)")
            output["goals"] = goals.records + earlier.records
        account(failed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(output, f, indent=1)
    if failed:
        print(f"bench.py: incomplete: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
