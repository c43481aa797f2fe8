"""test_static_browser.py: a real browser loads the bundled site from prong, then reloads it.

Debian's headless chromium (make deps installs it) is driven over the Chrome
DevTools Protocol with a small WebSocket client written here (standard library
only): it loads http://127.0.0.1:PORT/ served by prong from a copy of www/ with
--cache-control no-cache, and prong's access log must show 200 for the page,
/style.css and /images/prong.png; a reload must then show 304 for each of them
(the browser revalidated with the validators prong sent). The browser runs as
root with its own sandbox off (--no-sandbox: Chromium refuses root otherwise),
in a fresh profile, with every host name but 127.0.0.1 unresolvable and its
background services off, so it talks to nothing but prong.

Chromium missing: the test fails when run as root or with CI set (make test and
CI run as root after make deps installed it), else it is skipped.
Must not: leave a browser process or profile behind, or wait without a deadline.
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

from harness import REPO, make_root
from test_static_helpers import StaticTestCase

BROWSER_NAMES = ("chromium", "chromium-browser")
RESOURCES = ("/", "/style.css", "/images/prong.png")
STEP_TIMEOUT = 30  # seconds for each browser step


def find_browser():
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), frames in (any size)."""

    def __init__(self, url, timeout):
        assert url.startswith("ws://")
        address, _, path = url[len("ws://"):].partition("/")
        host, _, port = address.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("DevTools closed the WebSocket handshake")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise AssertionError(f"WebSocket handshake refused: {head[:200]!r}")

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("DevTools closed the WebSocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive(self):
        """The next whole text message (continuations joined; pings answered)."""
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise AssertionError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode("utf-8", "replace")

    def close(self):
        self.sock.close()


class DevTools:
    """One page target of a running browser."""

    def __init__(self, websocket_url):
        self.socket = WebSocket(websocket_url, STEP_TIMEOUT)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self.socket.receive())
            if message.get("id") == call_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise AssertionError(f"{method}: no answer within {STEP_TIMEOUT}s")

    def wait_for_event(self, name):
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self.socket.receive())
            if message.get("method") == name:
                return message.get("params", {})
        raise AssertionError(f"no {name} within {STEP_TIMEOUT}s")

    def close(self):
        self.socket.close()


class Browser:
    """Headless chromium with a fresh profile and a DevTools port; always reaped."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="prong-chromium-")
        self.log = open(os.path.join(self.profile, "browser.log"), "w+b")
        argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "--disable-dev-shm-usage",
                "--no-default-browser-check", "--disable-extensions", "--disable-default-apps", "--no-pings",
                "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-proxy-server",
                "--password-store=basic", "--use-mock-keychain", "--metrics-recording-only",
                "--disable-features=Translate,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying,"
                "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "about:blank"]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def devtools_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"chromium exited with {self.process.returncode}:\n{self.output()}")
            try:
                with open(path) as f:
                    lines = f.read().split("\n")
                if lines and lines[0].strip().isdigit():
                    return int(lines[0])
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"chromium did not open its DevTools port:\n{self.output()}")

    def page(self):
        port = self.devtools_port()
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=STEP_TIMEOUT) as answer:
                targets = json.load(answer)
            pages = [t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return DevTools(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise AssertionError("chromium shows no page target")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-3000:]

    def stop(self):
        """SIGTERM, then SIGKILL to the browser's own process group; reap; remove the profile."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # helpers (zygote, renderers) share the group
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        finally:
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


class BrowserTest(StaticTestCase):
    def setUp(self):
        super().setUp()
        self.browser_binary = find_browser()
        if self.browser_binary is None:
            if os.environ.get("CI") or os.geteuid() == 0:
                self.fail("chromium is not installed: run make deps (it is in DEB_PACKAGES)")
            self.skipTest("chromium is not installed")
        self.site = make_root()
        self.addCleanup(shutil.rmtree, self.site, True)
        shutil.copytree(os.path.join(REPO, "www"), self.site, dirs_exist_ok=True)
        for directory, dirs, names in os.walk(self.site):
            for d in dirs:
                os.chmod(os.path.join(directory, d), 0o755)
            for n in names:
                os.chmod(os.path.join(directory, n), 0o644)

    def lines_for(self, server, status, path):
        pattern = f'"GET {path} HTTP/1.1" {status} '
        return [line for line in server.access_lines() if pattern in line and "HeadlessChrome" in line]

    def wait_for_statuses(self, server, status):
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            found = {path: self.lines_for(server, status, path) for path in RESOURCES}
            if all(found.values()):
                return [lines[0] for lines in found.values()]
            time.sleep(0.05)
        self.fail(f"no {status} for every one of {RESOURCES} in prong's access log:\n" +
                  "\n".join(server.access_lines()))

    def test_load_then_reload_revalidates(self):
        server = self.server("--cache-control", "no-cache", root=self.site)
        browser = Browser(self.browser_binary)
        self.addCleanup(browser.stop)
        page = browser.page()
        self.addCleanup(page.close)
        page.call("Page.enable")
        page.call("Page.navigate", url=f"http://127.0.0.1:{server.port}/")
        page.wait_for_event("Page.loadEventFired")
        first = self.wait_for_statuses(server, 200)
        image = page.call("Runtime.evaluate", expression="document.getElementById('logo').naturalWidth")
        self.assertGreater(image["result"]["value"], 0, "the image did not decode")
        page.call("Page.reload", ignoreCache=False)
        page.wait_for_event("Page.loadEventFired")
        second = self.wait_for_statuses(server, 304)
        print("\n  prong access log, first load:\n    " + "\n    ".join(first) +
              "\n  after the reload:\n    " + "\n    ".join(second), flush=True)
        # Every revalidation carried a validator prong had sent, and got no body.
        for line in second:
            self.assertRegex(line, r'" 304 0 "')
