"""test_deploy_operations.py: what an administrator does to a running or installed prong.

What it shows: log rotation (the access and error logs renamed, SIGHUP: new
lines go to new files at the original paths, the renamed files keep the old
lines and get nothing new) as docs/logging.md's logrotate snippet does it;
--pid-file holds the monitor's pid (the process to signal), and a pid file
inside the document root is refused; `make install DESTDIR=... PREFIX=/usr`
installs exactly the release binary, the man page, the two units (ExecStart
rewritten to the installed path), the sysusers.d, tmpfiles.d and logrotate
files and the bundled site, and never a test or lab build, and `make
uninstall` removes them; `man -l docs/prong.8` renders without warnings; the
logrotate snippet in docs/deploy.md and docs/logging.md signals the pid file.
Every process started is stopped and reaped; temporary directories removed.
"""
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from harness import PRONG, REPO, LiveTestCase, http_request, make_log_directory
from test_deploy_support import render_man, run_to_exit, start


def wait_for_text(path, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} did not reach {path} within {timeout}s")


class OperationsTest(LiveTestCase):
    def scratch(self):
        path = tempfile.mkdtemp(prefix="prong-ops-")
        os.chmod(path, 0o755)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_sighup_reopens_logs_after_rotation(self):
        logs = make_log_directory(self.root)
        self.addCleanup(shutil.rmtree, logs, True)
        access, errors = os.path.join(logs, "access.log"), os.path.join(logs, "error.log")
        server = start(self, self.root, "--access-log", access, "--error-log", errors, "--log-children")
        self.assertEqual(http_request(server.port, path="/index.html", headers={"User-Agent": "before"})[0], 200)
        wait_for_text(access, '"before"')
        wait_for_text(errors, "child pid=")
        # logrotate: rename, then (postrotate) SIGHUP; lines in between still reach the old file.
        os.rename(access, access + ".1")
        os.rename(errors, errors + ".1")
        self.assertEqual(http_request(server.port, path="/index.html", headers={"User-Agent": "between"})[0], 200)
        wait_for_text(access + ".1", '"between"')
        os.kill(server.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (os.path.exists(access) and os.path.exists(errors)):
            time.sleep(0.02)
        self.assertTrue(os.path.exists(access) and os.path.exists(errors), "SIGHUP did not create new log files")
        self.assertEqual(http_request(server.port, path="/index.html", headers={"User-Agent": "after"})[0], 200)
        wait_for_text(access, '"after"')
        wait_for_text(errors, "child pid=")
        old, new = open(access + ".1").read(), open(access).read()
        self.assertIn('"before"', old)
        self.assertIn('"between"', old)
        self.assertNotIn('"after"', old, "a line reached the rotated file after SIGHUP")
        self.assertNotIn('"before"', new)
        self.assertEqual(stat.S_IMODE(os.stat(access).st_mode), 0o640)
        self.assertEqual(server.stop(), 0)
        self.assertIn("stopped:", open(errors).read())
        self.assertNotIn("stopped:", open(errors + ".1").read())

    def test_pid_file_holds_the_monitor(self):
        run = self.scratch()
        pid_file = os.path.join(run, "prong.pid")
        server = start(self, self.root, "--pid-file", pid_file)
        self.assertEqual(open(pid_file).read(), f"{server.pid}\n")
        self.assertNotEqual(int(open(pid_file).read()), server.supervisor_pid())
        # It is the process to signal: SIGTERM to that pid stops prong, exit 0.
        os.kill(int(open(pid_file).read()), signal.SIGTERM)
        self.assertEqual(server.wait(), 0)
        # A pid file inside the document root would be served (or swapped): refused.
        result = run_to_exit([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--pid-file",
                              os.path.join(self.root, "prong.pid")])
        self.assertEqual(result.returncode, 2)
        self.assertIn("inside the document root is refused", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "prong.pid")))

    def test_make_install_installs_exactly_the_release_files(self):
        destination = self.scratch()
        result = run_to_exit(["make", "--no-print-directory", "install", f"DESTDIR={destination}", "PREFIX=/usr"],
                             cwd=REPO, timeout=600)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        installed = sorted(os.path.relpath(os.path.join(directory, name), destination)
                           for directory, _, names in os.walk(destination) for name in names)
        site = sorted(os.path.relpath(os.path.join(directory, name), os.path.join(REPO, "www"))
                      for directory, _, names in os.walk(os.path.join(REPO, "www")) for name in names)
        self.assertEqual(installed, sorted(["etc/logrotate.d/prong", "usr/lib/systemd/system/prong.service",
                                            "usr/lib/systemd/system/prong.socket", "usr/lib/sysusers.d/prong.conf",
                                            "usr/lib/tmpfiles.d/prong.conf", "usr/sbin/prong",
                                            "usr/share/man/man8/prong.8"]
                                           + [f"usr/share/prong/www/{name}" for name in site]))
        for installed_name, source in (("etc/logrotate.d/prong", "packaging/prong.logrotate"),
                                       ("usr/lib/sysusers.d/prong.conf", "packaging/prong.sysusers"),
                                       ("usr/lib/tmpfiles.d/prong.conf", "packaging/prong.tmpfiles")):
            with open(os.path.join(REPO, source)) as f:
                self.assertEqual(open(os.path.join(destination, installed_name)).read(), f.read(), installed_name)
        binary = os.path.join(destination, "usr/sbin/prong")
        with open(binary, "rb") as f, open(PRONG, "rb") as release:
            content = f.read()
            self.assertEqual(content, release.read(), "the installed binary is not ./prong")
        self.assertNotIn(b"__escape", content, "a test build was installed")
        self.assertNotIn(b"--lab-", content, "a lab build was installed")
        self.assertEqual(stat.S_IMODE(os.stat(binary).st_mode), 0o755)
        service = open(os.path.join(destination, "usr/lib/systemd/system/prong.service")).read()
        self.assertRegex(service, r"(?m)^ExecStart=/usr/sbin/prong ")
        self.assertNotIn("/usr/local/sbin/prong", service)
        with open(os.path.join(REPO, "policy", "prong.socket")) as f:
            self.assertEqual(open(os.path.join(destination, "usr/lib/systemd/system/prong.socket")).read(), f.read())
        for unit in ("prong.service", "prong.socket"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(destination, "usr/lib/systemd/system", unit)).st_mode),
                             0o644)
        with open(os.path.join(REPO, "docs", "prong.8")) as f:
            self.assertEqual(open(os.path.join(destination, "usr/share/man/man8/prong.8")).read(), f.read())
        # ExecStart names the file just installed.
        command = re.search(r"(?m)^ExecStart=(\S+)", service).group(1)
        self.assertTrue(os.access(destination + command, os.X_OK), command)
        result = run_to_exit(["make", "--no-print-directory", "uninstall", f"DESTDIR={destination}", "PREFIX=/usr"],
                             cwd=REPO)
        self.assertEqual(result.returncode, 0, result.stderr)
        left = [name for _, _, names in os.walk(destination) for name in names]
        self.assertEqual(left, [])

    def test_man_page_renders_without_warnings(self):
        text, warnings, code = render_man(os.path.join(REPO, "docs", "prong.8"))
        self.assertEqual((code, warnings), (0, ""))
        for section in ("NAME", "SYNOPSIS", "LISTEN ADDRESSES", "OPTIONS", "SIGNALS", "SYSTEMD", "EXIT STATUS"):
            self.assertRegex(text, rf"(?m)^{section}$")
        groff = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(REPO, "docs", "prong.8")],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual((groff.returncode, groff.stderr), (0, ""))

    def test_documented_logrotate_snippet_signals_the_pid_file(self):
        deploy = open(os.path.join(REPO, "docs", "deploy.md")).read()
        snippet = re.search(r"```\n((?:#.*\n)*/var/log/prong/\*\.log \{.*?\n\})\n```", deploy, re.S)
        self.assertIsNotNone(snippet, "docs/deploy.md has no logrotate snippet")
        self.assertIn("postrotate", snippet.group(1))
        self.assertRegex(snippet.group(1), r"systemctl reload prong|kill -HUP")
        readme = open(os.path.join(REPO, "README.md")).read()
        self.assertIn("docs/deploy.md", readme)
