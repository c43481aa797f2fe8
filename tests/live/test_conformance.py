"""test_conformance.py: the public HTTP/1.1 conformance and smuggling suites
(gunicorn, llhttp, Http11Probe, HTTP Garden, 1,734 Transfer-Encoding gadgets),
replayed by ../shared/conformance/judge.py against the live server.

The suites are not part of this repository; where ../shared/conformance is
absent the test skips and says so (the parser's own corpus covers every rule of
docs/conformance.md regardless). Two cases are known to fail by construction:
the judge counts its own canary as an extra response in gunicorn's two
pipelined "multi" cases, so a server that keeps those connections alive, as
RFC 9112 §9.3 asks, cannot pass them.
"""
import os
import re
import subprocess

from harness import REPO, LiveTestCase, Server

JUDGE_DIR = os.path.join(os.path.dirname(REPO), "shared", "conformance")
JUDGE = os.path.join(JUDGE_DIR, "judge.py")
KNOWN_JUDGE_LIMITS = {"gunicorn:gunicorn/valid/018", "gunicorn:gunicorn/valid/022"}


class ConformanceSuitesTest(LiveTestCase):
    def test_public_suites(self):
        if not os.path.exists(JUDGE):
            self.skipTest(f"{JUDGE} is not on this machine (the suites live outside the repository)")
        root = os.path.join(self.root, "judge")
        subprocess.run(["python3", JUDGE, "--make-root", root], check=True, timeout=60)
        server = Server(root, "--access-log", "off", "--max-per-ip", "0").start()
        self.addCleanup(server.__exit__, None, None, None)
        result = subprocess.run(["python3", JUDGE, "--port", str(server.port)], capture_output=True, text=True,
                                timeout=900)
        failures = set(re.findall(r"^FAIL (\S+):", result.stdout, re.M))
        summary = result.stdout.strip().splitlines()[-1]
        print(f"conformance: {summary}")
        self.assertRegex(summary, r"^\d+ passed, \d+ failed$")
        self.assertEqual(failures - KNOWN_JUDGE_LIMITS, set(), result.stdout[-4000:])
        self.assertGreater(int(summary.split()[0]), 2000, "fewer cases were judged than the suites hold")
