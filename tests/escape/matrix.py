#!/usr/bin/env python3
"""matrix.py: run every escape action against the lab build with each layer removed
in turn, and write the resulting matrix (docs/layers.md's table); then every
attack on a seam between the processes (seams.py), with its defence and with
the lab build's sabotage of it (docs/layers.md's second table).

Usage: matrix.py [--write docs/layers.md] [--binary build/prong-lab] [--test-binary build/prong-test]
Prints the markdown tables; with --write, replaces the tables between the
BEGIN/END MATRIX and BEGIN/END SEAMS markers of the given file. Run as root. tests/live/test_layers.py
runs it and fails if docs/layers.md no longer matches what the jail does.
"""
import argparse
import os
import shutil
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "live"))
from actions import ACTIONS, run_action  # noqa: E402
from harness import Server, make_root, running  # noqa: E402
import seams  # noqa: E402

CONFIGURATIONS = [
    ("all layers", []),
    ("without chroot", ["--lab-without", "chroot"]),
    ("without seccomp", ["--lab-without", "seccomp"]),
    ("without Landlock", ["--lab-without", "landlock"]),
    ("without the privilege drop", ["--lab-without", "capabilities"]),
]
BEGIN, END = "<!-- BEGIN MATRIX -->", "<!-- END MATRIX -->"
KERNEL_DEPENDENT = {"int80"}  # SIGSEGV where the kernel has no IA-32 emulation
# Cells of the "without seccomp" column that Landlock decides, and the ABI it
# needs for them (landlock(7)): below it, the attack succeeds there.
LANDLOCK_ABI_NEEDED = {
    ("connect-loopback", "port"): 4,  # LANDLOCK_ACCESS_NET_CONNECT_TCP
    ("kill", "sibling"): 6,  # LANDLOCK_SCOPE_SIGNAL
    ("kill", "supervisor"): 6,
    ("tgkill-abort", "sibling"): 6,
    ("tgkill-abort", "supervisor"): 6,
    ("tgkill-kill", "sibling"): 6,
}


def describe(outcome, expected_stop):
    """A cell: how the attack ended. Success of an attack is 'ESCAPED'."""
    if outcome == ("ok",):
        return "works" if expected_stop == ("ok",) else "**ESCAPED**"
    return outcome[1]


class Jail:
    """A lab server and a sibling connection, restarted when an attack kills them."""

    def __init__(self, binary, flags):
        self.binary, self.flags = binary, flags
        self.root = make_root({"index.html": b"inside the jail\n"})
        self.server = self.sibling_socket = None

    def start(self):
        self.server = Server(self.root, "--crash-limit", "0", *self.flags, binary=self.binary).start()
        self.open_sibling()

    def open_sibling(self):
        if self.sibling_socket:
            self.sibling_socket.close()
        known = set(self.server.children())
        self.sibling_socket = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        for _ in range(500):
            fresh = [pid for pid in self.server.children() if pid not in known]
            if fresh:
                self.sibling = fresh[0]
                return
            time.sleep(0.01)
        raise AssertionError("no sibling connection process")

    def stop(self):
        if self.sibling_socket:
            self.sibling_socket.close()
        if self.server:
            self.server.__exit__(None, None, None)
        self.server = self.sibling_socket = None

    def close(self):
        self.stop()
        shutil.rmtree(self.root, True)


def run_configuration(binary, flags, outside_file):
    jail = Jail(binary, flags)
    results = {}
    try:
        jail.start()
        for action, target, expected, _ in ACTIONS:
            supervisor = jail.server.supervisor_pid()
            targets = {"sibling": jail.sibling, "supervisor": supervisor, "outside": outside_file,
                       "inside": "index.html", "port": jail.server.port}
            outcome, _, _ = run_action(jail.server, action, targets.get(target))
            if os.environ.get("MATRIX_DEBUG"):
                print(flags, action, target, outcome, file=sys.stderr)
            cell = describe(outcome, expected)
            if target in ("sibling", "supervisor"):
                time.sleep(0.1)  # a signal takes effect after the call returns
            if not running(supervisor) or jail.server.process.poll() is not None:
                cell = "**ESCAPED** (killed the supervisor)"
                jail.stop()
                jail.start()
            elif not running(jail.sibling):
                cell = "**ESCAPED** (killed the sibling)"
                jail.open_sibling()
            results[(action, target)] = cell
    finally:
        jail.close()
    return results


def build_table(binary):
    outside_dir = make_root({"secret": b"outside the jail\n"})
    os.chmod(outside_dir, 0o1777)  # anyone may write here, as in /tmp: only the jail stops create-outside
    try:
        columns = [(name, run_configuration(binary, flags, os.path.join(outside_dir, "secret")))
                   for name, flags in CONFIGURATIONS]
    finally:
        shutil.rmtree(outside_dir, True)
    lines = ["| attack | target | " + " | ".join(name for name, _ in columns) + " | stopped by (all layers) |",
             "|---|---|" + "---|" * len(columns) + "---|"]
    for action, target, _, layer in ACTIONS:
        cells = [results[(action, target)] for _, results in columns]
        lines.append(f"| `{action}` | {target or ''} | " + " | ".join(cells) + f" | {layer} |")
    only = []
    for action, target, expected, _ in ACTIONS:
        escaped_in = [name for name, results in columns if results[(action, target)].startswith("**ESCAPED**")]
        if action in KERNEL_DEPENDENT or (action, target) in LANDLOCK_ABI_NEEDED:
            continue  # the kernel decides whether it is listed: see docs/layers.md
        if expected != ("ok",) and escaped_in == ["without seccomp"]:
            only.append(f"`{action}`" + (f" ({target})" if target else ""))
    lines.append("")
    lines.append("Attacks that only seccomp stops on any kernel (they succeed when seccomp alone is removed): "
                 + (", ".join(only) if only else "none") + ".")
    return "\n".join(lines) + "\n"


SEAM_FILES = {"index.html": b"inside the jail\n", "big.bin": b"\0" * (8 << 20)}


def build_seams_table(test_binary, lab_binary):
    """The seams' table (tests/escape/seams.py), in a root of its own."""
    root = make_root(SEAM_FILES)
    try:
        return seams.build_table(test_binary, lab_binary, root)
    finally:
        shutil.rmtree(root, True)


def replace_between(text, begin, end, table):
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + table + text[stop:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "prong-lab"))
    parser.add_argument("--test-binary", default=os.path.join(REPO, "build", "prong-test"))
    parser.add_argument("--write", help="a markdown file holding the BEGIN/END MATRIX and SEAMS markers")
    arguments = parser.parse_args()
    table = build_table(arguments.binary)
    seams_table = build_seams_table(arguments.test_binary, arguments.binary)
    print(table + "\n" + seams_table, end="")
    if arguments.write:
        with open(arguments.write) as f:
            text = f.read()
        text = replace_between(text, BEGIN, END, table)
        text = replace_between(text, seams.BEGIN, seams.END, seams_table)
        with open(arguments.write, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
