"""test_deploy_unprivileged.py: prong started by an ordinary user, without any capability.

What it shows: the supervisor builds its jail inside a user namespace of its
own (it holds CAP_SYS_CHROOT only over that namespace, uses it for the chroot
and drops it), so --attest passes for every role (the user's ids, no
capability, NoNewPrivs, Seccomp 2), a request is served, and every escape
action of tests/escape/actions.py ends exactly as it does as root. `make run`
by an ordinary user serves a read-only copy of www/ and removes it when
stopped with ^C (SIGINT to the process group).
Each test creates its own user (useradd -m) and deletes it; every process
started is stopped and reaped; loopback only.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import PRONG, REPO, LiveTestCase, http_request
from test_deploy_support import (TEST_BINARY, free_port, outside_secret, run_escape_actions, run_to_exit, start,
                                 stop_process, temporary_user)


class OrdinaryUserTest(LiveTestCase):
    def setUp(self):
        super().setUp()
        self.user = self.enterContext(temporary_user())
        self.as_user = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])

    def test_attest_as_an_ordinary_user(self):
        result = run_to_exit([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--attest"], timeout=60,
                             **self.as_user)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        roles = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([r["role"] for r in roles], ["monitor", "supervisor", "child"])
        for role in roles:
            self.assertTrue(role["ok"], role)
            self.assertEqual(role["problems"], [])
            self.assertEqual(role["uid"], [self.user.pw_uid] * 4, role["role"])
            for capability_set in ("cap_inheritable", "cap_permitted", "cap_effective", "cap_ambient"):
                self.assertEqual(int(role[capability_set], 16), 0, (role["role"], capability_set))
            self.assertEqual(role["no_new_privs"], 1)
            self.assertEqual(role["seccomp"], 2)
        self.assertEqual(roles[0]["sockets"], 0)

    def test_serves_and_every_escape_action_fails_as_it_does_as_root(self):
        server = start(self, self.root, "--crash-limit", "0", binary=TEST_BINARY, user=self.user.pw_name)
        status = dict(line.split(":", 1) for line in open(f"/proc/{server.pid}/status"))
        self.assertEqual(status["Uid"].split()[0], str(self.user.pw_uid))
        self.assertEqual(int(status["CapEff"], 16), 0)
        supervisor = server.supervisor_pid()
        self.assertNotEqual(os.readlink(f"/proc/{supervisor}/ns/user"), os.readlink(f"/proc/{server.pid}/ns/user"),
                            "the supervisor is not in a user namespace of its own")
        self.assertEqual(os.readlink(f"/proc/{supervisor}/root"), os.path.realpath(self.root))
        status, _, body = http_request(server.port, path="/index.html")
        self.assertEqual(status, 200)
        run_escape_actions(self, server, outside_secret(self))

    def test_make_run_as_an_ordinary_user(self):
        # The user can read the tree but not write build/: everything must be built already.
        if subprocess.run(["make", "--no-print-directory", "-q", "all"], cwd=REPO, capture_output=True,
                          timeout=120).returncode != 0:
            subprocess.run(["make", "--no-print-directory", "all"], cwd=REPO, check=True, capture_output=True,
                           timeout=600)
        scratch = tempfile.mkdtemp(prefix="prong-run-")
        self.addCleanup(shutil.rmtree, scratch, True)
        os.chown(scratch, self.user.pw_uid, self.user.pw_gid)
        os.chmod(scratch, 0o700)
        port = free_port()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.user.pw_dir, "TMPDIR": scratch,
               "LC_ALL": "C.UTF-8"}
        process = subprocess.Popen(["make", "--no-print-directory", "run", f"RUN_LISTEN=127.0.0.1:{port}"], cwd=REPO,
                                   env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True, text=True, **self.as_user)
        self.addCleanup(stop_process, process)
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("prong: listening on"):
                break
        self.assertIn(f"prong: listening on 127.0.0.1:{port}", lines, "\n".join(lines))
        copies = os.listdir(scratch)
        self.assertEqual(len(copies), 1, copies)
        copy = os.path.join(scratch, copies[0])
        self.assertEqual(os.stat(copy).st_mode & 0o777, 0o555)
        self.assertEqual(os.stat(os.path.join(copy, "index.html")).st_mode & 0o777, 0o444)
        status, _, body = http_request(port, path="/")
        self.assertEqual(status, 200)
        with open(os.path.join(REPO, "www", "index.html"), "rb") as f:
            self.assertEqual(body, f.read())
        os.killpg(process.pid, signal.SIGINT)  # ^C at a terminal
        rest = process.communicate(timeout=30)[0]
        self.assertEqual(os.listdir(scratch), [], "the read-only copy was left behind:\n" + rest)
        self.assertIn("stopped:", rest)
        # www/ itself is untouched.
        self.assertEqual(os.stat(os.path.join(REPO, "www", "index.html")).st_uid, 0)
