#!/usr/bin/env python3
"""flood.py: a full-size connection flood from one address on a real prong (make attack).

Phase A: 10,000 connect/close from 127.0.0.8 as fast as one client can (a third
send part of a head, half are reset instead of closed): each costs prong a
process, since none stays long enough to reach --max-per-ip, so the flood runs
at prong's fork rate and the kernel's accept queue (FIFO, up to 4096 deep)
fills: the normal client is served, but only after waiting its turn in that
queue (seconds; it gets 30 s before it counts as an error).
Phase B: 1,000 silent half-open connections from 127.0.0.8 (the first
--max-per-ip get a process, the rest a 503 costing none), then the same
flood again from the same address: now every flood connection is refused by
the per-client cap without a fork.
Throughout, a normal client on 127.0.0.1 does sequential GETs; its errors and
latency are printed per phase, with the flood's rate, the processes created,
the 503s, and the zombies seen after each phase. Last, SIGTERM is sent in the
middle of a third flood: prong must exit 0, and the time it took is printed.
Exits 1 if the normal client saw an error, a zombie remained, or the stop failed.

Usage (as root): flood.py [--connections N] [-- PRONG FLAGS...]
Bounded: every flood stops after N connections or 40 s.
Must not: use anything but loopback, or leave a process or socket behind.
"""
import argparse
import os
import re
import shutil
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, HERE)

import hostile  # noqa: E402
from harness import Server, make_root, zombies_of  # noqa: E402

PAGE = b"<!doctype html><p>a page\n"
FLOODER = "127.0.0.8"
STOPPED = re.compile(r"stopped: (\d+) connections, (\d+) requests, (\d+) bytes, (\d+) refused, (\d+) evicted")


def flag_value(flags, name, default):
    return int(flags[flags.index(name) + 1]) if name in flags else default


def settle(server, supervisor, expected, limit=15.0):
    """Wait until `expected` connection processes remain and none is a zombie; returns zombies left."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(server.children()) == expected and not zombies_of(supervisor):
            return []
        time.sleep(0.05)
    return zombies_of(supervisor)


def flood_phase(server, name, count, results):
    """One flood with a normal client working alongside; appends a summary to results."""
    outcome = {}
    refused_before = sum(1 for line in server.access_lines() if line.startswith(FLOODER) and " 503 " in line)
    flood = threading.Thread(target=lambda: outcome.update(hostile.flood(server.port, count, FLOODER,
                                                                         time_limit=40)), daemon=True)
    normal = hostile.Prober(server.port, "/", PAGE, timeout=30)  # it may wait behind the whole accept queue
    flood.start()
    normal.start()
    most = 0
    while flood.is_alive():
        most = max(most, len(server.children()))
        flood.join(0.05)
    normal.stop()
    normal.join(30)
    time.sleep(0.5)  # the refusals' log lines
    refused = sum(1 for line in server.access_lines() if line.startswith(FLOODER) and " 503 " in line)
    results.append((name, outcome, normal, most, refused - refused_before))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("prong_flags", nargs="*")
    args = parser.parse_args()
    flags = args.prong_flags
    per_ip = flag_value(flags, "--max-per-ip", 64)
    signal.alarm(240)

    root = make_root({"index.html": PAGE})
    results, zombies, held = [], {}, []
    try:
        with Server(root, *flags) as server:
            supervisor = server.supervisor_pid()
            unloaded = hostile.Prober(server.port, "/", PAGE, limit=200).run_inline()
            flood_phase(server, "A: connect/close flood", args.connections, results)
            zombies["A"] = settle(server, supervisor, 0)
            held = hostile.hold_open(server.port, 1000, FLOODER)
            time.sleep(1.0)
            held_processes = len(server.children())
            flood_phase(server, "B: same flood, the address holding its cap", args.connections, results)
            zombies["B"] = settle(server, supervisor, held_processes)
            # SIGTERM in the middle of a third flood.
            stop_flood = threading.Event()
            third = threading.Thread(target=hostile.flood, args=(server.port, args.connections, FLOODER),
                                     kwargs={"time_limit": 40, "stop": stop_flood}, daemon=True)
            third.start()
            time.sleep(0.5)
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            code = server.wait(timeout=60)
            stop_seconds = time.monotonic() - signalled
            stop_flood.set()
            third.join(40)
            totals = STOPPED.search(server.wait_for_log(STOPPED.pattern)[0]).groups()
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{supervisor}") and time.monotonic() < deadline:
                time.sleep(0.05)
            left = [supervisor] if os.path.exists(f"/proc/{supervisor}") else []
    finally:
        hostile.close_all(held)
        shutil.rmtree(root, ignore_errors=True)

    before = unloaded.summary()
    print(f"prong flags: {' '.join(flags) or '(defaults)'}; max-per-ip {per_ip}")
    print(f"normal client unloaded: {before['requests']} requests, {before['errors']} errors, p50 "
          f"{hostile.milliseconds(before['p50'])}, p99 {hostile.milliseconds(before['p99'])}")
    failures = []
    for name, outcome, normal, most, refused in results:
        during = normal.summary()
        rate = outcome.get("connected", 0) / max(outcome.get("seconds", 1e-9), 1e-9)
        print(f"{name}: {outcome.get('connected', 0)} connections in {outcome.get('seconds', 0):.1f} s "
              f"({rate:.0f}/s, {outcome.get('failed', 0)} failed); 503 (rate-limit or per-client-cap) to the flooder: {refused}; "
              f"most processes alive {most}")
        print(f"   normal client meanwhile: {during['requests']} requests, {during['errors']} errors, p50 "
              f"{hostile.milliseconds(during['p50'])}, p99 {hostile.milliseconds(during['p99'])}")
        if during["errors"] or during["requests"] == 0:
            failures.append(f"{name}: the normal client was not served every time ({normal.errors[:2]})")
    print(f"half-open connections held: 1000, of which {held_processes} got a process")
    print(f"zombies after each phase: {zombies}")
    print(f"SIGTERM during a third flood: exit {code} after {stop_seconds:.2f} s; supervisor left: {left or 'none'}")
    print(f"supervisor totals: {totals[0]} processes, {totals[1]} requests, {totals[3]} refused (503), "
          f"{totals[4]} evicted")
    if any(zombies.values()):
        failures.append(f"zombies: {zombies}")
    if code != 0 or left:
        failures.append(f"the stop: exit {code}, left {left}")
    return hostile.report(failures)


if __name__ == "__main__":
    sys.exit(main())
