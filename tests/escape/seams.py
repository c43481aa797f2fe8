"""seams.py: attacks on the seams between prong's processes, as scenarios.

Shared by tests/live/test_seams.py (each defence holds, and its removal shows
what it stops) and tests/escape/matrix.py (docs/layers.md's table of the seams).
Each scenario starts the given binary (build/prong-test, or build/prong-lab
with a --lab-sabotage flag), makes a jailed connection process attack one
seam, and returns a Result: whether the defence held, a short cell text, and
the server's log lines for the tests' closer checks. Standard library only.
Must not: leave a process behind (hung children are killed by pid).
"""
import os
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "attack"))
import hostile  # noqa: E402
from actions import run_action  # noqa: E402
from harness import Server, http_request, running  # noqa: E402

FLOOD_REQUESTS = 10  # --max-requests for the flood: its quota is this + 16 messages


@dataclass
class Result:
    held: bool
    cell: str
    lines: list = field(default_factory=list)
    pid: int = 0
    details: dict = field(default_factory=dict)


def start_action(server, action, query="", source="127.0.0.1"):
    """Send an escape action from source; return (socket, the child's pid) without
    waiting for its result, for actions that do not end by themselves."""
    sock = hostile.connect_from(source, server.port)
    sock.sendall(f"GET /__escape/{action}{query} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    data = b""
    deadline = time.monotonic() + 10
    while b"action=" not in data and time.monotonic() < deadline:
        data += sock.recv(4096)
    return sock, int(re.search(rb"pid=(\d+)", data).group(1))


def kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def forge(binary, root, flags=()):
    """Forged supervisor lines, escapes, another client's record (escape_seams.c)."""
    with Server(root, *flags, binary=binary) as server:
        outcome, pid, _ = run_action(server, "log-forge")
        http_request(server.port, path="/index.html")
        server.wait_for_log(r'"GET /index\.html HTTP/1\.1" 200')
        time.sleep(1.5)  # the monitor reports what it dropped once a second
        lines = server.log_lines()
    forged = [l for l in lines if re.match(r"^(\S+ )?prong\[supervisor 1\]", l)]
    raw = [l for l in lines if "\x1b" in l]
    other = [l for l in lines if "forged-client" in l]
    held = outcome == ("ok",) and not forged and not raw and not other
    cell = "written as the child's own, escaped; forgeries dropped" if held else \
        "**FORGED** (" + ", ".join(w for w, bad in (("a supervisor line", forged), ("raw escapes", raw),
                                                    ("another client's line", other)) if bad) + ")"
    return Result(held, cell, lines, pid)


def flood(binary, root, flags=()):
    """As many messages as it can write: stopped at its quota, and killed."""
    with Server(root, "--max-requests", str(FLOOD_REQUESTS), "--log-children", *flags, binary=binary) as server:
        sock, pid = start_action(server, "log-flood")
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and running(pid):
                time.sleep(0.1)
            alive = running(pid)
            served = [http_request(server.port, path=f"/index.html?after-{n}")[0] for n in range(3)]
            # Other clients' lines: kept by the quota; crowded out by a flood
            # that is not stopped (their senders find the channel full).
            others_logged = all(logged(server, rf'"GET /index\.html\?after-{n} HTTP/1\.1" 200')
                                for n in range(3))
            time.sleep(1.2)
            lines = server.log_lines()
        finally:
            sock.close()
            kill_quietly(pid)
    written = len([l for l in lines if "FFFFFFFFFFFFFFFF" in l])
    held = not alive and written <= FLOOD_REQUESTS + 16 and served == [200] * 3 and others_logged
    cell = "cut at its quota, its sender killed, others' lines kept" if held else \
        f"**FLOODED** ({'over its quota' if written > FLOOD_REQUESTS + 16 else 'others lines lost'}" \
        f"{', its sender alive' if alive else ''})"
    return Result(held, cell, lines, pid, {"written": written, "alive": alive, "others_logged": others_logged})


def logged(server, pattern, timeout=10):
    """Whether a line matching pattern is written within timeout."""
    try:
        server.wait_for_log(pattern, timeout=timeout)
        return True
    except AssertionError:
        return False


def hang(binary, root, flags=()):
    """Every slot held by children that ignore the cut of their socket."""
    pids, sockets = [], []
    with Server(root, "--max-children", "4", "--max-per-ip", "0", "--log-children", *flags,
                binary=binary) as server:
        try:
            for n in range(4):  # four clients: the fair share lets a fifth evict one of them
                sock, pid = start_action(server, "hang", source=f"127.0.{n + 1}.1")
                sockets.append(sock)
                pids.append(pid)
            started = time.monotonic()
            with hostile.connect_from("127.0.9.1", server.port) as newcomer:
                newcomer.sendall(hostile.request("/index.html", close=True))
                status = hostile.status_of(hostile.read_until_close(newcomer, 20)[0])
            waited = time.monotonic() - started
            survivors = [pid for pid in pids if running(pid)]
            lines = server.log_lines()
        finally:
            for sock in sockets:
                sock.close()
            for pid in pids:
                kill_quietly(pid)
    held = status == 200 and waited < 10
    cell = "the one evicted is killed; the newcomer is served" if held else \
        f"**HELD** (the newcomer got {status}; {len(survivors)} of 4 hung children alive)"
    return Result(held, cell, lines, 0, {"pids": pids, "survivors": survivors, "status": status})


# escape_seams.h's SEAM_WORD_MASK: the word sought travels masked, so the
# child's parsed copy of the request is not a copy of the word.
WORD_MASK = 0xa5c3f00f5a3c0ff0


def monitor_canary(monitor):
    """The monitor's canary (AT_RANDOM's first 8 bytes, low byte zeroed, as glibc
    sets it) and its AT_RANDOM bytes, read as root through /proc."""
    with open(f"/proc/{monitor}/auxv", "rb") as f:
        auxv = f.read()
    at_random = next(int.from_bytes(auxv[i + 8:i + 16], "little") for i in range(0, len(auxv), 16)
                     if int.from_bytes(auxv[i:i + 8], "little") == 25)  # AT_RANDOM
    with open(f"/proc/{monitor}/mem", "rb") as f:
        f.seek(at_random)
        random_bytes = f.read(16)
    return int.from_bytes(random_bytes[:8], "little") & ~0xff, random_bytes


def secrets(binary, root, flags=()):
    """AT_RANDOM and the monitor's canary, looked for in a connection process."""
    with Server(root, *flags, binary=binary) as server:
        canary, monitor_random = monitor_canary(server.pid)
        _, _, body = run_action(server, "at-random")
        child_random = re.search(r"at_random=([0-9a-f]{32})", body).group(1)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(f"GET /__escape/find-word?value={canary ^ WORD_MASK:x} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            data, _ = hostile.read_until_close(sock, 10)
        found = int(re.search(rb"result=ok (\d+)", data).group(1))
        lines = server.log_lines()
    held = child_random == "0" * 32 and found == 0
    cell = "AT_RANDOM cleared; the monitor's canary nowhere" if held else \
        f"**FOUND** (AT_RANDOM {'cleared' if child_random == '0' * 32 else 'readable'}" \
        f"{', the canary on its stack' if found else ''})"
    return Result(held, cell, lines, 0, {"child_random": child_random, "found": found,
                                         "monitor_random": monitor_random})


def fair_share(binary, root, flags=()):
    """Four addresses hold every slot with two slow downloads each."""
    sockets = []
    with Server(root, "--max-children", "8", "--max-per-ip", "2", "--max-per-prefix", "0",
                "--min-send-rate", "1", "--send-window", "60", "--log-children", *flags,
                binary=binary) as server:
        try:
            for address in ("127.0.1.1", "127.0.2.1", "127.0.3.1", "127.0.4.1"):
                for _ in range(2):
                    sock = hostile.connect_from(address, server.port, rcvbuf=4096)
                    sockets.append(sock)
                    sock.sendall(hostile.request("/big.bin"))
                    hostile.ResponseStream(sock).wait_for_head(time.monotonic() + 10)
            server.wait_for_exactly(8)
            with hostile.connect_from("127.0.1.1", server.port) as heavy:
                heavy.sendall(hostile.request("/index.html", close=True))
                heavy_status = hostile.status_of(hostile.read_until_close(heavy, 10)[0])
            started = time.monotonic()
            with hostile.connect_from("127.0.5.1", server.port) as newcomer:
                newcomer.sendall(hostile.request("/index.html", close=True))
                status = hostile.status_of(hostile.read_until_close(newcomer, 20)[0])
            waited = time.monotonic() - started
            lines = server.log_lines()
        finally:
            for sock in sockets:
                sock.close()
    held = status == 200 and waited < 10
    cell = "a slow reader of the heaviest evicted; the newcomer is served" if held else \
        f"**LOCKED OUT** (the newcomer got {status})"
    return Result(held, cell, lines, 0, {"heavy_status": heavy_status, "status": status})


# (row, attack, scenario, the defence, the lab flags that remove it)
SEAMS = [
    ("log channel: forgery", "forged supervisor lines, escapes, another client's access line", forge,
     "the monitor's checks: sender from the kernel, its own escaping", ["--lab-sabotage", "log-checks"]),
    ("log channel: flood", "messages as fast as it can write", flood,
     "the monitor's quota per connection process, and the kill it asks for", ["--lab-sabotage", "log-checks"]),
    ("the kill", "four children ignore their cut socket, --max-children 4", hang,
     "SIGKILL through the supervisor's pidfd", ["--lab-sabotage", "kill"]),
    ("the fair share", "four addresses hold all 8 slots with slow downloads", fair_share,
     "eviction in any phase from the client holding the most", ["--lab-sabotage", "fair-share"]),
    ("the monitor's secrets", "look for AT_RANDOM and the monitor's canary", secrets,
     "the supervisor clears them before any child exists", ["--lab-sabotage", "secrets"]),
]


BEGIN, END = "<!-- BEGIN SEAMS -->", "<!-- END SEAMS -->"


def build_table(test_binary, lab_binary, root):
    """docs/layers.md's table of the seams: each attack against the defence,
    and against the lab build with that defence removed."""
    lines = ["| seam | the attack (from a jailed connection process) | with the defence | defence removed "
             "| the defence |",
             "|---|---|---|---|---|"]
    for row, attack, scenario, defence, sabotage in SEAMS:
        held = scenario(test_binary, root)
        removed = scenario(lab_binary, root, sabotage)
        lines.append(f"| {row} | {attack} | {held.cell} | {removed.cell} | {defence} |")
    return "\n".join(lines) + "\n"
