#!/usr/bin/env python3
"""slowloris.py: the full-size slowloris attack on a real prong (make attack).

1,000 connections from 100 loopback source addresses (127.0.0.2 upward, 10
each), each trickling one header byte every 3 s and reconnecting 3 s after the
server closes it, for --duration seconds, while a normal client on 127.0.0.1
does sequential GETs. Prints the normal client's latency unloaded and under
attack (p50, p99) and its errors, how the slow connections ended, the most
connection processes alive at once and the supervisor's totals. Exits 1 if the
normal client saw an error, a slow connection outlived its deadline, or the
process cap was exceeded.

Usage (as root): slowloris.py [--connections N] [--sources N] [--interval S]
                 [--duration S] [-- PRONG FLAGS...]
Default prong flags are prong's own defaults; the Makefile also runs it with
the settings in mk/attack.mk. Bounded: the run ends within duration + 40 s.
Must not: use anything but loopback, or leave a process or socket behind.
"""
import argparse
import os
import re
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, HERE)

import hostile  # noqa: E402
from harness import Server, make_root  # noqa: E402

STOPPED = re.compile(r"stopped: (\d+) connections, (\d+) requests, (\d+) bytes, (\d+) refused, (\d+) evicted, "
                     r"(\d+) ended abnormally")
PAGE = b"<!doctype html><title>normal</title><p>the page a normal client wants\n"


def flag_value(flags, name, default):
    return float(flags[flags.index(name) + 1]) if name in flags else default


def children_memory_kib(server):
    """Proportional set size of every connection process, summed (KiB)."""
    total = 0
    for pid in server.children():
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except OSError:
            pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=45.0)
    parser.add_argument("prong_flags", nargs="*")
    args = parser.parse_args()
    flags = args.prong_flags
    head_timeout = flag_value(flags, "--head-timeout", 10.0)
    max_children = int(flag_value(flags, "--max-children", max(256, 128 * os.cpu_count())))
    per_source = args.connections // args.sources
    signal.alarm(int(args.duration + head_timeout + 90))  # a hard bound on the whole run

    root = make_root({"index.html": PAGE})
    try:
        with Server(root, "--access-log", "off", *flags) as server:
            unloaded = hostile.Prober(server.port, "/", PAGE, limit=200).run_inline()
            with hostile.ChildSampler(server, every=0.1) as sampler:
                attack = hostile.Slowloris(server.port, hostile.sources(args.sources), per_source,
                                           interval=args.interval, duration=args.duration,
                                           reconnect_delay=args.interval, drain_limit=head_timeout + 15,
                                           open_rate=500).start()
                time.sleep(min(5.0, args.duration / 4))  # the attack is in place
                loaded = hostile.Prober(server.port, "/", PAGE,
                                        duration=args.duration - min(5.0, args.duration / 4) - 1).start()
                memory_peak, tcp_pages = 0, 0
                while loaded.alive():
                    memory_peak = max(memory_peak, children_memory_kib(server))
                    tcp_pages = max(tcp_pages, hostile.tcp_memory_pages())
                    time.sleep(2.0)
                loaded.join(30)
                attack.join(args.duration + head_timeout + 30)
            code = server.stop()
            totals = STOPPED.search(server.wait_for_log(STOPPED.pattern)[0]).groups()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    before, during = unloaded.summary(), loaded.summary()
    outcomes = attack.outcomes()
    lifetimes = [a.closed - a.opened for a in attack.attempts if a.closed is not None and a.outcome != "connect-failed"]
    longest = max(lifetimes) if lifetimes else 0.0
    print(f"prong flags: {' '.join(flags) or '(defaults)'}; max-children {max_children}, head-timeout {head_timeout:g} s")
    print(f"attack: {args.connections} connections from {args.sources} addresses ({per_source} each), one byte "
          f"every {args.interval:g} s, {args.duration:g} s, reconnecting after {args.interval:g} s")
    print(f"normal client unloaded:     {before['requests']} requests, {before['errors']} errors, "
          f"p50 {hostile.milliseconds(before['p50'])}, p99 {hostile.milliseconds(before['p99'])}")
    print(f"normal client under attack: {during['requests']} requests, {during['errors']} errors, "
          f"p50 {hostile.milliseconds(during['p50'])}, p99 {hostile.milliseconds(during['p99'])}")
    if loaded.errors:
        print(f"  first errors: {loaded.errors[:3]}")
    print(f"slow connections: {len(attack.attempts)} opened; ended by: {outcomes}; longest lived {longest:.1f} s")
    print(f"most connection processes alive at once: {sampler.most} (cap {max_children}); their memory (PSS) "
          f"at peak ~{memory_peak // 1024} MiB; TCP buffers at peak {tcp_pages * 4 // 1024} MiB")
    print(f"supervisor totals: {totals[0]} processes, {totals[1]} requests, {totals[3]} refused (503), "
          f"{totals[4]} evicted, {totals[5]} ended abnormally; exit {code}")
    failures = []
    if attack.error:
        failures.append(f"the attack engine failed: {attack.error!r}")
    if during["errors"] or before["errors"] or during["requests"] == 0:
        failures.append("the normal client was not served every time")
    if outcomes.get("still-open"):
        failures.append(f"{outcomes['still-open']} slow connections outlived the run")
    if longest > head_timeout + 6:
        failures.append(f"a slow connection lived {longest:.1f} s, past its {head_timeout:g} s deadline")
    if sampler.most > max_children:
        failures.append("more connection processes than --max-children")
    if code != 0:
        failures.append(f"prong exited {code}")
    return hostile.report(failures)


if __name__ == "__main__":
    sys.exit(main())
