#!/usr/bin/env python3
"""matrix.py: run every escape action against the lab build with each layer removed
in turn, and write the resulting matrix (docs/layers.md's table).

Usage: matrix.py [--write docs/layers.md] [--binary build/prong-lab]
Prints the markdown table; with --write, replaces the table between the
BEGIN/END markers of the given file. Run as root. tests/live/test_layers.py
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

CONFIGURATIONS = [
    ("all layers", []),
    ("without chroot", ["--lab-without", "chroot"]),
    ("without seccomp", ["--lab-without", "seccomp"]),
    ("without Landlock", ["--lab-without", "landlock"]),
    ("without the privilege drop", ["--lab-without", "capabilities"]),
]
BEGIN, END = "<!-- BEGIN MATRIX -->", "<!-- END MATRIX -->"
KERNEL_DEPENDENT = {"int80"}  # SIGSEGV where the kernel has no IA-32 emulation


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
                       "port": jail.server.port}
            outcome, _, _ = run_action(jail.server, action, targets.get(target))
            if os.environ.get("MATRIX_DEBUG"):
                print(flags, action, target, outcome, file=sys.stderr)
            cell = describe(outcome, expected)
            if target in ("sibling", "supervisor"):
                time.sleep(0.1)  # a signal takes effect after the call returns
            if action == "tgkill-abort" and outcome == ("ok",):
                cell = "sent, ignored"  # every jailed process ignores SIGABRT
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
        if expected != ("ok",) and escaped_in == ["without seccomp"]:
            only.append(f"`{action}`" + (f" ({target})" if target else ""))
    lines.append("")
    lines.append("Attacks that only seccomp stops (they succeed when seccomp alone is removed): "
                 + (", ".join(only) if only else "none") + ".")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "prong-lab"))
    parser.add_argument("--write", help="a markdown file holding the BEGIN/END MATRIX markers")
    arguments = parser.parse_args()
    table = build_table(arguments.binary)
    print(table, end="")
    if arguments.write:
        with open(arguments.write) as f:
            text = f.read()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        with open(arguments.write, "w") as f:
            f.write(text[:start] + "\n" + table + text[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
