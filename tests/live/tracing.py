"""tracing.py: record every system call a live server makes, for the policy check.

When PRONG_TRACE_DIR is set, harness.Server attaches `strace -f` to the monitor
and the supervisor as soon as prong is listening (the jail filter is installed
by then), so every later call of the monitor, the supervisor and each
connection process is written to PRONG_TRACE_DIR/trace.<monitor pid>.
tests/policy/check_policy.py reads those files. A test may also trace one
server of its own into a directory it names (attach(server, directory), then
stop()). Standard library only.
Must not: change what the server does (strace only observes; root may trace
non-dumpable processes with CAP_SYS_PTRACE).
"""
import os
import shutil
import signal
import subprocess
import time

TRACE_DIR = os.environ.get("PRONG_TRACE_DIR")


def attach(server, directory=None):
    """Start strace on a started Server, writing into directory (default
    PRONG_TRACE_DIR); returns the strace process, or None when neither is set."""
    directory = directory or TRACE_DIR
    if not directory:
        return None
    if not shutil.which("strace"):
        raise AssertionError("tracing needs strace, which is missing (make deps installs it)")
    os.makedirs(directory, exist_ok=True)
    monitor, supervisor = server.pid, server.supervisor_pid()
    trace = os.path.join(directory, f"trace.{monitor}")
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-p", str(monitor), "-p", str(supervisor)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(directory, f"roles.{monitor}"), "w") as f:
        f.write(f"monitor {monitor}\nsupervisor {supervisor}\n")
    # strace attaches asynchronously: wait until it has written a system call
    # of each (its output is unbuffered), so no call the test causes goes
    # unrecorded (a late attach would let the check pass on less). Being
    # traced (TracerPid) is not enough: in one CI run the test's first request
    # made the supervisor fork before strace had written anything of it (the
    # monitor's first line came after the new child's), and strace then named
    # every later call of the supervisor from its return value
    # ("syscall_0x78bf", "setregid", errno 18446744073709551384), which the
    # policy check rightly refused as calls outside the policy.
    deadline = time.monotonic() + 10
    while not _has_written_for(trace, (monitor, supervisor)):
        if time.monotonic() > deadline or tracer.poll() is not None:
            tracer.kill()
            tracer.wait()
            raise AssertionError(f"strace wrote no system call of the monitor and the supervisor within 10 s "
                                 f"(exit {tracer.poll()})")
        time.sleep(0.01)
    return tracer


def _has_written_for(trace, pids):
    """True once the trace file holds a line of each pid (strace starts each with it)."""
    try:
        with open(trace, errors="replace") as f:
            seen = {line.split(" ", 1)[0] for line in f}
    except FileNotFoundError:
        return False
    return all(str(pid) in seen for pid in pids)


def stop(tracer):
    """Detach strace from a server that keeps running; its file is complete
    after (strace flushes it when SIGINT makes it detach)."""
    if tracer is None:
        return
    tracer.send_signal(signal.SIGINT)
    if not detach(tracer):
        raise AssertionError("strace did not detach within 15 s: its file may be incomplete")


def detach(tracer):
    """Wait for strace to end; False when it had to be killed after 15 s."""
    if tracer is None:
        return True
    try:
        tracer.wait(15)
        return True
    except subprocess.TimeoutExpired:
        tracer.kill()
        tracer.wait()
        return False
