"""hostile.py: the slow and hostile clients prong must survive, in one place.

Shared by the reduced attacks of `make test` (tests/live/test_slow_clients.py,
tests/live/test_hostile_*.py) and the full-size runs of `make attack`
(tests/attack/*.py), so both exercise the same client code at different sizes.

Contract:
  - sources(n): loopback source addresses 127.0.0.2 upward (any 127/8 address
    can be bound on lo without set-up); connect_from() binds one before connect.
  - Slowloris: connections that trickle a request head one byte at a time and
    (optionally) reconnect when closed; records how each one ended (408, 503,
    closed without a response, still open) and when.
  - Prober: a normal client doing sequential GETs; counts errors, records latency.
  - Readers: connections that read a response at a fixed byte rate (0: never).
  - flood(), hold_open(), pipeline(): a connect/close loop, silent connections,
    and N pipelined requests checked response by response, in order.
  - ChildSampler: the most connection processes seen alive at once.
Every loop here is bounded in count and in time, every socket is closed before
the function or thread that opened it returns, and only loopback is used.
Must not: connect anywhere but 127/8, assert anything (callers decide what an
outcome means), or leave a thread or socket behind.
"""
import hashlib
import heapq
import os
import selectors
import socket
import threading
import time

LOOPBACK = "127.0.0.1"


# ---------------------------------------------------------------- addresses and sockets
def sources(count, first=2):
    """count loopback source addresses: 127.0.0.2 ... 127.0.0.254, then 127.0.1.1 ..."""
    found, n = [], first
    while len(found) < count:
        third, fourth = divmod(n, 256)
        if 1 <= fourth <= 254:
            found.append(f"127.0.{third}.{fourth}")
        n += 1
    return found


def connect_from(source, port, *, rcvbuf=None, mss=None, timeout=5.0, host=LOOPBACK):
    """A TCP connection to host:port from the loopback address source. rcvbuf
    shrinks the receive buffer; mss (e.g. 1460, Ethernet's) replaces loopback's
    64 KiB segments, whose size would otherwise set the granularity at which a
    slow reader's receive window reopens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if mss:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect((host, port))
        return sock
    except BaseException:
        sock.close()
        raise


def request(path="/", *fields, method="GET", close=False):
    lines = [f"{method} {path} HTTP/1.1", "Host: t"] + list(fields)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def is_open(sock):
    """False once the peer's close or reset is the next thing to read; True while
    nothing has arrived or data is waiting (which is left unread)."""
    previous = sock.gettimeout()
    sock.settimeout(0)  # with a timeout, Python would first wait for data
    try:
        data = sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(previous)
    return bool(data)


def read_until_close(sock, limit=10.0):
    """Everything the peer sends until it closes (or resets), within limit seconds.
    Returns (bytes, how): how is 'closed', 'reset' or 'timeout'."""
    deadline = time.monotonic() + limit
    data = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(data), "timeout"
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            return bytes(data), "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return bytes(data), "reset"
        if not chunk:
            return bytes(data), "closed"
        data += chunk


def status_of(data):
    """The status code at the start of a response, or None."""
    if not data.startswith(b"HTTP/1.1 ") or len(data) < 12:
        return None
    try:
        return int(data[9:12])
    except ValueError:
        return None


def percentile(samples, fraction):
    """The sample at the given fraction (0.5: median) of the sorted samples, or None."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(failures):
    """The RESULT line every attack script ends with; its exit status."""
    print("RESULT: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    return 1 if failures else 0


def milliseconds(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


# ---------------------------------------------------------------- an incremental response reader
class ResponseStream:
    """Responses read one at a time from a socket (Content-Length framing), each
    within the caller's deadline; bytes beyond a response stay for the next."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("response not complete in time")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise EOFError(f"connection closed with {len(self.buffer)} bytes of a response")
        self.buffer += chunk

    def wait_for_head(self, deadline):
        """Read until a whole response head has arrived (the body may follow)."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill(deadline)

    def next(self, deadline, head_only=False, allow_short=False):
        """(status, headers with lower-case names, body); with allow_short, a body
        the server cut off (the connection closed before Content-Length) is
        returned as far as it came, instead of raising EOFError."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > 65536:
                raise ValueError("response head too long")
            self._fill(deadline)
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        status = status_of(lines[0] + b"\r\n")
        if status is None:
            raise ValueError(f"not a status line: {lines[0][:80]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        length = 0 if head_only or status in (204, 304) else int(headers.get("content-length", "0"))
        del self.buffer[:end + 4]
        while len(self.buffer) < length:
            try:
                self._fill(deadline)
            except EOFError:
                if not allow_short:
                    raise
                length = len(self.buffer)
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        return status, headers, body


# ---------------------------------------------------------------- background workers
class Worker:
    """A daemon thread running self._run; stop() asks it to end, and join(timeout)
    also asks when it outlives timeout, then waits join_grace() more seconds."""

    def __init__(self, name):
        self.started = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()

    def alive(self):
        return self._thread.is_alive()

    def join_grace(self):
        return 5.0

    def join(self, timeout):
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(self.join_grace())
        return not self._thread.is_alive()


# ---------------------------------------------------------------- slowloris
class Attempt:
    """One slowloris connection and how it ended."""
    __slots__ = ("source", "sock", "opened", "closed", "sent", "received", "outcome", "next_send")

    def __init__(self, source, sock, opened):
        self.source, self.sock, self.opened = source, sock, opened
        self.closed = None
        self.sent = 0
        self.received = bytearray()
        self.outcome = None
        self.next_send = opened


# A head that never ends: a request line, then header lines forever.
SLOW_HEAD = b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Slow: a\r\n" * 2000


class Slowloris(Worker):
    """per_source connections from each source address, each sending one byte of
    SLOW_HEAD every `interval` seconds, for `duration` seconds. A connection the
    server closes is reopened after reconnect_delay (while the attack lasts).
    After the attack no connection is opened; the engine waits up to drain_limit
    seconds for the server to close the rest, then closes them (outcome
    'still-open'). Outcomes: '408', '503', 'other <status>', 'closed' (closed
    or reset without any response byte: evicted, or cut off by the backstop),
    'connect-failed', 'still-open'."""

    def __init__(self, port, addresses, per_source, *, interval=0.5, duration=6.0, reconnect=True,
                 reconnect_delay=0.1, drain_limit=10.0, open_rate=400.0, head=SLOW_HEAD):
        self.port, self.addresses, self.per_source = port, list(addresses), per_source
        self.interval, self.duration, self.reconnect = interval, duration, reconnect
        self.reconnect_delay, self.drain_limit, self.open_rate = reconnect_delay, drain_limit, open_rate
        self.head = head
        self.attempts = []
        self.finished = None
        self.error = None
        super().__init__("slowloris")

    # public
    def open_count(self):
        return sum(1 for a in list(self.attempts) if a.closed is None and a.outcome is None)

    def outcomes(self):
        counts = {}
        for attempt in self.attempts:
            counts[attempt.outcome] = counts.get(attempt.outcome, 0) + 1
        return counts

    # the engine
    def _open(self, source, now, selector):
        try:
            sock = connect_from(source, self.port, timeout=2.0)
        except OSError:
            attempt = Attempt(source, None, now)
            attempt.closed, attempt.outcome = now, "connect-failed"
            self.attempts.append(attempt)
            return None
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        attempt = Attempt(source, sock, time.monotonic())
        self.attempts.append(attempt)
        selector.register(sock, selectors.EVENT_READ, attempt)
        return attempt

    def _finish(self, attempt, selector, now, how):
        selector.unregister(attempt.sock)
        attempt.sock.close()
        attempt.closed = now
        status = status_of(bytes(attempt.received))
        if how == "still-open":
            attempt.outcome = "still-open"
        elif status in (408, 503):
            attempt.outcome = str(status)
        elif status is not None:
            attempt.outcome = f"other {status}"
        elif attempt.received:
            attempt.outcome = "other garbage"
        else:
            attempt.outcome = "closed"

    def _drain(self, attempt, selector, now, gone=False):
        """Read what has arrived; True if the connection is over (closed, reset,
        or gone: a send already failed)."""
        while True:
            try:
                chunk = attempt.sock.recv(65536)
            except BlockingIOError:
                if not gone:
                    return False
                chunk = b""
            except OSError:
                chunk = b""
            if not chunk:
                self._finish(attempt, selector, now, "closed")
                return True
            attempt.received += chunk

    def _run(self):
        selector = selectors.DefaultSelector()
        reopen = []  # heap of (when, sequence, source)
        sends = []   # heap of (when, sequence, attempt)
        sequence = 0
        end_of_attack = self.started + self.duration
        hard_end = end_of_attack + self.drain_limit

        def ended(attempt, now):
            if self.reconnect and now < end_of_attack:
                heapq.heappush(reopen, (now + self.reconnect_delay, next_sequence(), attempt.source))

        def next_sequence():
            nonlocal sequence
            sequence += 1
            return sequence

        try:
            # The first wave, opened at a bounded rate, sources interleaved.
            wave = [address for _ in range(self.per_source) for address in self.addresses]
            for index, source in enumerate(wave):
                heapq.heappush(reopen, (self.started + index / self.open_rate, next_sequence(), source))
            while not self._stop.is_set():
                now = time.monotonic()
                attacking = now < end_of_attack
                if now >= hard_end:
                    break
                if not attacking:
                    reopen.clear()
                    if all(a.closed is not None for a in self.attempts):
                        break
                # (Re)open what is due.
                while reopen and reopen[0][0] <= now:
                    _, _, source = heapq.heappop(reopen)
                    attempt = self._open(source, now, selector)
                    if attempt is None:
                        if self.reconnect:
                            heapq.heappush(reopen, (now + max(self.reconnect_delay, 0.2), next_sequence(), source))
                        continue
                    # Spread the trickles: each connection starts at its own phase.
                    phase = (sequence % 97) / 97 * self.interval
                    heapq.heappush(sends, (attempt.opened + phase, next_sequence(), attempt))
                # One byte on every connection that is due, unless a response is arriving.
                while sends and sends[0][0] <= now:
                    _, _, attempt = heapq.heappop(sends)
                    if attempt.closed is not None or attempt.received:
                        continue
                    offset = attempt.sent % len(self.head)
                    try:
                        attempt.sock.send(self.head[offset:offset + 1])
                        attempt.sent += 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self._drain(attempt, selector, now, gone=True)
                        ended(attempt, now)
                        continue
                    heapq.heappush(sends, (now + self.interval, next_sequence(), attempt))
                # What the server says, and closes.
                wake = min([hard_end] + [item[0] for item in sends[:1]] + [item[0] for item in reopen[:1]])
                for key, _ in selector.select(min(0.05, max(0.0, wake - time.monotonic()))):
                    attempt = key.data
                    now = time.monotonic()
                    if attempt.closed is None and self._drain(attempt, selector, now):
                        ended(attempt, now)
        except BaseException as error:  # reported to the caller, never swallowed
            self.error = error
        finally:
            now = time.monotonic()
            for attempt in self.attempts:
                if attempt.closed is None and attempt.sock is not None:
                    self._finish(attempt, selector, now, "still-open")
            selector.close()
            self.finished = time.monotonic()


# ---------------------------------------------------------------- a normal client
class Prober(Worker):
    """Sequential GETs of `path` (a new connection each, Connection: close) from
    `source` until stopped, `duration` seconds or `limit` requests. Each must be
    a 200 with exactly `expected` as its body; anything else is an error. A
    normal client paces itself (`pause` between requests, 50 a second at most by
    default), well under prong's default --max-connection-rate of 200 a second."""

    def __init__(self, port, path, expected, *, source=LOOPBACK, duration=None, limit=None, pause=0.02,
                 timeout=10.0):
        self.port, self.path, self.expected, self.source = port, path, expected, source
        self.duration, self.limit, self.pause, self.timeout = duration, limit, pause, timeout
        self.latencies = []
        self.errors = []
        super().__init__("prober")

    def join_grace(self):
        return self.timeout + 5  # a request in flight may take its whole timeout

    def run_inline(self):
        self._run()
        return self

    def one(self):
        """One request; returns None or a description of what went wrong."""
        began = time.monotonic()
        try:
            with connect_from(self.source, self.port, timeout=self.timeout) as sock:
                sock.sendall(request(self.path, close=True))
                data, how = read_until_close(sock, self.timeout)
        except OSError as error:
            return f"{type(error).__name__}: {error}"
        elapsed = time.monotonic() - began
        head, _, body = data.partition(b"\r\n\r\n")
        if status_of(data) != 200 or body != self.expected:
            return f"status {status_of(data)}, {len(body)} body bytes, {how}: {head[:60]!r}"
        self.latencies.append(elapsed)
        return None

    def _run(self):
        began = time.monotonic()
        count = 0
        while not self._stop.is_set():
            if self.duration is not None and time.monotonic() - began >= self.duration:
                break
            if self.limit is not None and count >= self.limit:
                break
            problem = self.one()
            count += 1
            if problem:
                self.errors.append(problem)
            if self.pause:
                self._stop.wait(self.pause)

    def summary(self):
        return {"requests": len(self.latencies) + len(self.errors), "errors": len(self.errors),
                "p50": percentile(self.latencies, 0.50), "p99": percentile(self.latencies, 0.99)}


# ---------------------------------------------------------------- readers
class Reader:
    """One download, read at `rate` bytes per second (0: never) after a first
    `burst` bytes read at once (enough for the head)."""
    __slots__ = ("sock", "rate", "burst", "began", "received", "head", "status", "length", "body", "digest",
                 "closed", "how", "error")

    def __init__(self, sock, rate, burst):
        self.sock, self.rate, self.burst = sock, rate, burst
        self.began = time.monotonic()
        self.received = 0
        self.head = bytearray()
        self.status = self.length = None
        self.body = 0
        self.digest = hashlib.sha256()
        self.closed = None
        self.how = None
        self.error = None

    def allowance(self, now):
        return int(self.burst + self.rate * (now - self.began)) - self.received

    def take(self, data):
        self.received += len(data)
        if self.status is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.head[:end])
            self.status = status_of(head + b"\r\n")
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    self.length = int(value)
            data = bytes(self.head[end + 4:])
            self.head = bytearray()
        self.body += len(data)
        self.digest.update(data)


class Readers(Worker):
    """Downloads of `path` by `count` connections from `source`, each read at
    `rate` bytes/s; runs in a thread for at most `limit` seconds (or until every
    download is closed by the server or complete). rcvbuf and mss: connect_from."""

    def __init__(self, port, path, count, rate, *, source=LOOPBACK, rcvbuf=None, mss=None, burst=4096, limit=30.0,
                 open_rate=200.0):
        self.port, self.path, self.count, self.rate = port, path, count, rate
        self.source, self.rcvbuf, self.mss, self.burst = source, rcvbuf, mss, burst
        self.limit, self.open_rate = limit, open_rate
        self.readers = []
        self.error = None
        super().__init__("readers")

    def _run(self):
        try:
            for index in range(self.count):
                if self._stop.is_set():
                    break
                sock = connect_from(self.source, self.port, rcvbuf=self.rcvbuf, mss=self.mss, timeout=5.0)
                sock.sendall(request(self.path))
                sock.setblocking(False)
                self.readers.append(Reader(sock, self.rate, self.burst))
                if index + 1 < self.count:
                    time.sleep(1.0 / self.open_rate)
            deadline = self.started + self.limit
            while not self._stop.is_set() and time.monotonic() < deadline:
                now = time.monotonic()
                active = [r for r in self.readers if r.closed is None]
                if not active:
                    break
                progressed = False
                for reader in active:
                    if reader.length is not None and reader.body >= reader.length:
                        reader.closed, reader.how = now, "complete"
                        continue
                    allowed = min(reader.allowance(now), 1 << 18)
                    if allowed <= 0:
                        continue
                    try:
                        data = reader.sock.recv(allowed)
                    except BlockingIOError:
                        continue
                    except (ConnectionResetError, BrokenPipeError):
                        reader.closed, reader.how = now, "reset"
                        continue
                    if not data:
                        reader.closed, reader.how = now, "closed"
                        continue
                    reader.take(data)
                    progressed = True
                if not progressed or self.rate < (1 << 30):
                    self._stop.wait(0.005 if self.rate > 4096 else 0.05)
        except BaseException as error:
            self.error = error
        finally:
            for reader in self.readers:
                reader.sock.close()
                if reader.closed is None:
                    reader.how = "open"


# ---------------------------------------------------------------- floods
def flood(port, count, source, *, time_limit=30.0, stop=None):
    """count connections from source, each closed at once: every third sends part
    of a head first, every other one is reset (SO_LINGER 0) instead of closed.
    Bounded by count and time_limit. Returns {'connected', 'failed', 'seconds'}."""
    began = time.monotonic()
    connected = failed = 0
    partial = b"GET / HTTP/1.1\r\nHost: t\r\n"
    for n in range(count):
        if time.monotonic() - began > time_limit or (stop is not None and stop.is_set()):
            break
        try:
            sock = connect_from(source, port, timeout=2.0)
        except OSError:
            failed += 1
            continue
        try:
            if n % 3 == 0:
                sock.send(partial)
            if n % 2 == 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            connected += 1
        except OSError:
            failed += 1
        finally:
            sock.close()
    return {"connected": connected, "failed": failed, "seconds": time.monotonic() - began}


def hold_open(port, count, source, *, partial=b"", timeout=5.0):
    """count connections from source that send `partial` (maybe nothing) and then
    stay silent. The caller closes them (close_all)."""
    held = []
    try:
        for _ in range(count):
            sock = connect_from(source, port, timeout=timeout)
            held.append(sock)
            if partial:
                sock.sendall(partial)
    except BaseException:
        close_all(held)
        raise
    return held


def close_all(socks):
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- pipelining
def pipeline(port, exchanges, *, trailing=b"", expect_close=False, source=LOOPBACK, time_limit=60.0, chunk=256):
    """Send every request of exchanges (a list of (request bytes, expected status,
    expected body or None, is_head)) on one connection, pipelined, from a writer
    thread `chunk` requests per send, then `trailing` (requests that must not be
    answered), while reading the responses one by one and checking each against
    its expectation in order; with expect_close, the server must then close
    without sending another byte. Returns (number verified, None or a
    description of the first mismatch, seconds)."""
    began = time.monotonic()
    deadline = began + time_limit
    sock = connect_from(source, port, timeout=5.0)
    failure = []

    def write():
        try:
            for start in range(0, len(exchanges), chunk):
                if time.monotonic() > deadline:
                    return
                sock.sendall(b"".join(item[0] for item in exchanges[start:start + chunk]))
        except OSError as error:
            failure.append(f"sending: {error}")
            return
        try:
            if trailing:
                sock.sendall(trailing)
        except OSError:
            pass  # the server may have closed already: what it answered says enough

    writer = threading.Thread(target=write, name="pipeline-writer", daemon=True)
    verified, problem = 0, None
    try:
        writer.start()
        stream = ResponseStream(sock)
        for index, (_, status, body, head_only) in enumerate(exchanges):
            try:
                got_status, _, got_body = stream.next(deadline, head_only)
            except (OSError, EOFError, TimeoutError, ValueError) as error:
                problem = f"response {index}: {type(error).__name__}: {error}"
                break
            if got_status != status or (body is not None and got_body != body):
                problem = (f"response {index}: status {got_status} (expected {status}), body {got_body[:40]!r} "
                           f"(expected {body[:40] if body is not None else None!r})")
                break
            verified += 1
        if problem is None and expect_close:
            rest, how = read_until_close(sock, max(1.0, deadline - time.monotonic()))
            rest = bytes(stream.buffer) + rest
            if rest or how == "timeout":
                problem = f"after {verified} responses: {len(rest)} more bytes ({rest[:60]!r}), then {how}"
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        writer.join(10)
        sock.close()
    if problem is None and failure:
        problem = failure[0]
    return verified, problem, time.monotonic() - began


# ---------------------------------------------------------------- observing the server
class ChildSampler:
    """Samples the number of live connection processes (server.children()) every
    `every` seconds in a thread, for at most `limit` seconds; .most is the largest."""

    def __init__(self, server, every=0.05, limit=300.0):
        self.server, self.every, self.limit = server, every, limit
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="child-sampler", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def _run(self):
        began = time.monotonic()
        while not self._stop.is_set() and time.monotonic() - began < self.limit:
            try:
                self.most = max(self.most, len(self.server.children()))
                self.samples += 1
            except (AssertionError, OSError):
                pass  # the server is stopping
            self._stop.wait(self.every)


def tcp_memory_pages():
    """Kernel memory used by TCP buffers now, in pages (/proc/net/sockstat 'TCP: ... mem N')."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1])
    return 0


def write_file(path, size, seed=b"prong"):
    """A file of `size` bytes of a repeating, non-zero pattern; returns its sha256."""
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            piece = block[:min(left, len(block))]
            f.write(piece)
            digest.update(piece)
            left -= len(piece)
    os.chmod(path, 0o644)
    return digest.hexdigest()
