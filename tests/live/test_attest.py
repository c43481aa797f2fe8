"""test_attest.py: `prong --attest` reads every role's state from /proc and passes
only when every configured layer is there; the lab build's --lab-sabotage removes
a layer without telling the checks, and they must catch it."""
import json
import os
import subprocess

from harness import LAB_BINARY, LiveTestCase, PRONG, log_user_ids


class AttestTest(LiveTestCase):
    def attest(self, *flags, binary=PRONG):
        return subprocess.run([binary, "--root", self.root, "--listen", "127.0.0.1:0", "--attest", *flags],
                              capture_output=True, text=True, timeout=60)

    def test_release_build_attests_every_layer(self):
        result = self.attest()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([line["role"] for line in lines], ["monitor", "supervisor", "child"])
        monitor, supervisor, child = lines
        for role in lines:
            self.assertTrue(role["ok"], role)
            self.assertEqual(role["problems"], [])
            for capability_set in ("cap_inheritable", "cap_permitted", "cap_effective", "cap_bounding", "cap_ambient"):
                self.assertEqual(int(role[capability_set], 16), 0, (role["role"], capability_set))
            self.assertEqual(role["no_new_privs"], 1)
            self.assertEqual(role["seccomp"], 2)
            self.assertGreaterEqual(role["seccomp_filters"], 1)
        # No process keeps uid 0: the monitor is the log user, not the run user either.
        log_uid, log_gid = log_user_ids(self.root)
        self.assertEqual(monitor["uid"], [log_uid] * 4)
        self.assertEqual(monitor["gid"], [log_gid] * 4)
        self.assertNotIn(0, monitor["uid"] + supervisor["uid"] + child["uid"])
        self.assertNotEqual(monitor["uid"], supervisor["uid"])
        self.assertEqual(monitor["sockets"], 0, "a socket besides the log channel")
        self.assertEqual(monitor["root"], "/")
        for jailed in (supervisor, child):
            self.assertEqual(jailed["uid"], [65534] * 4)
            self.assertEqual(jailed["gid"], [65534] * 4)
            self.assertEqual(jailed["groups"], 0)
            self.assertEqual(jailed["root"], os.path.realpath(self.root))
            self.assertEqual(jailed["limits"]["file_size"], 0)
            self.assertEqual(jailed["limits"]["core_file_size"], 0)
        self.assertEqual(child["limits"]["processes"], 0)
        self.assertEqual(child["limits"]["open_files"], 16)
        self.assertNotEqual(supervisor["pid"], child["pid"])
        self.assertFalse(child["landlock"]["visible_in_proc"], "Landlock is not in /proc; the line must not claim it")

    def test_missing_child_limits_are_caught(self):
        result = self.attest("--lab-sabotage", "child-limits", binary=LAB_BINARY)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        child = [json.loads(line) for line in result.stdout.splitlines()][2]
        self.assertFalse(child["ok"])
        self.assertIn("RLIMIT_NPROC is not 0", child["problems"])

    def test_start_up_verification_refuses_a_sabotaged_jail(self):
        for layer, message in (("seccomp", "the supervisor's jail is not as configured"),
                               ("capabilities", "the supervisor's jail is not as configured"),
                               ("chroot", "the supervisor's root is not the document root")):
            with self.subTest(layer=layer):
                result = self.attest("--lab-sabotage", layer, binary=LAB_BINARY)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertNotIn("listening on", result.stderr, "it must refuse before serving")

    def test_lab_without_a_layer_is_reported_honestly(self):
        result = self.attest("--lab-without", "seccomp", binary=LAB_BINARY)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        supervisor = [json.loads(line) for line in result.stdout.splitlines()][1]
        self.assertEqual(supervisor["seccomp"], 0, "without seccomp, /proc must show no filter")

    def test_require_landlock(self):
        abi = int(subprocess.run(["python3", "-c", "import ctypes,os;l=ctypes.CDLL(None).syscall;"
                                  "print(max(l(444,None,0,1),0))"], capture_output=True, text=True).stdout or 0)
        result = self.attest("--require-landlock")
        if abi > 0:
            self.assertEqual(result.returncode, 0, result.stderr)
        else:
            self.assertEqual(result.returncode, 2)
            self.assertIn("--require-landlock", result.stderr)
