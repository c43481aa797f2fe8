#!/usr/bin/env python3
"""sync_tables.py: the documents' generated sections are what their one source says.

Usage: sync_tables.py [--write] DOC_TABLES_BINARY

Two kinds of section, each between a BEGIN and an END marker:
  - "<!-- BEGIN TABLE NAME -->" ... "<!-- END TABLE NAME -->": what
    `DOC_TABLES_BINARY NAME` prints (flags, limits, parser-limits), from the
    one flag table;
  - "<!-- BEGIN FILE PATH -->" ... "<!-- END FILE PATH -->": the repository's
    file PATH, whole, in a fenced block (the logrotate recipe that make install
    and the package ship, shown in three documents).
Without --write, prints every difference and exits 1 if there is one (make
test); with --write, rewrites the sections in place (make docs).
Must not: touch anything outside the markers.
"""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGROTATE = "packaging/prong.logrotate"
# Each document's sections: ("TABLE", doc-tables argument) or ("FILE", repository path).
DOCUMENTS = {
    "README.md": [("TABLE", "flags"), ("FILE", LOGROTATE)],
    "SECURITY.md": [("TABLE", "limits")],
    "docs/conformance.md": [("TABLE", "parser-limits")],
    "docs/deploy.md": [("FILE", LOGROTATE)],
    "docs/logging.md": [("FILE", LOGROTATE)],
}


def section(text, kind, name):
    begin, end = f"<!-- BEGIN {kind} {name} -->\n", f"<!-- END {kind} {name} -->"
    if text.count(begin) != 1 or text.count(end) != 1:
        raise SystemExit(f"sync_tables: the markers of {kind.lower()} '{name}' are missing or repeated")
    start = text.index(begin) + len(begin)
    return start, text.index(end, start)


def wanted_text(kind, name, binary):
    """What the section must hold: doc-tables' output, or the file in a fenced block."""
    if kind == "TABLE":
        return subprocess.run([binary, name], check=True, capture_output=True, text=True).stdout
    with open(os.path.join(REPO, name), encoding="utf-8") as f:
        content = f.read()
    if "```" in content or not content.endswith("\n"):
        raise SystemExit(f"sync_tables: {name} cannot be shown in a fenced block (``` inside, or no final newline)")
    return f"```\n{content}```\n"


def main():
    write = "--write" in sys.argv[1:]
    binary = [argument for argument in sys.argv[1:] if argument != "--write"][0]
    differences = 0
    for document, names in DOCUMENTS.items():
        path = os.path.join(REPO, document)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for kind, name in names:
            wanted = wanted_text(kind, name, binary)
            start, end = section(text, kind, name)
            if text[start:end] == wanted:
                continue
            differences += 1
            if write:
                text = text[:start] + wanted + text[end:]
            else:
                source = f"{binary} {name}" if kind == "TABLE" else name
                print(f"{document}: {kind.lower()} '{name}' differs from {source}; run make docs")
        if write:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if not write and differences:
        return 1
    print(f"doc tables: {'rewritten' if write else 'every table matches the flag table, every copy its file'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
