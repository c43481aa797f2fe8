#!/usr/bin/env python3
"""pipeline.py: floods of pipelined requests on one connection, on a real prong (make attack).

Sends N pipelined requests (default 10,000; --max-requests N) on one connection
from a writer thread while reading the responses incrementally: a mix of GETs
of 100 files of different sizes, HEADs and 404s. Every response must have the
right status and body, in order, at the right byte; one request more than
--max-requests must go unanswered and the connection must then close. Prints
the time, the rate, and the connection process's CPU time and memory (from its
--log-children line). Runs 10,000 and then 100,000 requests.
Exits 1 on any mismatch.

Usage (as root): pipeline.py [--requests N ...]
Bounded: each run stops after 120 s.
Must not: use anything but loopback, or leave a process or socket behind.
"""
import argparse
import os
import re
import shutil
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, HERE)

import hostile  # noqa: E402
from harness import Server, make_root  # noqa: E402

FILES = {f"p/{n:02d}.txt": (f"file {n:02d};" * (3 * n + 1)).encode() for n in range(100)}


def exchanges_for(count):
    exchanges = []
    for i in range(count):
        name = f"p/{i % 100:02d}.txt"
        if i % 13 == 0:
            exchanges.append((hostile.request(f"/p/missing-{i}.txt"), 404, None, False))
        elif i % 10 == 0:
            exchanges.append((hostile.request(f"/{name}", method="HEAD"), 200, b"", True))
        else:
            exchanges.append((hostile.request(f"/{name}"), 200, FILES[name], False))
    return exchanges


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, nargs="+", default=[10000, 100000])
    args = parser.parse_args()
    signal.alarm(130 * len(args.requests))
    root = make_root(FILES)
    failures = []
    try:
        for count in args.requests:
            with Server(root, "--max-requests", str(count), "--access-log", "off", "--log-children") as server:
                exchanges = exchanges_for(count)
                sent = sum(len(item[0]) for item in exchanges)
                verified, problem, seconds = hostile.pipeline(server.port, exchanges, trailing=hostile.request("/"),
                                                              expect_close=True, time_limit=120)
                line = server.wait_for_log(r"child pid=\d+ client=127\.0\.0\.1 ", timeout=10)[0]
                usage = dict(re.findall(r"(cpu_us|maxrss_kb|requests|bytes)=(\d+)", line))
            print(f"{count} pipelined requests ({sent} bytes) on one connection: {verified} responses verified "
                  f"in order in {seconds:.2f} s ({verified / max(seconds, 1e-9):.0f}/s); then "
                  f"{'closed as --max-requests says' if problem is None else problem}; the process: "
                  f"{usage.get('requests')} requests, cpu {int(usage.get('cpu_us', 0)) / 1000:.0f} ms, "
                  f"max RSS {usage.get('maxrss_kb')} KiB")
            if problem is not None or verified != count:
                failures.append(f"{count}: {verified} verified, {problem}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return hostile.report(failures)


if __name__ == "__main__":
    sys.exit(main())
