"""test_deploy_haproxy.py: two prong instances behind a real haproxy, restarted under load.

What it shows: haproxy (Debian's package, /usr/sbin/haproxy) on loopback with
tests/live/haproxy/prong-lb.cfg sends the PROXY protocol (v2, and v1 in a
shorter test) to two prong instances on `,proxy` listeners, with PROXY-carrying
HTTP health checks, retries and redispatch. While client threads send requests
through it without pause, each prong instance in turn is stopped with SIGTERM
(graceful: it closes its listeners, finishes responses in flight) and started
again on the same port. Not one request fails, and prong's access log names
the real client (the threads connect from 127.0.0.2) rather than haproxy
(127.0.0.1), which only the health checks (v2 LOCAL) are logged under.

A failed request is one that ends in a connection error or timeout on the
client's side, a status other than 200, or a body other than the file's.
Client connections are not kept alive (each request is a new connection to
haproxy) and haproxy does not reuse server connections (http-server-close),
so every request crosses a new PROXY connection and a stop can only meet it
while it is connecting (retried by haproxy) or in flight (finished by prong).
The run's numbers are printed: requests, failures, duration, and how many
requests each instance served.
Bounded: about 15 s of load; haproxy and every prong are stopped and reaped.
"""
import http.client
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time

from harness import REPO, LiveTestCase
from test_deploy_support import Deployed, client_of, free_ports, stop_process

HAPROXY = "/usr/sbin/haproxy"
TEMPLATE = os.path.join(REPO, "tests", "live", "haproxy", "prong-lb.cfg")
CLIENT_ADDRESS = "127.0.0.2"
BODY = b"<!doctype html><title>behind haproxy</title><p>served\n"
LOAD_THREADS = 6


class Load:
    """Client threads sending GET /index.html through haproxy until stopped."""

    def __init__(self, port, agent):
        self.port, self.agent = port, agent
        self.requests = self.failures = 0
        self.failure_samples = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(LOAD_THREADS)]

    def one_request(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                                source_address=(CLIENT_ADDRESS, 0))
        try:
            connection.request("GET", "/index.html", headers={"User-Agent": self.agent, "Connection": "close"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or body != BODY:
                return f"status {response.status}, body {body[:60]!r}"
            return None
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def run(self):
        while not self.stopping.is_set():
            failure = self.one_request()
            with self.lock:
                self.requests += 1
                if failure:
                    self.failures += 1
                    if len(self.failure_samples) < 10:
                        self.failure_samples.append(failure)

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(20)
        self.duration = time.monotonic() - self.started
        return self


class HaproxyTest(LiveTestCase):
    files = {"index.html": BODY}

    def setUp(self):
        super().setUp()
        if not os.access(HAPROXY, os.X_OK):
            self.fail(f"{HAPROXY} is missing (Debian package haproxy; make deps installs it)")
        self.work = tempfile.mkdtemp(prefix="prong-haproxy-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def prong(self, port):
        # All load comes from one client address (127.0.0.2) at several hundred new
        # connections a second: an administrator would lift the per-client rate for
        # such a client, as the benches do.
        server = Deployed(self.root, "--grace", "5", "--max-connection-rate", "0",
                          listen=(f"127.0.0.1:{port},proxy",))
        self.addCleanup(server.__exit__, None, None, None)
        return server.start()

    def haproxy(self, frontend, backends, send_proxy):
        with open(TEMPLATE) as f:
            config = string.Template(f.read()).substitute(
                frontend_port=frontend, backend_a=backends[0], backend_b=backends[1], send_proxy=send_proxy)
        path = os.path.join(self.work, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(config)
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", path], capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        log = open(os.path.join(self.work, "haproxy.log"), "w")
        self.addCleanup(log.close)
        process = subprocess.Popen([HAPROXY, "-db", "-f", path], stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(stop_process, process)
        return process

    def wait_until_up(self, servers, frontend):
        """Both servers have passed health checks and haproxy answers."""
        for server in servers:
            server.wait_for_log(r'"GET /index\.html HTTP/1\.1" 200 ', timeout=10, count=2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Load(frontend, "warm-up").one_request() is None:
                return
            time.sleep(0.1)
        self.fail("haproxy does not answer:\n" + open(os.path.join(self.work, "haproxy.log")).read())

    def test_restarting_each_instance_under_load_loses_no_request(self):
        *ports, frontend = free_ports(3)
        servers = {"a": [self.prong(ports[0])], "b": [self.prong(ports[1])]}
        self.haproxy(frontend, [f"127.0.0.1:{p}" for p in ports], "send-proxy-v2")
        self.wait_until_up([servers["a"][0], servers["b"][0]], frontend)
        load = Load(frontend, "haproxy-load").start()
        exit_codes = []
        time.sleep(2.5)
        for name, port in (("a", ports[0]), ("b", ports[1])):
            exit_codes.append(servers[name][-1].stop())  # SIGTERM: graceful, waits for the exit
            time.sleep(1.5)  # haproxy marks it down; requests go to the other one
            servers[name].append(self.prong(port))
            time.sleep(2.5)  # back up after two good checks, and serving again
        load.stop()
        # A child logs its request just after sending the response: let the last lines arrive.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            counts = {name: [len([l for l in s.access_lines() if '"haproxy-load"' in l]) for s in instances]
                      for name, instances in servers.items()}
            if sum(map(sum, counts.values())) >= load.requests:
                break
            time.sleep(0.05)
        print(f"\nhaproxy run: {load.requests} requests, {load.failures} failed, {load.duration:.1f} s "
              f"({load.requests / load.duration:.0f}/s, {LOAD_THREADS} client threads); served by "
              f"a: {counts['a'][0]} then {counts['a'][1]} after its restart, "
              f"b: {counts['b'][0]} then {counts['b'][1]} after its restart", file=sys.stderr)
        self.assertEqual(load.failures, 0, f"failed requests, e.g.: {load.failure_samples}")
        self.assertGreater(load.requests, 200, "too little load to show anything")
        self.assertEqual(exit_codes, [0, 0])
        for name in ("a", "b"):
            self.assertTrue(all(count > 0 for count in counts[name]), f"{name} did not serve before and after: "
                            f"{counts[name]}")
        # The real client in prong's log, not haproxy's address; checks (LOCAL) under haproxy's.
        load_lines = [l for instances in servers.values() for s in instances for l in s.access_lines()
                      if '"haproxy-load"' in l]
        self.assertGreaterEqual(len(load_lines), load.requests, "a request answered but not logged")
        self.assertEqual({client_of(l) for l in load_lines}, {CLIENT_ADDRESS})
        check_lines = [l for l in servers["a"][0].access_lines() if '"haproxy-load"' not in l
                       and '"GET /index.html HTTP/1.1"' in l]
        self.assertIn("127.0.0.1", {client_of(l) for l in check_lines})

    def test_proxy_protocol_v1_through_haproxy(self):
        *ports, frontend = free_ports(3)
        servers = [self.prong(ports[0]), self.prong(ports[1])]
        self.haproxy(frontend, [f"127.0.0.1:{p}" for p in ports], "send-proxy")
        self.wait_until_up(servers, frontend)
        for index in range(6):
            self.assertIsNone(Load(frontend, f"v1-{index}").one_request())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [l for s in servers for l in s.access_lines() if re.search(r'"v1-\d"', l)]
            if len(lines) >= 6:
                break
            time.sleep(0.05)
        self.assertEqual(len(lines), 6, lines)
        self.assertEqual({client_of(l) for l in lines}, {CLIENT_ADDRESS})
