#!/usr/bin/env python3
"""sync_tables.py: the documents' flag and limit tables are what build/doc-tables prints.

Usage: sync_tables.py [--write] DOC_TABLES_BINARY

Each document holds its table between "<!-- BEGIN TABLE NAME -->" and
"<!-- END TABLE NAME -->" markers; NAME is the doc-tables argument (flags,
limits, parser-limits). Without --write, prints every difference and exits 1 if
there is one (make test); with --write, rewrites the tables in place (make docs).
Must not: touch anything outside the markers.
"""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENTS = {"README.md": ["flags"], "SECURITY.md": ["limits"], "docs/conformance.md": ["parser-limits"]}


def section(text, name):
    begin, end = f"<!-- BEGIN TABLE {name} -->\n", f"<!-- END TABLE {name} -->"
    if begin not in text or end not in text:
        raise SystemExit(f"sync_tables: the markers of table '{name}' are missing")
    start = text.index(begin) + len(begin)
    return start, text.index(end, start)


def main():
    write = "--write" in sys.argv[1:]
    binary = [argument for argument in sys.argv[1:] if argument != "--write"][0]
    differences = 0
    for document, names in DOCUMENTS.items():
        path = os.path.join(REPO, document)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name in names:
            wanted = subprocess.run([binary, name], check=True, capture_output=True, text=True).stdout
            start, end = section(text, name)
            if text[start:end] == wanted:
                continue
            differences += 1
            if write:
                text = text[:start] + wanted + text[end:]
            else:
                print(f"{document}: table '{name}' differs from {binary} {name}; run make docs")
        if write:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if not write and differences:
        return 1
    print(f"doc tables: {'rewritten' if write else 'every table matches the flag table'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
