#!/usr/bin/env python3
"""check_pure.py: the system-call-free modules call nothing that could make a system call.

Usage: check_pure.py ALLOWLIST OBJECT...

Reads every object's undefined symbols with nm(1). A symbol passes when one of
the objects given defines it (a call between two checked modules), when the
allowlist names it (tests/purity/pure_symbols.txt: C library functions that run
entirely in user space), or when the allowlist names it for that object alone
("http_date.o time"). Anything else is printed, one line per object and symbol,
and the exit status is 1; 0 when every object passes, 2 on a usage error or
when nm fails.
Must not: pass an object nm could not read, or accept a symbol by a prefix.
"""
import os
import subprocess
import sys


def read_allowlist(path):
    everywhere, per_object = set(), set()
    with open(path, encoding="utf-8") as allowlist:
        for number, line in enumerate(allowlist, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0].endswith(".o"):
                if len(words) < 2:
                    sys.exit(f"{path}:{number}: expected OBJECT.o SYMBOL")
                per_object.add((words[0], words[1]))
            else:
                everywhere.add(words[0])
    return everywhere, per_object


def symbols(path, which):
    """Global symbols of one object: which is "-u" (undefined) or "--defined-only"."""
    result = subprocess.run(["nm", "-P", which, path], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"check_pure: nm cannot read {path}: {result.stderr.strip()}")
    names = set()
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and (which == "-u" or fields[1].isupper()):
            names.add(fields[0])
    return names


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    everywhere, per_object = read_allowlist(argv[1])
    objects = argv[2:]
    defined = set().union(*(symbols(path, "--defined-only") for path in objects))
    offences = []
    for path in objects:
        name = os.path.basename(path)
        for symbol in sorted(symbols(path, "-u")):
            if symbol in defined or symbol in everywhere or (name, symbol) in per_object:
                continue
            offences.append(f"{path}: calls {symbol}, which is not known to be free of system calls")
    for offence in offences:
        print(f"purity: {offence}")
    if offences:
        print(f"purity: {len(offences)} call(s) outside {argv[1]}")
        return 1
    print(f"purity: {len(objects)} objects call no function outside {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
