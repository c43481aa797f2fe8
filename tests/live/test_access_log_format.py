"""test_access_log_format.py: --access-log-format combined|json against the real binary.

What it shows (docs/logging.md, "Access log" and "JSON lines"):
  - with `--access-log-format json` every access-log line is one JSON object
    (json.loads), pure printable ASCII, with the documented members in order;
    a hostile User-Agent and Referer (quotes, backslashes, a tab, obs-text
    0xff, invalid and valid UTF-8, JSON punctuation meant to close the string
    and the object) decode to exactly the bytes sent (their Latin-1 reading),
    and a quote and backslash in the request line are escaped; the status,
    bytes, reason, client, time and the request line's parts are right;
  - the same requests under the default format and under an explicit
    `--access-log-format combined` give identical lines (once the time and the
    duration are masked), of the combined format test_serving.py checks; and
    each JSON line holds what its combined line holds, field for field (the
    combined line's \\xHH unescaped);
  - a bad value is one line naming --access-log-format, exit 2, before start-up;
  - SIGHUP logs one line naming the files it reopened (and, on standard error,
    that there was no file), and JSON lines go on in the new file.
Every server is stopped and reaped; the log directories are removed.
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from harness import PRONG, LiveTestCase, make_log_directory, parse_responses

MEMBERS = ["time", "client", "request", "method", "target", "protocol", "status", "bytes", "referer",
           "user_agent", "duration_us", "reason", "forwarded"]
INDEX = b"<!doctype html><title>t</title><p>index\n"
HOSTILE_AGENT = b'ua-hostile "q" \\b\\ \ttab \xff\xc3\x28\xc3\x91 "},{"status":200,"x":"'
HOSTILE_REFERER = b'http://r/"\\u0000\\n\x80\xfe"}\n{"forged":1}'
COMBINED = re.compile(r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "([^"\\]|\\x[0-9a-f]{2})*" '
                      r'\d{3} \d+ "([^"\\]|\\x[0-9a-f]{2})*" "([^"\\]|\\x[0-9a-f]{2})*" \d+ \S+ '
                      r'"([^"\\]|\\x[0-9a-f]{2})*"$')
COMBINED_FIELDS = re.compile(r'^(\S+) - - \[([^]]+)\] "((?:[^"\\]|\\x[0-9a-f]{2})*)" (\d{3}) (\d+) '
                             r'"((?:[^"\\]|\\x[0-9a-f]{2})*)" "((?:[^"\\]|\\x[0-9a-f]{2})*)" (\d+) (\S+) '
                             r'"((?:[^"\\]|\\x[0-9a-f]{2})*)"$')

# (request bytes, status, the marker that finds its line). The HOSTILE_REFERER's
# "\n" is the two characters backslash-n: a raw LF would end the field line.
REQUESTS = [
    (b"GET /index.html HTTP/1.1\r\nHost: t\r\nUser-Agent: ua-plain\r\nConnection: close\r\n\r\n", 200, "ua-plain"),
    (b"GET /missing?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: " + HOSTILE_AGENT + b"\r\nReferer: "
     + HOSTILE_REFERER.replace(b"\n", b"\\n") + b"\r\nConnection: close\r\n\r\n", 404, "ua-hostile"),
    (b'GET /a"b\\c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 400, '/a"b\\c'),
    (b"GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: ua-esc \x1b[31mred\r\nConnection: close\r\n\r\n", 400, "esc"),
    (b"\x00GET / HTTP/1.1\r\n\r\n", 400, "nul"),
]
SENT_REFERER = HOSTILE_REFERER.replace(b"\n", b"\\n")


def exchange(port, data):
    """Send one request; read to the server's close. Returns the first status."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
    return parse_responses(received)[0][0]


def wait_for_lines(path, count, timeout=10):
    """The file's lines once it has at least `count` (bytes, split on LF only)."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, "rb") as f:
                lines = f.read().split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            if len(lines) >= count:
                return lines
        time.sleep(0.05)
    raise AssertionError(f"{path}: {len(lines)} lines, expected {count}: {lines!r}")


def unescape_combined(field):
    """A combined-format field back to its bytes: \\xHH is one byte, "-" is absent."""
    if field == "-":
        return None
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), field.encode("ascii"))


def latin1(value):
    return None if value is None else value.encode("latin-1")


class AccessLogFormatTest(LiveTestCase):
    def log_directory(self):
        logs = make_log_directory(self.root)
        self.addCleanup(shutil.rmtree, logs, True)
        return logs

    def serve_requests(self, *flags):
        """Start prong with flags and an access-log file, send REQUESTS, return its lines."""
        access = os.path.join(self.log_directory(), "access.log")
        server = self.server("--access-log", access, *flags)
        for data, status, _ in REQUESTS:
            self.assertEqual(exchange(server.port, data), status, data[:60])
        return wait_for_lines(access, len(REQUESTS))

    # ------------------------------------------------------------ json
    def test_json_lines_are_json_with_hostile_fields_escaped(self):
        before = int(time.time())
        lines = self.serve_requests("--access-log-format", "json")
        after = int(time.time())
        self.assertEqual(len(lines), len(REQUESTS), lines)
        records = []
        for line in lines:
            self.assertTrue(all(0x20 <= byte <= 0x7e for byte in line), f"a byte outside printable ASCII: {line!r}")
            record = json.loads(line.decode("ascii"))
            self.assertEqual(list(record), MEMBERS, line)
            records.append(record)

        def find(marker):
            found = [r for r in records if marker in (r["user_agent"] or "") or marker in (r["request"] or "")
                     or marker == r["reason"] or (marker == "nul" and r["reason"] == "nul-byte")]
            self.assertEqual(len(found), 1, f"{marker}: {records}")
            return found[0]

        for record in records:
            self.assertEqual(record["client"], "127.0.0.1")
            stamp = datetime.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%SZ")
            seconds = int(stamp.replace(tzinfo=datetime.timezone.utc).timestamp())
            self.assertTrue(before <= seconds <= after, (record["time"], before, after))
            self.assertIsInstance(record["duration_us"], int)
            self.assertIsNone(record["forwarded"])  # the peer is no --trusted-proxy

        plain = find("ua-plain")
        self.assertEqual((plain["request"], plain["method"], plain["target"], plain["protocol"]),
                         ("GET /index.html HTTP/1.1", "GET", "/index.html", "HTTP/1.1"))
        self.assertEqual((plain["status"], plain["bytes"], plain["reason"], plain["referer"]),
                         (200, len(INDEX), None, None))

        hostile = find("ua-hostile")
        self.assertEqual(latin1(hostile["user_agent"]), HOSTILE_AGENT)
        self.assertEqual(latin1(hostile["referer"]), SENT_REFERER)
        self.assertEqual((hostile["status"], hostile["reason"], hostile["target"]), (404, "not-found", "/missing?x=1"))
        self.assertNotIn("forged", hostile)
        self.assertNotIn(b'"status":200', lines[records.index(hostile)].replace(b'\\"', b""),
                         "the agent's punctuation closed the string")

        quoted = find('/a"b\\c')
        self.assertEqual(quoted["request"], 'GET /a"b\\c HTTP/1.1')
        self.assertEqual((quoted["status"], quoted["reason"]), (400, "bad-target"))
        self.assertIn(rb'"request":"GET /a\"b\\c HTTP/1.1"', lines[records.index(quoted)])

        escaped = [r for r in records if r["reason"] == "bad-field-value"]
        self.assertEqual(len(escaped), 1, records)  # ESC in a field value: refused, the agent not logged
        self.assertIsNone(escaped[0]["user_agent"])

        nul = find("nul")
        self.assertEqual((nul["request"], nul["method"], nul["status"]), (None, None, 400))

    # ------------------------------------------------------------ combined
    def test_combined_is_the_default_and_unchanged(self):
        default = self.serve_requests()
        explicit = self.serve_requests("--access-log-format", "combined")
        as_json = self.serve_requests("--access-log-format", "json")

        def masked(line):  # the time and the duration differ between runs
            text = line.decode("ascii")
            match = COMBINED_FIELDS.match(text)
            self.assertIsNotNone(match, text)
            return (text[:match.start(2)] + "TIME" + text[match.end(2):match.start(8)] + "DURATION"
                    + text[match.end(8):])

        for line in default + explicit:
            self.assertRegex(line.decode("ascii"), COMBINED)
        self.assertEqual(sorted(map(masked, default)), sorted(map(masked, explicit)),
                         "--access-log-format combined differs from the default")
        hostile = [line.decode("ascii") for line in default if b"ua-hostile" in line]
        self.assertEqual(len(hostile), 1, default)
        self.assertRegex(hostile[0], r'^127\.0\.0\.1 - - \[[^]]+\] "GET /missing\?x=1 HTTP/1\.1" 404 68 '
                         r'"http://r/\\x22\\x5cu0000\\x5cn\\x80\\xfe\\x22}\\x5cn{\\x22forged\\x22:1}" '
                         r'"ua-hostile \\x22q\\x22 \\x5cb\\x5c \\x09tab \\xff\\xc3\(\\xc3\\x91 '
                         r'\\x22},{\\x22status\\x22:200,\\x22x\\x22:\\x22" \d+ not-found "-"$')

        # Field for field, each JSON line holds what its combined line holds.
        combined = {}
        for line in default:
            match = COMBINED_FIELDS.match(line.decode("ascii"))
            combined[unescape_combined(match.group(3))] = match
        for line in as_json:
            record = json.loads(line)
            match = combined[latin1(record["request"])]
            self.assertEqual(record["client"], match.group(1))
            self.assertEqual((record["status"], record["bytes"]), (int(match.group(4)), int(match.group(5))))
            self.assertEqual(latin1(record["referer"]), unescape_combined(match.group(6)))
            self.assertEqual(latin1(record["user_agent"]), unescape_combined(match.group(7)))
            self.assertEqual(record["reason"], None if match.group(9) == "-" else match.group(9))
            self.assertEqual(latin1(record["forwarded"]), unescape_combined(match.group(10)))

    # ------------------------------------------------------------ bad values
    def test_bad_value_is_one_line_and_exit_2(self):
        for value in ("xml", "JSON", "json ", ""):
            with self.subTest(value=value):
                done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0",
                                       "--access-log-format", value, "--check"],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 2, done.stdout)
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertIn("--access-log-format", done.stderr)
                self.assertEqual(done.stdout, "")
        # Control: the good values pass the same check.
        for value in ("combined", "json"):
            with self.subTest(value=value):
                done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0",
                                       "--access-log-format", value, "--check"],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, done.stderr)

    # ------------------------------------------------------------ SIGHUP
    def test_sighup_says_what_it_reopened(self):
        logs = self.log_directory()
        access, errors = os.path.join(logs, "access.log"), os.path.join(logs, "error.log")
        server = self.server("--access-log", access, "--error-log", errors, "--access-log-format", "json")
        self.assertEqual(exchange(server.port, REQUESTS[0][0]), 200)
        wait_for_lines(access, 1)
        os.rename(access, access + ".1")
        os.kill(server.pid, signal.SIGHUP)
        wanted = f"SIGHUP: reopened {access} and {errors}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not [l for l in wait_for_lines(errors, 1) if wanted.encode() in l]:
            time.sleep(0.05)
        reopened = [l for l in wait_for_lines(errors, 1) if b"SIGHUP" in l]
        self.assertEqual(len(reopened), 1, reopened)
        self.assertRegex(reopened[0].decode("ascii"), r"^\S+Z prong\[monitor \d+\]: " + re.escape(wanted) + "$")
        self.assertEqual(exchange(server.port, REQUESTS[0][0]), 200)
        self.assertEqual(list(json.loads(wait_for_lines(access, 1)[0])), MEMBERS, "no JSON line in the new file")
        self.assertEqual(len(wait_for_lines(access + ".1", 1)), 1, "a line reached the rotated file")

    def test_sighup_on_standard_error_says_no_file(self):
        server = self.server("--access-log-format", "json")
        os.kill(server.pid, signal.SIGHUP)
        server.wait_for_log(r"prong\[monitor \d+\]: SIGHUP: reopened no log file "
                            r"\(logging to standard error or off\)$")
        self.assertEqual(exchange(server.port, REQUESTS[0][0]), 200)
        line = server.wait_for_log(r'^\{"time":')[0]
        self.assertEqual(json.loads(line)["user_agent"], "ua-plain")
