#!/usr/bin/env python3
"""run_golden.py: checks build/parse-request against tests/parser/golden/.

What it does: for every NAME.req in the golden directory, runs
`parse-request < NAME.req` and requires exit status 0, nothing on standard
error, and standard output byte-for-byte equal to NAME.json (one line of
JSON). Then it checks that a usage error (an extra argument) exits 2 and
prints nothing on standard output. Finally it checks that the golden files
themselves pin the whole format of docs/conformance.md ("build/parse-request"):
the keys appear in the documented order, every optional key is both present
and absent somewhere, all three results occur, and the Latin-1 escaping of
bytes >= 0x80 and of control bytes is exercised.

Contract: usage `run_golden.py PARSE_REQUEST GOLDEN_DIR CONFORMANCE_DOC`;
prints one line per failure and a summary line; exits 0 only when every check
passed, 1 otherwise, 2 on a usage error. Standard library only.

Must not: write into the golden directory or regenerate expected output from
the tool (the .json files are written by hand from the doc).
"""
import json
import os
import re
import subprocess
import sys

failures = []
checks = 0


def check(condition, message):
    global checks
    if condition:
        checks += 1
    else:
        failures.append(message)
    return condition


def documented_keys(doc_path):
    """The key column of the table under "## `build/parse-request`", in order."""
    with open(doc_path, encoding="utf-8") as doc:
        text = doc.read()
    section = text.split("## `build/parse-request`", 1)
    if len(section) != 2:
        sys.exit(f"run_golden: {doc_path} has no build/parse-request section")
    keys = re.findall(r"^\| `([a-z_]+)` \|", section[1], flags=re.MULTILINE)
    if not keys:
        sys.exit(f"run_golden: no key table in {doc_path}")
    return keys


def run(tool, arguments, stdin_bytes):
    return subprocess.run([tool, *arguments], input=stdin_bytes, capture_output=True, timeout=20)


def check_pair(tool, directory, name):
    with open(os.path.join(directory, name + ".req"), "rb") as request_file:
        request = request_file.read()
    with open(os.path.join(directory, name + ".json"), "rb") as expected_file:
        expected = expected_file.read()
    done = run(tool, [], request)
    check(done.returncode == 0, f"{name}: exit status {done.returncode}, expected 0")
    check(done.stderr == b"", f"{name}: wrote to standard error: {done.stderr[:200]!r}")
    check(done.stdout == expected,
          f"{name}: output differs\n  expected {expected!r}\n  got      {done.stdout!r}")
    return expected


def check_format(name, expected, keys):
    """The expected line itself must follow the documented format."""
    check(expected.endswith(b"\n") and expected.count(b"\n") == 1, f"{name}.json: not exactly one line")
    check(all(byte < 0x80 for byte in expected), f"{name}.json: not plain ASCII")
    try:
        document = json.loads(expected.decode("ascii"))
    except ValueError as error:
        check(False, f"{name}.json: not valid JSON ({error})")
        return None
    present = list(document)
    order = [key for key in keys if key in present]
    check(present == order and set(present) <= set(keys),
          f"{name}.json: keys {present} are not in the documented order {keys}")
    required = {"complete": ["result", "status", "consumed", "method", "target", "raw_target",
                             "version", "keep_alive", "headers"],
                "incomplete": ["result", "status"],
                "error": ["result", "status", "reason"]}
    result = document.get("result")
    if check(result in required, f"{name}.json: unknown result {result!r}"):
        check(all(key in document for key in required[result]),
              f"{name}.json: a {result} answer needs {required[result]}")
        allowed = set(required[result]) | ({"query", "authority"} if result == "complete" else set())
        check(set(document) <= allowed, f"{name}.json: keys {sorted(set(document) - allowed)} do not apply")
        check((document["status"] == 0) == (result != "error"), f"{name}.json: status does not fit {result}")
    return document


def main():
    if len(sys.argv) != 4:
        print("usage: run_golden.py PARSE_REQUEST GOLDEN_DIR CONFORMANCE_DOC", file=sys.stderr)
        return 2
    tool, directory, doc_path = sys.argv[1:]
    keys = documented_keys(doc_path)
    names = sorted(entry[:-4] for entry in os.listdir(directory) if entry.endswith(".req"))
    answers = sorted(entry[:-5] for entry in os.listdir(directory) if entry.endswith(".json"))
    check(names == answers, f"golden: .req and .json files do not pair up: "
                            f"{sorted(set(names) ^ set(answers))}")
    check(len(names) >= 20, f"golden: only {len(names)} pairs, expected about 20")

    documents = []
    for name in names:
        if not os.path.exists(os.path.join(directory, name + ".json")):
            continue
        expected = check_pair(tool, directory, name)
        document = check_format(name, expected, keys)
        if document is not None:
            documents.append((name, expected, document))

    # A usage error: an extra argument exits 2 and prints no JSON.
    done = run(tool, ["extra-argument"], b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    check(done.returncode == 2, f"usage error: exit status {done.returncode}, expected 2")
    check(done.stdout == b"", f"usage error: printed {done.stdout!r} on standard output")
    check(done.stderr != b"", "usage error: no message on standard error")

    # Coverage of the format: each result, each optional key present and absent.
    results = {document["result"] for _, _, document in documents}
    check(results == {"complete", "incomplete", "error"}, f"golden: results covered {sorted(results)}")
    complete = [document for _, _, document in documents if document["result"] == "complete"]
    for key in ("query", "authority"):
        check(any(key in document for document in complete), f"golden: no complete answer with {key}")
        check(any(key not in document for document in complete), f"golden: no complete answer without {key}")
    check(any(document["headers"] == [] for document in complete), "golden: no answer with an empty headers list")
    check(any(len(document["headers"]) > 1 for document in complete), "golden: no answer with several headers")
    check(any(document["keep_alive"] is False for document in complete), "golden: keep_alive false never pinned")
    check(any(document["keep_alive"] is True for document in complete), "golden: keep_alive true never pinned")
    lines = b"".join(expected for _, expected, _ in documents)
    check(re.search(rb"\\u00[89a-f][0-9a-f]", lines) is not None, "golden: no byte >= 0x80 escaped as \\u00XX")
    check(re.search(rb"\\u00[01][0-9a-f]", lines) is not None, "golden: no control byte escaped as \\u00XX")
    check(b'\\"' in lines and b"\\\\" in lines, "golden: quote and backslash escapes never pinned")

    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"golden: {len(names)} pairs, {checks} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
