"""test_static_helpers.py: shared helpers of the static-file live suites (test_static_*.py).

It holds no test. StaticTestCase is LiveTestCase plus: every server a test
starts is checked, after it stopped, for connection processes that died of a
signal (SIGSYS would mean the seccomp policy lacks a syscall the new code
uses); request() speaks raw HTTP/1.1 so a test controls every header (http.client
adds Accept-Encoding: identity by itself) and can pipeline; helpers set file
times to the nanosecond and compute the ETag prong must send.
Must not: wait without a deadline, or leave a process or file behind.
"""
import calendar
import os
import re
import socket
import time

from harness import LiveTestCase, parse_responses

FIXED_NS = 1599300000 * 10**9 + 123456789  # Sat, 05 Sep 2020 10:00:00.123456789 GMT


def set_mtime(path, ns=FIXED_NS):
    os.utime(path, ns=(ns, ns), follow_symlinks=False)


def expected_etag(path, coding=None):
    """prong's strong ETag: "SECONDS.NANOSECONDS-SIZE[-CODING]" in hex."""
    status = os.stat(path)
    seconds, nanoseconds = divmod(status.st_mtime_ns, 10**9)
    suffix = f"-{coding}" if coding else ""
    return f'"{seconds:x}.{nanoseconds:x}-{status.st_size:x}{suffix}"'


def imf_date(seconds):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(seconds))


def rfc850_date(seconds):
    return time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(seconds))


def asctime_date(seconds):
    t = time.gmtime(seconds)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)


DATE_FORMATS = {"IMF-fixdate": imf_date, "RFC 850": rfc850_date, "asctime": asctime_date}


def parse_http_date(text):
    return calendar.timegm(time.strptime(text, "%a, %d %b %Y %H:%M:%S GMT"))


def build_request(path, headers=(), method="GET", close=False):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(port, requests, timeout=15.0):
    """Send [(method, path, headers)] pipelined on one connection (the last one
    closes it); return [(status, headers, body)] in order."""
    data = b"".join(build_request(path, headers, method, close=(i == len(requests) - 1))
                    for i, (method, path, headers) in enumerate(requests))
    return parse_pipelined(send_and_read_all(port, data, timeout), [method for method, _, _ in requests])


def send_and_read_all(port, data, timeout=15.0):
    """Send bytes and read until the server closes (bounded by timeout)."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    return bytes(received)


def parse_pipelined(data, methods):
    """parse_responses, but HEAD responses may sit anywhere in the sequence."""
    responses, position = [], 0
    for method in methods:
        end = data.find(b"\r\n\r\n", position)
        if end < 0:
            raise AssertionError(f"missing response for {method}: {data[position:position + 200]!r}")
        status, headers, _ = parse_responses(data[position:end + 4], head_requests=1)[0]
        position = end + 4
        length = 0 if method == "HEAD" or status in (204, 304) else int(headers.get("content-length", 0))
        responses.append((status, headers, data[position:position + length]))
        position += length
    if position != len(data):
        raise AssertionError(f"{len(data) - position} unexpected bytes after the responses: {data[position:][:200]!r}")
    return responses


def request(port, path, headers=(), method="GET"):
    """One request on a fresh connection: (status, headers with lower-case names, body)."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    return exchange(port, [(method, path, list(headers))])[0]


def comparable_headers(headers):
    """Headers without those that legitimately differ between two answers to the
    same request: Date, and Connection (the last response before prong closes
    says "close")."""
    return {name: value for name, value in headers.items() if name not in ("date", "connection")}


def parse_multipart(content_type, body):
    """multipart/byteranges parts as [(headers, data)]."""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", content_type)
    if not match:
        raise AssertionError(f"not multipart/byteranges: {content_type}")
    delimiter = b"--" + match.group(1).encode()
    if not body.endswith(b"\r\n" + delimiter + b"--\r\n"):
        raise AssertionError(f"no closing delimiter: {body[-80:]!r}")
    parts = []
    chunks = body[:-len(b"\r\n" + delimiter + b"--\r\n")].split(b"\r\n" + delimiter + b"\r\n")
    if not chunks[0].startswith(delimiter + b"\r\n"):
        raise AssertionError(f"body does not start with the delimiter: {body[:80]!r}")
    chunks[0] = chunks[0][len(delimiter) + 2:]
    for chunk in chunks:
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        parts.append((headers, data))
    return parts


class StaticTestCase(LiveTestCase):
    """LiveTestCase whose servers are checked for children killed by a signal."""

    def server(self, *flags, **options):
        holder = {}
        # Registered before the server's own cleanup, so it runs after the stop.
        self.addCleanup(lambda: self.assert_no_abnormal_child(holder.get("server")))
        server = super().server(*flags, **options)
        holder["server"] = server
        return server

    def assert_no_abnormal_child(self, server):
        if server is None:
            return
        bad = [line for line in server.log_lines() if "SIGSYS" in line or re.search(r"child pid=\d+ .*signal=", line)]
        self.assertEqual(bad, [], "a connection process died of a signal (seccomp policy?)")

    def assert_log(self, server, pattern, count=1):
        return server.wait_for_log(pattern, timeout=10, count=count)
