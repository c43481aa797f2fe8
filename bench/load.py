"""load.py: one wrk run against one server, and what its report says.

wrk (Debian's 4.1) runs pinned with `taskset -c CPUS`, one thread per CPU it
is given, with --latency (for the 99th percentile) and --timeout (a request
unanswered that long is counted in "Socket errors: ... timeout N" and left
out of the latency figures, see wrk's README). With close=True every request
carries "Connection: close", so each one is a new connection (and, for a
fork-per-connection server, a new process).

Contract: run() returns a dict: rps (requests/s), p99_ms (None when wrk
printed none), mib_s (transfer, MiB/s), requests, timeouts, errors (wrk's
other socket errors and non-2xx/3xx answers, as text, "" when none). It
raises RuntimeError when wrk fails or overruns its own duration by
OVERRUN seconds (it is then killed). Standard library only.
Must not: judge a figure (bench.py compares them within one run).
"""
import re
import subprocess

OVERRUN = 60  # seconds past -d before wrk is killed
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
UNITS_MIB = {"B": 1 / (1 << 20), "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0, "TB": 1 << 20}


def parse_cpus(text):
    """The CPU numbers of a taskset list ("0", "0,2", "1-3"); ValueError if malformed."""
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    if not cpus:
        raise ValueError(f"no CPU in {text!r}")
    return sorted(cpus)


def command(port, path, secs, connections, close, cpus, timeout_s):
    threads = len(parse_cpus(cpus))  # one wrk thread per CPU it is given
    argv = ["taskset", "-c", cpus, "wrk", f"-t{threads}", f"-c{max(connections, threads)}", f"-d{secs}s",
            f"--timeout={timeout_s}s", "--latency"]
    if close:
        argv += ["-H", "Connection: close"]
    return argv + [f"http://127.0.0.1:{port}{path}"]


def run(port, path, secs, connections, close, cpus, timeout_s=2):
    argv = command(port, path, secs, connections, close, cpus, timeout_s)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=secs + OVERRUN)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"wrk ran {OVERRUN} s past its {secs} s and was killed") from None
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited {done.returncode}: {done.stderr.strip()[:200]}")
    return parse(done.stdout)


def parse(report):
    """The figures of one wrk report (its text as printed)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", report, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", report, re.M)
    transfer = re.search(r"^Transfer/sec:\s+([\d.]+)([KMGT]?B)", report, re.M)
    requests = re.search(r"^\s+(\d+) requests in", report, re.M)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors = []
    if sockets:
        errors += [f"{kind} {count}" for kind, count in zip(("connect", "read", "write"), sockets.groups()[:3])
                   if count != "0"]
    if non_2xx:
        errors.append(f"non-2xx {non_2xx.group(1)}")
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p99_ms": float(p99.group(1)) * UNITS_MS[p99.group(2)] if p99 else None,
        "mib_s": float(transfer.group(1)) * UNITS_MIB[transfer.group(2)] if transfer else 0.0,
        "requests": int(requests.group(1)) if requests else 0,
        "timeouts": int(sockets.group(4)) if sockets else 0,
        "errors": ", ".join(errors),
    }
