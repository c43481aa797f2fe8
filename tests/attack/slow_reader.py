#!/usr/bin/env python3
"""slow_reader.py: the full-size slow-reader attack on a real prong (make attack).

200 connections (50 from each of 4 loopback addresses) each request a 100 MiB
file and read it at 1 byte per second. prong's send-rate rule (--min-send-rate
over --send-window; defaults 4096 B/s over 10 s) must cut every one of them off
(access log: send-failed) while a normal client keeps getting pages and a
full-speed download of the same file completes. Prints when each reader was
cut off (from the access log's DURATION_US: the rule fails the first window in
which the reader's average fell below the rate, so one window after the first
one, whose initial burst fills the buffers), how many connection processes
were alive over time, the kernel's TCP buffer memory at peak, and the normal
clients' figures. Exits 1 if a reader was not cut off, a normal request
failed, or the download was wrong.

Usage (as root): slow_reader.py [--readers N] [--size MIB] [-- PRONG FLAGS...]
Bounded: the run ends within 3 windows + 30 s.
Must not: use anything but loopback, or leave a process or socket behind.
"""
import argparse
import hashlib
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

PAGE = b"<!doctype html><p>a page\n"
ACCESS = re.compile(r'^(\S+) - - \[[^]]*\] "GET (\S+) HTTP/1\.1" (\d{3}) (\d+) "[^"]*" "[^"]*" (\d+) (\S+)')


def flag_value(flags, name, default):
    return float(flags[flags.index(name) + 1]) if name in flags else default


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--size", type=int, default=100, help="MiB")
    parser.add_argument("prong_flags", nargs="*")
    args = parser.parse_args()
    flags = args.prong_flags
    window = flag_value(flags, "--send-window", 10.0)
    rate = flag_value(flags, "--min-send-rate", 4096)
    limit = 3 * window + 5
    signal.alarm(int(limit + 90))

    root = make_root({"index.html": PAGE})
    size = args.size << 20
    digest = hostile.write_file(os.path.join(root, "big.bin"), size)
    addresses = hostile.sources(4)
    per_address = args.readers // len(addresses)
    try:
        with Server(root, *flags) as server:
            tcp_before = hostile.tcp_memory_pages()
            began = time.monotonic()
            readers = [hostile.Readers(server.port, "/big.bin", per_address, 1, source=address, burst=1, limit=limit,
                                       open_rate=100).start() for address in addresses]
            normal = hostile.Prober(server.port, "/", PAGE, pause=0.05).start()
            timeline, tcp_peak, download = [], 0, None
            while time.monotonic() - began < limit:
                elapsed = time.monotonic() - began
                timeline.append((elapsed, len(server.children())))
                tcp_peak = max(tcp_peak, hostile.tcp_memory_pages())
                if download is None and elapsed > window / 2:
                    # A full-speed download of the same file while the attack holds its connections.
                    fast = hostile.Readers(server.port, "/big.bin", 1, 1 << 40, limit=60).start()
                    fast.join(60)
                    reader, = fast.readers
                    download = (reader.status, reader.body, reader.digest.hexdigest() == digest,
                                time.monotonic() - began - elapsed)
                cut = [line for line in server.access_lines() if "send-failed" in line]
                if len(cut) >= args.readers and elapsed > 2 * window:
                    break
                time.sleep(1.0)
            normal.stop()
            normal.join(20)
            for group in readers:
                group.stop()
                group.join(20)
            records = [ACCESS.match(line).groups() for line in server.access_lines() if ACCESS.match(line)]
            code = server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    cut_off = sorted(int(r[4]) / 1e6 for r in records if r[1] == "/big.bin" and r[5] == "send-failed")
    sent = sorted(int(r[3]) for r in records if r[1] == "/big.bin" and r[5] == "send-failed")
    during = normal.summary()
    print(f"prong flags: {' '.join(flags) or '(defaults)'}; min-send-rate {rate:g} B/s over {window:g} s")
    print(f"attack: {per_address * len(addresses)} connections from {len(addresses)} addresses, each reading a "
          f"{args.size} MiB file at 1 byte/s")
    if cut_off:
        print(f"cut off by the rate rule (send-failed): {len(cut_off)}; after min {cut_off[0]:.1f} s, median "
              f"{hostile.percentile(cut_off, 0.5):.1f} s, max {cut_off[-1]:.1f} s (window {window:g} s); body bytes "
              f"each had been sent: min {sent[0]}, max {sent[-1]}")
    else:
        print("cut off by the rate rule: none")
    marks = [f"{t:.0f}s:{n}" for t, n in timeline[::max(1, len(timeline) // 12)]]
    print(f"connection processes alive over time: {' '.join(marks)}")
    print(f"kernel TCP buffer memory: {tcp_before * 4 // 1024} MiB before, {tcp_peak * 4 // 1024} MiB at peak")
    print(f"normal client meanwhile: {during['requests']} requests, {during['errors']} errors, p50 "
          f"{hostile.milliseconds(during['p50'])}, p99 {hostile.milliseconds(during['p99'])}")
    if download:
        status, body, good, seconds = download
        print(f"full-speed download of the same file meanwhile: status {status}, {body} bytes, sha256 "
              f"{'right' if good else 'WRONG'}, {seconds:.2f} s ({body / max(seconds, 1e-9) / 1e6:.0f} MB/s)")
    print(f"prong exit {code}")
    failures = []
    if len(cut_off) != per_address * len(addresses):
        failures.append(f"{per_address * len(addresses) - len(cut_off)} readers were not cut off")
    if cut_off and cut_off[-1] > 2 * window + 3:
        failures.append(f"a reader was cut off only after {cut_off[-1]:.1f} s")
    if during["errors"] or during["requests"] == 0:
        failures.append("the normal client was not served every time")
    if not download or download[:3] != (200, size, True):
        failures.append(f"the full-speed download failed: {download}")
    if code != 0:
        failures.append(f"prong exited {code}")
    return hostile.report(failures)


if __name__ == "__main__":
    sys.exit(main())
