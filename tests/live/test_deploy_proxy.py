"""test_deploy_proxy.py: prong behind a load balancer: PROXY protocol and --trusted-proxy.

What it shows, on `,proxy` listeners: a PROXY v1 (TCP4, TCP6) or v2 (TCP4,
TCP6, with TLVs) header puts the client it names in the access log; the
per-client cap (--max-per-ip) counts that client, so two clients behind one
balancer connection address are capped separately and a third connection of
the first client is refused (503 per-client-cap, under its own address); a
connection without a valid header (a bare request, garbage, a wrong v2
version, an over-long v1 line, a peer that sends nothing) is closed without
an answer and the server keeps serving; a header split across several writes
works, without the supervisor spinning while it waits; v2 LOCAL and v1
UNKNOWN keep the connection's own peer address. With --trusted-proxy CIDR the
access log's last field carries X-Forwarded-For (or Forwarded) only when the
peer is in that range, "-" otherwise.
Loopback only (127.0.0.x as distinct peers); every process is stopped and reaped.
"""
import socket
import time
import unittest

from harness import PRONG, LiveTestCase
from test_deploy_support import (access_line_for, client_of, connect, exchange, forwarded_field, get_request,
                                 proxy_v1, proxy_v2, proxy_v2_local, read_until_closed, run_to_exit, start, status_of)

ALPN_AND_NOOP = b"\x01\x00\x02h2" + b"\x04\x00\x03\x00\x00\x00"


def supervisor_cpu_seconds(server):
    with open(f"/proc/{server.supervisor_pid()}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks of 1/100 s


class ProxyProtocolTest(LiveTestCase):
    def proxied_server(self, *flags):
        return start(self, self.root, *flags, listen=("127.0.0.1:0,proxy", "127.0.0.1:0"))

    def test_v1_and_v2_headers_name_the_client(self):
        server = self.proxied_server()
        port = server.ports[0]
        cases = [
            ("v1-tcp4", proxy_v1("203.0.113.10", 40001), "203.0.113.10"),
            ("v1-tcp6", proxy_v1("2001:db8::10", 40002, "2001:db8::1"), "2001:db8::10"),
            ("v2-tcp4", proxy_v2("203.0.113.11", 40003), "203.0.113.11"),
            ("v2-tcp6", proxy_v2("2001:db8::11", 40004), "2001:db8::11"),
            ("v2-tlvs", proxy_v2("203.0.113.12", 40005, tlvs=ALPN_AND_NOOP), "203.0.113.12"),
        ]
        for agent, header, client in cases:
            with self.subTest(agent):
                response, _ = exchange(port, header + get_request("/index.html", agent))
                self.assertEqual(status_of(response), 200, response[:200])
                self.assertEqual(client_of(access_line_for(server, agent)), client)

    def test_local_and_unknown_keep_the_peer_address(self):
        server = self.proxied_server()
        port = server.ports[0]
        response, _ = exchange(port, proxy_v2_local() + get_request("/index.html", "v2-local"), source="127.0.0.3")
        self.assertEqual(status_of(response), 200)
        self.assertEqual(client_of(access_line_for(server, "v2-local")), "127.0.0.3")
        response, _ = exchange(port, b"PROXY UNKNOWN\r\n" + get_request("/index.html", "v1-unknown"),
                               source="127.0.0.4")
        self.assertEqual(status_of(response), 200)
        self.assertEqual(client_of(access_line_for(server, "v1-unknown")), "127.0.0.4")

    def test_per_client_cap_counts_the_proxied_client(self):
        server = self.proxied_server("--max-per-ip", "1")
        port = server.ports[0]
        # Two clients behind one balancer address, each holding a connection open.
        first = connect(port)
        self.addCleanup(first.close)
        first.sendall(proxy_v2("198.51.100.1", 50001))
        second = connect(port)
        self.addCleanup(second.close)
        second.sendall(proxy_v1("198.51.100.2", 50002))
        server.wait_for_children(2)
        # A second connection of the first client is over its cap: 503 under its address.
        response, _ = exchange(port, proxy_v1("198.51.100.1", 50003) + get_request("/index.html", "capped"))
        self.assertEqual(status_of(response), 503, response)
        server.wait_for_log(r'^198\.51\.100\.1 - - .* 503 0 "-" "-" 0 per-client-cap "-"$')
        # The held connections are still served, each under its own client.
        for sock, agent, client in ((first, "held-1", "198.51.100.1"), (second, "held-2", "198.51.100.2")):
            sock.sendall(get_request("/index.html", agent))
            data, _ = read_until_closed(sock)
            self.assertEqual(status_of(data), 200)
            self.assertEqual(client_of(access_line_for(server, agent)), client)
        # Control: without PROXY, one peer address is one client for the cap.
        server.wait_for_no_children()
        plain = server.ports[1]
        held = connect(plain)
        self.addCleanup(held.close)
        server.wait_for_children(1)
        response, _ = exchange(plain, get_request("/index.html", "plain-capped"))
        self.assertEqual(status_of(response), 503)

    def test_invalid_headers_are_closed_unanswered_and_serving_goes_on(self):
        server = self.proxied_server()
        port = server.ports[0]
        bad = {
            "bare request": get_request("/index.html", "bare"),
            "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
            "v2 version 1": b"\r\n\r\n\x00\r\nQUIT\n\x11\x11\x00\x0c" + b"\x00" * 12 + get_request(),
            "v2 undefined family": b"\r\n\r\n\x00\r\nQUIT\n\x21\x41\x00\x0c" + b"\x00" * 12 + get_request(),
            "v1 leading zero": b"PROXY TCP4 203.0.113.1 127.0.0.1 080 80\r\n" + get_request(),
            "v1 too long": b"PROXY UNKNOWN " + b"x" * 120 + b"\r\n" + get_request(),
            "v1 bare LF": b"PROXY TCP4 203.0.113.1 127.0.0.1 1 80\n" + get_request(),
        }
        for name, payload in bad.items():
            with self.subTest(name):
                response, closed = exchange(port, payload)
                self.assertEqual((response, closed), (b"", True), f"{name}: answered or left open")
        self.assertEqual([l for l in server.access_lines() if '"bare"' in l], [], "a refused header was served")
        response, _ = exchange(port, proxy_v1("203.0.113.99", 1) + get_request("/index.html", "after-bad"))
        self.assertEqual(status_of(response), 200)
        self.assertEqual(client_of(access_line_for(server, "after-bad")), "203.0.113.99")
        server.wait_for_no_children(5)  # nothing was left waiting on a refused connection

    def test_a_peer_that_never_sends_a_header_is_dropped(self):
        server = self.proxied_server()
        silent = connect(server.ports[0])
        self.addCleanup(silent.close)
        started = time.monotonic()
        data, closed = read_until_closed(silent, timeout=15)
        self.assertEqual((data, closed), (b"", True))
        self.assertLess(time.monotonic() - started, 12)
        response, _ = exchange(server.ports[0], proxy_v1("203.0.113.98", 2) + get_request("/index.html"))
        self.assertEqual(status_of(response), 200)

    def test_header_split_across_writes(self):
        server = self.proxied_server()
        port = server.ports[0]
        for agent, header, client in (("split-v1", proxy_v1("203.0.113.20", 1111), "203.0.113.20"),
                                      ("split-v2", proxy_v2("2001:db8::20", 2222, tlvs=ALPN_AND_NOOP),
                                       "2001:db8::20")):
            with self.subTest(agent), connect(port) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each piece its own segment
                for start_at in range(0, len(header), 5):
                    s.sendall(header[start_at:start_at + 5])
                    time.sleep(0.02)
                s.sendall(get_request("/index.html", agent))
                data, _ = read_until_closed(s)
                self.assertEqual(status_of(data), 200, data[:200])
                self.assertEqual(client_of(access_line_for(server, agent)), client)

    # The supervisor only peeks at a header until it is complete; its watch on
    # the connection is edge-triggered (EPOLLET), or it would spin at 100% CPU
    # on bytes it already saw until the rest arrived.
    def test_supervisor_does_not_spin_on_a_partial_header(self):
        """The supervisor peeks at a header that is still arriving; it must wait for
        more bytes, not wake up again and again for the ones it already saw."""
        server = self.proxied_server()
        before = supervisor_cpu_seconds(server)
        with connect(server.ports[0]) as s:
            s.sendall(b"PROXY TCP4 ")
            time.sleep(1.5)
            s.sendall(b"203.0.113.30 127.0.0.1 1 80\r\n" + get_request("/index.html", "slow-header"))
            data, _ = read_until_closed(s)
        self.assertEqual(status_of(data), 200)
        used = supervisor_cpu_seconds(server) - before
        self.assertLess(used, 0.3, f"the supervisor used {used:.2f} s of CPU waiting 1.5 s for a header")


class TrustedProxyTest(LiveTestCase):
    def test_forwarded_for_logged_only_from_a_trusted_peer(self):
        server = start(self, self.root, "--trusted-proxy", "127.0.0.2/32", "--trusted-proxy", "2001:db8::/32")
        port = server.port

        def request(source, agent, extra):
            payload = (f"GET /index.html HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\n{extra}"
                       "Connection: close\r\n\r\n").encode()
            response, _ = exchange(port, payload, source=source)
            self.assertEqual(status_of(response), 200)
            return access_line_for(server, agent)

        line = request("127.0.0.2", "trusted-xff", "X-Forwarded-For: 198.51.100.7, 10.0.0.1\r\n")
        self.assertEqual(client_of(line), "127.0.0.2")
        self.assertEqual(forwarded_field(line), "198.51.100.7, 10.0.0.1")
        line = request("127.0.0.2", "trusted-forwarded", "Forwarded: for=198.51.100.8;proto=https\r\n")
        self.assertEqual(forwarded_field(line), "for=198.51.100.8;proto=https")
        line = request("127.0.0.2", "trusted-none", "")
        self.assertEqual(forwarded_field(line), "-")
        line = request("127.0.0.1", "untrusted-xff", "X-Forwarded-For: 198.51.100.9\r\n")
        self.assertEqual(client_of(line), "127.0.0.1")
        self.assertEqual(forwarded_field(line), "-", "an untrusted peer's X-Forwarded-For was logged")
        line = request("127.0.0.3", "untrusted-forwarded", "Forwarded: for=198.51.100.10\r\n")
        self.assertEqual(forwarded_field(line), "-")
        # Control bytes in the header cannot forge a log line.
        line = request("127.0.0.2", "trusted-escaped", 'X-Forwarded-For: 198.51.100.11 "x\\\r\n')
        self.assertEqual(forwarded_field(line), "198.51.100.11 \\x22x\\x5c")

    def test_bad_trusted_proxy_ranges_are_refused(self):
        for text in ("127.0.0.1/33", "127.0.0.1/24", "2001:db8::/129", "example.org", "127.0.0.0/08",
                     "127.0.0.0/+8", "127.0.0.0/ 8", "0.0.0.0/-0", "0.0.0.0/+0", "::/ 0", "", "127.0.0.0/",
                     "127.0.0.0/0x8"):
            with self.subTest(text=text):
                result = run_to_exit([PRONG, "--root", self.root, "--trusted-proxy", text, "--check",
                                      "--listen", "127.0.0.1:0"])
                self.assertEqual(result.returncode, 2, f"--trusted-proxy {text!r} accepted: {result.stdout}")
