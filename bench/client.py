"""client.py: the few HTTP/1.1 exchanges `make bench` makes itself, over loopback.

wrk makes the load; these are the runner's own requests: the check that a
server answers small.txt before it is measured, the kept-alive connections
whose memory is read, and the sequential connections whose CPU is counted.

Contract: every socket has a timeout (TIMEOUT seconds) and is closed by its
caller; read_answer() returns one whole answer (head and Content-Length body)
or raises RuntimeError naming what came instead. Standard library only.
Must not: parse more than these answers need (the servers' conformance is
tested elsewhere), or wait without a limit.
"""
import socket

TIMEOUT = 10  # seconds, for every connect, send and receive

KEEP_ALIVE = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\n\r\n"
CLOSE = b"GET /small.txt HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def read_answer(sock, pending=b""):
    """(status line, head, body, bytes read past the answer) of one answer
    with a Content-Length; RuntimeError if the connection ends first."""
    data = pending
    while b"\r\n\r\n" not in data:
        data += _more(sock, data)
    head_end = data.index(b"\r\n\r\n") + 4
    head = data[:head_end]
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise RuntimeError(f"an answer without Content-Length: {head[:120]!r}")
    while len(data) < head_end + length:
        data += _more(sock, data)
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    return status, head, data[head_end:head_end + length], data[head_end + length:]


def is_ok(status_line):
    """True for an HTTP/1.x 200 status line."""
    parts = status_line.split()
    return len(parts) >= 2 and parts[0] in ("HTTP/1.1", "HTTP/1.0") and parts[1] == "200"


def _more(sock, so_far):
    chunk = sock.recv(65536)
    if not chunk:
        raise RuntimeError(f"the connection closed mid-answer after {len(so_far)} bytes: {so_far[:80]!r}")
    return chunk


def small_answer_problem(port, expected_bytes):
    """None when GET /small.txt answers 200 with expected_bytes of body, else
    what came instead (the check a server passes before it is measured)."""
    try:
        with connect(port) as sock:
            sock.sendall(KEEP_ALIVE)
            status, _, body, _ = read_answer(sock)
    except (OSError, RuntimeError, ValueError) as error:
        return str(error)
    if not is_ok(status):
        return f"answered {status!r}"
    if len(body) != expected_bytes:
        return f"answered {len(body)} bytes of body, not {expected_bytes}"
    return None


def fetch_and_close(port):
    """One Connection: close request, read to the server's close."""
    with connect(port) as sock:
        sock.sendall(CLOSE)
        while sock.recv(65536):
            pass


def keep_alive_requests(sock, count):
    """count kept-alive requests on sock, one after the other, each answered
    whole before the next is sent."""
    pending = b""
    for _ in range(count):
        sock.sendall(KEEP_ALIVE)
        status, _, _, pending = read_answer(sock, pending)
        if not is_ok(status):
            raise RuntimeError(f"unexpected answer on a kept-alive connection: {status!r}")


def kept_alive(port, count):
    """count open connections, each having had one answered request; the
    caller closes them (on failure, those opened so far are closed here)."""
    socks = []
    try:
        for _ in range(count):
            socks.append(connect(port))
            keep_alive_requests(socks[-1], 1)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks
