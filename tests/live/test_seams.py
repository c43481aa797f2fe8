"""test_seams.py: a compromised connection process reaches nothing past its own
connection through what it shares with the monitor and the supervisor.

Each test makes a fully jailed connection process of build/prong-test attack a
seam (tests/escape/escape_seams.c), and checks the attack's effect is nil; a
positive control shows each check can fail: the same attack against the lab
build with that defence removed (--lab-sabotage log-checks, kill, secrets)
does what it tries, or the test shows the state it relies on is real.
  - the log channel: forged supervisor lines, another client's access line,
    terminal escapes, a stray marker, READY/STATUS: written as the child's own
    or dropped and counted; a flood: cut at its quota, its sender killed, other
    clients' lines kept;
  - the kill: children that ignore their cut socket are killed, the newcomer
    they blocked is served, a SIGTERM leaves nothing behind;
  - the monitor's secrets: AT_RANDOM is cleared in every child and the
    monitor's canary is nowhere in a child's stack;
  - the fair share: a client holding nothing is served when a few addresses
    hold every slot with slow downloads;
  - PROXY headers only from --trusted-proxy peers when any is set;
  - Landlock ABI 3 or an explicit acceptance of less;
  - the log directory: refused when another user could write it, no link
    followed on rotation.
Must not: leave a process behind (hung children are killed by pid in cleanup).
"""
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import (LAB_BINARY, PRONG, REPO, LiveTestCase, http_request, log_user_ids, make_log_directory,
                     running)

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
sys.path.insert(0, os.path.join(REPO, "tests", "attack"))
import hostile  # noqa: E402
import seams  # noqa: E402  (tests/escape/seams.py: the scenarios, shared with the layer matrix)
from actions import run_action  # noqa: E402

TEST_BINARY = os.path.join(REPO, "build", "prong-test")


class SeamTest(LiveTestCase):
    files = {"index.html": b"inside the jail\n", "big.bin": b"\0" * (8 << 20)}

    def kill_on_cleanup(self, pid):
        self.addCleanup(seams.kill_quietly, pid)

    # ------------------------------------------------------------ the log channel
    def test_forged_log_lines_are_written_as_the_childs_own_or_dropped(self):
        result = seams.forge(TEST_BINARY, self.root)
        self.assertTrue(result.held, result.cell)
        lines = result.lines
        self.assertTrue([l for l in lines if re.search(rf"prong\[child {result.pid}\]: prong\[supervisor 1\]: "
                                                       r"client 198\.51\.100\.7 refused", l)],
                        "the forged text is not under the child's own name")
        self.assertTrue([l for l in lines if "\\x1b[2J" in l and "escape-forgery" in l], "escapes not escaped")
        self.assertTrue([l for l in lines if "first\\x0aprong[supervisor 1]: second-forgery" in l],
                        "a newline split the message")
        own = [l for l in lines if "/own-record" in l]
        self.assertEqual(len(own), 1)
        self.assertTrue(own[0].startswith("127.0.0.1 - - ["), own[0])
        self.assertFalse([l for l in lines if "999 connections open, forged" in l])
        report = [l for l in lines if re.search(r"prong\[monitor \d+\]: log channel: dropped \d+ messages", l)]
        self.assertTrue(report, "the monitor did not report what it dropped")
        self.assertRegex(report[0], r"forged=2\b")
        self.assertRegex(report[0], r"malformed=2\b")  # the stray marker, the record naming a client

    def test_control_a_trusting_monitor_writes_the_forgeries(self):
        result = seams.forge(LAB_BINARY, self.root, ["--lab-sabotage", "log-checks"])
        self.assertFalse(result.held, "the positive control: without the monitor's checks the forgeries pass")
        self.assertTrue([l for l in result.lines if re.match(r"^\S+ prong\[supervisor 1\]: client 198\.51\.100\.7", l)])

    def test_a_flooding_child_costs_only_itself(self):
        result = seams.flood(TEST_BINARY, self.root)
        self.assertTrue(result.held, result.cell)
        self.assertGreater(result.details["written"], 0)
        joined = "\n".join(result.lines)
        self.assertRegex(joined, r"prong\[monitor \d+\]: connection process \d+ exceeded its log quota")
        self.assertRegex(joined, r"child pid=\d+ client=127\.0\.0\.1 killed: it broke its log quota")
        self.assertRegex(joined, r"child pid=\d+ .*signal=9 \(SIGKILL\)")
        self.assertRegex(joined, r"log channel: dropped \d+ messages in the last second:.* over-quota=\d+")

    def test_control_without_checks_the_flood_is_written(self):
        result = seams.flood(LAB_BINARY, self.root, ["--lab-sabotage", "log-checks"])
        self.assertFalse(result.held, "the positive control: without a quota the flood goes through")
        self.assertGreater(result.details["written"], seams.FLOOD_REQUESTS + 16)

    # ------------------------------------------------------------ the kill
    def test_children_that_ignore_their_cut_are_killed(self):
        result = seams.hang(TEST_BINARY, self.root)
        self.assertTrue(result.held, result.cell)
        line = [l for l in result.lines if "killed: it did not end after its eviction" in l]
        self.assertTrue(line, "no child was killed")
        victim = int(re.search(r"child pid=(\d+)", line[0]).group(1))
        self.assertIn(victim, result.details["pids"])
        self.assertTrue([l for l in result.lines if re.search(rf"child pid={victim} .*signal=9 .*evicted killed", l)])

    def test_control_a_supervisor_that_cannot_kill_stays_full(self):
        result = seams.hang(LAB_BINARY, self.root, ["--lab-sabotage", "kill"])
        self.assertFalse(result.held, "the positive control: hung children hold every slot without the kill")
        self.assertEqual(result.details["status"], 503)
        self.assertEqual(len(result.details["survivors"]), 4, "a hung child ended without the kill")

    def hung(self, server, count):
        pids = []
        for _ in range(count):
            sock, pid = seams.start_action(server, "hang")
            self.addCleanup(sock.close)
            self.kill_on_cleanup(pid)
            pids.append(pid)
        return pids

    def test_sigterm_leaves_no_process_behind(self):
        server = self.server("--grace", "1", binary=TEST_BINARY)
        pids = self.hung(server, 2)
        supervisor = server.supervisor_pid()
        server.stop(timeout=20)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(running(pid) for pid in pids + [supervisor]):
            time.sleep(0.05)
        self.assertFalse([pid for pid in pids + [supervisor] if running(pid)], "a process outlived the server")
        server.wait_for_log(r"killed: it did not end after its connection was cut")

    def test_control_without_the_kill_a_child_outlives_the_server(self):
        server = self.server("--grace", "1", "--lab-sabotage", "kill", binary=LAB_BINARY)
        pids = self.hung(server, 1)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(4)
        self.assertTrue(running(pids[0]), "the positive control: without the kill the hung child survives")

    # ------------------------------------------------------------ the monitor's secrets
    def test_children_hold_neither_at_random_nor_the_monitors_canary(self):
        result = seams.secrets(TEST_BINARY, self.root)
        self.assertNotEqual(result.details["monitor_random"], bytes(16), "the monitor's own AT_RANDOM is there")
        self.assertTrue(result.held, result.cell)

    def test_control_without_the_clearing_a_child_finds_them(self):
        result = seams.secrets(LAB_BINARY, self.root, ["--lab-sabotage", "secrets"])
        self.assertNotEqual(result.details["child_random"], "0" * 32, "the positive control: AT_RANDOM is inherited")
        self.assertGreater(result.details["found"], 0, "the positive control: the monitor's canary is found")

    # ------------------------------------------------------------ the fair share
    def test_a_client_holding_nothing_is_served_when_few_addresses_hold_every_slot(self):
        result = seams.fair_share(TEST_BINARY, self.root)
        self.assertTrue(result.held, result.cell)
        self.assertEqual(result.details["heavy_status"], 503, "control: a client holding two pushed another out")
        self.assertTrue([l for l in result.lines if re.search(r"child pid=\d+ client=127\.0\.[1-4]\.1 .* evicted", l)])

    def test_control_without_the_fair_share_the_newcomer_is_locked_out(self):
        result = seams.fair_share(LAB_BINARY, self.root, ["--lab-sabotage", "fair-share"])
        self.assertFalse(result.held, "the positive control: round 1's rule never evicts a slow reader")

    # ------------------------------------------------------------ PROXY headers
    def test_proxy_headers_only_from_trusted_proxies(self):
        header = b"PROXY TCP4 198.51.100.9 127.0.0.1 5555 80\r\n"
        request = hostile.request("/index.html", close=True)
        server = self.server("--trusted-proxy", "127.0.0.2", listen=("127.0.0.1:0,proxy",))
        with hostile.connect_from("127.0.0.1", server.port) as untrusted:
            untrusted.sendall(header + request)
            data, _ = hostile.read_until_close(untrusted, 10)
        self.assertEqual(data, b"", "a peer that is no trusted proxy got an answer")
        with hostile.connect_from("127.0.0.2", server.port) as proxy:
            proxy.sendall(header + request)
            data, _ = hostile.read_until_close(proxy, 10)
        self.assertEqual(hostile.status_of(data), 200)
        server.wait_for_log(r'^198\.51\.100\.9 - - \[.*"GET /index\.html HTTP/1\.1" 200')
        # Control, the documented default: without --trusted-proxy any peer may send one.
        open_server = self.server(listen=("127.0.0.1:0,proxy",))
        with hostile.connect_from("127.0.0.1", open_server.port) as anyone:
            anyone.sendall(header + request)
            data, _ = hostile.read_until_close(anyone, 10)
        self.assertEqual(hostile.status_of(data), 200)

    # ------------------------------------------------------------ Landlock's ABI
    def test_weak_landlock_is_refused_unless_accepted(self):
        refused = subprocess.run([LAB_BINARY, "--root", self.root, "--listen", "127.0.0.1:0",
                                  "--lab-landlock-abi", "2", "--check"], capture_output=True, text=True, timeout=30)
        self.assertEqual(refused.returncode, 2)
        self.assertEqual(len(refused.stderr.splitlines()), 1, refused.stderr)
        self.assertIn("--allow-weak-landlock", refused.stderr)
        # Accepted: it starts. Beside it, one with the kernel's ABI (7 here, 3 at least).
        weak = self.server("--lab-landlock-abi", "2", "--allow-weak-landlock", binary=LAB_BINARY)
        strong = self.server(binary=TEST_BINARY)
        # A file the run user may write, made so after the start-up check.
        victim = os.path.join(self.root, "made-writable.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        nobody = pwd.getpwnam("nobody")
        os.chown(victim, nobody.pw_uid, nobody.pw_gid)
        # ABI 3's truncate right refuses a truncating open for reading...
        outcome, _, _ = run_action(strong, "openat2-trunc", "made-writable.txt")
        self.assertEqual(outcome, ("errno", "EACCES"))
        self.assertEqual(os.path.getsize(victim), 9)
        # ...which the weaker ABI cannot: the weakness the flag accepts.
        outcome, _, _ = run_action(weak, "openat2-trunc", "made-writable.txt")
        self.assertEqual(outcome, ("ok",))
        self.assertEqual(os.path.getsize(victim), 0)

    # ------------------------------------------------------------ the log directory
    def test_a_log_directory_another_user_may_write_is_refused(self):
        for mode, owner, why in ((0o777, None, "writable by its group or by others"),
                                 (0o755, "nobody", "belongs to another user")):
            with self.subTest(mode=oct(mode), owner=owner):
                logs = tempfile.mkdtemp(prefix="prong-logs-")
                self.addCleanup(shutil.rmtree, logs, True)
                os.chmod(logs, mode)
                if owner:
                    entry = pwd.getpwnam(owner)
                    os.chown(logs, entry.pw_uid, entry.pw_gid)
                done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--access-log",
                                       os.path.join(logs, "access.log"), "--check"],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 2, done.stdout)
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertIn(why, done.stderr)
                self.assertEqual(os.listdir(logs), [], "a refused start left a file behind")

    def test_rotation_follows_no_link(self):
        logs = make_log_directory(self.root)
        self.addCleanup(shutil.rmtree, logs, True)
        target = tempfile.NamedTemporaryFile(prefix="prong-precious-", delete=False)
        target.write(b"root's file\n")
        target.close()
        self.addCleanup(os.unlink, target.name)
        access = os.path.join(logs, "access.log")
        server = self.server("--access-log", access)
        self.assertEqual(http_request(server.port, path="/index.html?before")[0], 200)
        os.rename(access, access + ".1")
        os.symlink(target.name, access)  # what a user who could write the directory would plant
        os.kill(server.pid, signal.SIGHUP)
        server.wait_for_log(r"prong\[monitor \d+\]: cannot reopen .*access\.log: .*; still writing the old file")
        self.assertEqual(http_request(server.port, path="/index.html?after")[0], 200)
        time.sleep(0.5)
        with open(target.name, "rb") as f:
            self.assertEqual(f.read(), b"root's file\n", "the monitor wrote through a link")
        with open(access + ".1") as f:
            self.assertIn("?after", f.read(), "the old file was not kept")
        # Control: a plain rotation reopens (the link removed, a new file made).
        os.unlink(access)
        os.kill(server.pid, signal.SIGHUP)
        server.wait_for_log(r"SIGHUP: reopened .*access\.log")
        self.assertEqual(http_request(server.port, path="/index.html?third")[0], 200)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (os.path.exists(access) and "?third" in open(access).read()):
            time.sleep(0.05)
        self.assertIn("?third", open(access).read())
        self.assertEqual(os.stat(access).st_uid, log_user_ids(self.root)[0], "the new log is not the log user's")
