"""actions.py: the escape actions, what must stop each one, and how to run them.

Shared by tests/live/test_escape.py (the release jail must stop every attack, by
the expected mechanism) and tests/escape/matrix.py (the lab build, one layer
removed at a time, for docs/layers.md). An outcome is ("ok",), ("errno", NAME)
or ("signal", NAME). Standard library only.
"""
import os
import re
import socket
import subprocess
import tempfile
import time

PROBE_SOURCE = r"""
#include <stdio.h>
int main(void) { long r = 20; __asm__ volatile("int $0x80" : "+a"(r) : : "memory"); printf("%ld\n", r); return 0; }
"""


def kernel_runs_i386_calls():
    """Whether this kernel serves `int $0x80` at all, probed outside any sandbox:
    if it does not (IA-32 emulation off), the kernel itself ends the caller with
    SIGSEGV before seccomp sees a call (the int80 action's expected outcome)."""
    with tempfile.TemporaryDirectory() as work:
        source, binary = os.path.join(work, "probe.c"), os.path.join(work, "probe")
        with open(source, "w") as f:
            f.write(PROBE_SOURCE)
        subprocess.run(["cc", "-o", binary, source], check=True, timeout=60)
        return subprocess.run([binary], capture_output=True, timeout=10).returncode == 0

# (action, target, expected outcome under the full jail, the layer that stops it)
# target: None, "sibling", "supervisor", "outside" (a file outside the root, in a
# directory of mode 1777 that anyone may write), "inside" (index.html, as a path
# inside the jail), "port"
ACTIONS = [
    ("read-root-file", None, ("ok",), "positive control: reading a file in the root works"),
    ("getpid", None, ("ok",), "positive control: an allowed system call works"),
    ("open-absolute", "outside", ("errno", "ENOENT"), "chroot: the path does not exist in the jail"),
    ("open-dotdot", "outside", ("errno", "ENOENT"), "chroot: '..' stops at the jail's root"),
    ("create-outside", "outside", ("errno", "ENOENT"),
     "chroot: the directory does not exist in the jail; without it, Landlock (no write right anywhere)"),
    ("open-write", None, ("signal", "SIGSYS"), "seccomp: no openat in the jail (openat2 only)"),
    ("open-create", None, ("signal", "SIGSYS"), "seccomp: no openat in the jail (openat2 only)"),
    ("open-tmpfile", None, ("signal", "SIGSYS"), "seccomp: no openat in the jail (openat2 only)"),
    ("openat2-write", None, ("errno", "EACCES"), "Landlock (read rights only) and file permissions"),
    ("openat2-trunc", "inside", ("errno", "EACCES"), "Landlock (ABI 3: no truncate right) and file permissions"),
    ("write-root", None, ("errno", "EACCES"), "Landlock (read rights only) and file permissions"),
    ("execve", None, ("signal", "SIGSYS"), "seccomp"),
    ("fork", None, ("errno", "EAGAIN"), "RLIMIT_NPROC 0 (with the one clone flag set the filter allows)"),
    ("clone-glibc-fork", None, ("signal", "SIGSYS"), "seccomp argument filter on clone's flags"),
    ("clone-newuser", None, ("signal", "SIGSYS"), "seccomp argument filter on clone's flags"),
    ("clone3", None, ("signal", "SIGSYS"), "seccomp"),
    ("vfork", None, ("signal", "SIGSYS"), "seccomp"),
    ("socket-inet", None, ("signal", "SIGSYS"), "seccomp"),
    ("socket-unix", None, ("signal", "SIGSYS"), "seccomp"),
    ("connect-loopback", "port", ("signal", "SIGSYS"), "seccomp"),
    ("ptrace", "sibling", ("signal", "SIGSYS"), "seccomp"),
    ("ptrace", "supervisor", ("signal", "SIGSYS"), "seccomp"),
    ("kill", "sibling", ("signal", "SIGSYS"), "seccomp (no kill in the jail)"),
    ("kill", "supervisor", ("signal", "SIGSYS"), "seccomp (no kill in the jail)"),
    ("tgkill-abort", "sibling", ("signal", "SIGSYS"), "seccomp (no tgkill in the jail)"),
    ("tgkill-abort", "supervisor", ("signal", "SIGSYS"), "seccomp (no tgkill in the jail)"),
    ("tgkill-kill", "sibling", ("signal", "SIGSYS"), "seccomp (no tgkill in the jail)"),
    ("pidfd-open", "sibling", ("signal", "SIGSYS"), "seccomp (no pidfd_open: a pidfd comes from clone only)"),
    ("pidfd-open", "supervisor", ("signal", "SIGSYS"), "seccomp (no pidfd_open: a pidfd comes from clone only)"),
    ("pidfd-kill", None, ("errno", "EBADF"), "no pidfd in a connection process (the supervisor's are closed before it serves)"),
    ("sendmsg-rights", None, ("signal", "SIGSYS"), "seccomp (no sendmsg: a descriptor cannot be passed)"),
    ("process-vm-readv", "sibling", ("signal", "SIGSYS"), "seccomp"),
    ("process-vm-readv", "supervisor", ("signal", "SIGSYS"), "seccomp"),
    ("prlimit-other", "sibling", ("signal", "SIGSYS"), "seccomp argument filter (pid 0 only)"),
    ("renice-other", "supervisor", ("signal", "SIGSYS"), "seccomp (no setpriority in the jail)"),
    ("raise-priority", None, ("signal", "SIGSYS"), "seccomp (no setpriority in the jail)"),
    ("realtime", None, ("signal", "SIGSYS"), "seccomp (no sched_setscheduler in the jail)"),
    ("raise-rlimit", None, ("errno", "EPERM"), "no CAP_SYS_RESOURCE"),
    ("setuid-root", None, ("signal", "SIGSYS"), "seccomp"),
    ("capset", None, ("signal", "SIGSYS"), "seccomp"),
    ("replace-filter", None, ("signal", "SIGSYS"), "seccomp"),
    ("prctl-filter", None, ("signal", "SIGSYS"), "seccomp"),
    ("chroot", None, ("signal", "SIGSYS"), "seccomp"),
    ("mount", None, ("signal", "SIGSYS"), "seccomp"),
    ("unshare-user", None, ("signal", "SIGSYS"), "seccomp"),
    ("mmap-exec", None, ("signal", "SIGSYS"), "seccomp argument filter (no PROT_EXEC)"),
    ("mprotect-exec", None, ("signal", "SIGSYS"), "seccomp"),
    ("mremap-alias-own", None, ("ok",), "positive control: a second mapping of its own scoreboard slot (one page)"),
    ("mremap-alias-next", None, ("signal", "SIGSYS"),
     "seccomp argument filter (alias_shared: new_size one page; two would map the next child's slot)"),
    ("ioctl-tiocsti", None, ("signal", "SIGSYS"), "seccomp"),
    ("io-uring-setup", None, ("signal", "SIGSYS"), "seccomp"),
    ("bpf", None, ("signal", "SIGSYS"), "seccomp"),
    ("userfaultfd", None, ("signal", "SIGSYS"), "seccomp"),
    ("keyctl", None, ("signal", "SIGSYS"), "seccomp"),
    ("int80", None, ("signal", "SIGSYS"), "seccomp (other architecture: i386)"),
    ("x32", None, ("signal", "SIGSYS"), "seccomp (other architecture: x32)"),
    ("abort", None, ("signal", "SIGSYS"), "a memory-safety abort ends the process at its first refused call (counted as a crash)"),
    ("stack-smash", None, ("signal", "SIGSYS"), "the stack protector; glibc's abort then ends it at a refused call (counted as a crash)"),
]

BODY = re.compile(rb"\r\n\r\n(.*)", re.S)


def run_action(server, action, target_value=None, timeout=10):
    """Run one action against a started server; returns (outcome, pid, body text)."""
    query = ""
    if isinstance(target_value, int):
        query = f"?pid={target_value}"
    elif isinstance(target_value, str):
        query = "?path=" + "".join(c if c.isalnum() or c in "/._-" else "%%%02X" % ord(c) for c in target_value)
    request = f"GET /__escape/{action}{query} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    data = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(request)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
    match = BODY.search(data)
    body = match.group(1).decode("latin-1") if match else ""
    pid_match = re.search(r"^pid=(\d+)$", body, re.M)
    if not pid_match:
        raise AssertionError(f"{action}: no pid line in {data!r}")
    pid = int(pid_match.group(1))
    result = re.search(r"^result=(ok|errno) ?(\S*)", body, re.M)
    if result and result.group(1) == "ok":
        return ("ok",), pid, body
    if result:
        return ("errno", result.group(2)), pid, body
    line = server.wait_for_log(rf"child pid={pid} .*signal=\d+ \((SIG\w+)\)", timeout=timeout)[0]
    return ("signal", re.search(r"\((SIG\w+)\)", line).group(1)), pid, body
