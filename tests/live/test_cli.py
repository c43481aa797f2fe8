"""test_cli.py: the real binary's command line and its set-up refusals. Every
refusal exits 2 with exactly one line on standard error, starting "prong:",
and nothing on standard output; --help, --version and --check exit 0 without
serving. --help is checked against the flag table in src/flag_table.c, so a
flag added there without help text (or a default) fails here."""
import os
import pwd
import re
import shutil
import socket
import stat
import struct
import subprocess
import tempfile

from harness import PRONG, REPO, LiveTestCase, make_root

FLAG_TABLE_SOURCE = os.path.join(REPO, "src", "flag_table.c")
# A flag whose help says it exits (--check, --version, --help...) is an action, not a
# setting; the required --root has no default either. Every other flag names its default.
ACTION_HELP = re.compile(r"\bexit\b|\(required\)")


def run_prong(*args, timeout=15):
    """Run ./prong to completion: (exit code, stdout, stderr)."""
    try:
        done = subprocess.run([PRONG, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"prong {' '.join(args)} did not exit within {timeout}s: {expired.stderr!r}")
    return done.returncode, done.stdout.decode("latin-1"), done.stderr.decode("latin-1")


def configured_flags():
    """Every flag of the flag table (src/flag_table.c) that every build has (rows
    marked lab_only are the lab build's)."""
    with open(FLAG_TABLE_SOURCE) as f:
        source = f.read()
    table = source[source.index("FLAG_TABLE[] = {"):]
    table = table[:table.index("\n};")]
    rows = re.split(r"\n    \{", table)[1:]
    return [re.search(r'\.name = "([a-z0-9-]+)"', row).group(1) for row in rows if ".lab_only = true" not in row]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CliTest(LiveTestCase):
    def assert_refused(self, *args, mentions=None):
        code, out, err = run_prong(*args)
        self.assertEqual(code, 2, f"exit {code} for {args}: {err!r}")
        self.assertEqual(out, "", "a refusal printed on standard output")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr, got {err!r}")
        self.assertTrue(lines[0].startswith("prong: "), lines[0])
        self.assertTrue(err.endswith("\n"))
        if mentions:
            self.assertRegex(lines[0], mentions)
        self.assertNotIn("listening on", err)
        return lines[0]

    def listen_args(self):
        return ["--listen", f"127.0.0.1:{free_port()}"]

    def scratch_root(self, files=None):
        root = make_root(files or {"index.html": b"x\n"})
        self.addCleanup(shutil.rmtree, root, True)
        return root

    # ------------------------------------------------------------ usage
    def test_bad_usage(self):
        root = self.root
        cases = [
            (["--root", root, "--no-such-flag"], r"unknown flag '--no-such-flag'"),
            (["--root", root, "-x"], r"unknown flag"),
            (["--root", root, "stray"], r"unexpected argument 'stray'"),
            (["--root", root, "--max-fields", "x"], r"--max-fields: expected an integer"),
            (["--root", root, "--max-fields", "-1"], r"--max-fields"),
            (["--root", root, "--max-requests", "0"], r"--max-requests"),
            (["--root", root, "--head-timeout", "0"], r"--head-timeout"),
            (["--root", root, "--head-timeout", "1.2345"], r"--head-timeout"),
            (["--root", root, "--idle-timeout", "soon"], r"--idle-timeout"),
            (["--root", root, "--server-header", "maybe"], r"--server-header: expected on or off"),
            (["--root", root, "--symlinks", "sometimes"], r"--symlinks"),
            (["--root", root, "--index", "a/b.html"], r"--index"),
            (["--root", root, "--cache-control", "a\x7fb"], r"--cache-control"),
            (["--root", root, "--index", ".."], r"--index"),
            (["--root", root, "--error-log", "off"], r"--error-log"),
            (["--root", root, "--access-log", "relative.log"], r"absolute path"),
            (["--root", root, "--max-fields"], r"missing its value"),
            (["--root", root, "--listen", "example.com:80"], r"--listen 'example.com:80'"),
            (["--root", root, "--listen", "127.0.0.1:99999"], r"99999|--listen|port"),
            (["--listen", "127.0.0.1:0"], r"--root DIR is required"),
            ([], r"--root DIR is required"),
        ]
        for args, mentions in cases:
            with self.subTest(args=args):
                self.assert_refused(*args, mentions=mentions)

    def test_refusal_line_does_not_echo_control_bytes(self):
        """A value with a line break is still one line on standard error: the
        message must not forge a second "prong: ..." line (or a log line)."""
        root = self.root
        cases = [
            (["--root", root, "--cache-control", "a\r\nX: y"], r"--cache-control"),
            (["--root", root, "--index", "a\nprong: forged"], r"--index"),
            (["--root", root, "--symlinks", "x\nprong: forged"], r"--symlinks"),
            (["--root", root, "--no-such\nprong: forged"], r"unknown flag"),
            (["--root", root, "stray\nprong: forged"], r"unexpected argument"),
            (["--root", "/nonexistent\nprong: forged"], r"--root"),
            (["--root", root, "--user", "x\nprong: forged"], r"unknown user"),
            (["--root", root, "--access-log", "/nonexistent/a\nprong: forged"], r"--access-log"),
            (["--root", root, "--mime-types", "/nonexistent/m\nprong: forged"], r"--mime-types"),
        ]
        for args, mentions in cases:
            with self.subTest(args=args):
                self.assert_refused(*args, mentions=mentions)

    def test_help_lists_every_flag_with_its_default(self):
        code, out, err = run_prong("--help")
        self.assertEqual((code, err), (0, ""))
        flags = configured_flags()
        self.assertGreater(len(flags), 20, "could not read the flag table from src/flag_table.c")
        help_lines, current = {}, None  # a flag's help, its wrapped lines joined
        for line in out.splitlines():
            m = re.match(r"^  --([a-z0-9-]+)\b", line)
            if m:
                current = m.group(1)
                help_lines[current] = line
            elif current and line.startswith(" "):
                help_lines[current] += " " + line.strip()
            else:
                current = None
        self.assertEqual(sorted(help_lines), sorted(flags), "--help and the flag table differ")
        for flag in flags:
            with self.subTest(flag=flag):
                if not ACTION_HELP.search(help_lines[flag]):
                    self.assertRegex(help_lines[flag], r"\(default[ :]", f"--{flag}'s help does not give its default")
        self.assertIn("(required)", help_lines["root"])
        for flag in ("check", "version", "help"):
            self.assertRegex(help_lines[flag], r"\bexit\b")
        self.assertIn("exit status", out)
        # The help also works with other flags around it, before any set-up.
        code, out_again, _ = run_prong("--root", "/nonexistent", "--help")
        self.assertEqual((code, out_again), (0, out))

    def test_version(self):
        code, out, err = run_prong("--version")
        self.assertEqual((code, err), (0, ""))
        self.assertRegex(out, r"^prong \d+\.\d+\.\d+\n$")

    def test_check_validates_and_exits_without_listening(self):
        port = free_port()
        code, out, err = run_prong("--root", self.root, "--listen", f"127.0.0.1:{port}", "--check")
        self.assertEqual(code, 0, err)
        self.assertNotIn("listening on", out + err)
        self.assertIn("configuration is valid", out)
        self.assertIn(f"root:      {os.path.realpath(self.root)}", out)
        self.assertRegex(out, r"user:\s+nobody \(uid 65534, gid 65534\)")
        self.assertIn(f"listen:    127.0.0.1:{port}", out)
        self.assertRegex(out, r"seccomp \(\d+ instructions\)")
        # Nothing is left listening, and --check still refuses what a start would.
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)
        os.chmod(self.root, 0o777)
        self.assert_refused("--root", self.root, "--check", *self.listen_args(), mentions=r"writable")

    # ------------------------------------------------------------ set-up refusals
    def test_missing_root_directory(self):
        self.assert_refused("--root", "/nonexistent/prong-root", *self.listen_args(),
                            mentions=r"--root /nonexistent/prong-root: No such file")
        index = os.path.join(self.root, "index.html")
        self.assert_refused("--root", index, *self.listen_args(), mentions=r"Not a directory")

    def test_root_user_refused(self):
        self.assert_refused("--root", self.root, "--user", "root", *self.listen_args(), mentions=r"uid or gid is 0")
        # --check refuses it as well: it validates everything a start would.
        self.assert_refused("--root", self.root, "--user", "root", "--check", *self.listen_args(),
                            mentions=r"refusing to run as user 'root'")

    def test_unknown_user(self):
        """An unknown --user is a set-up refusal, not a crash (a static binary must
        not fall through to NSS modules it cannot load)."""
        for name in ("no-such-user-prong", "nobody2", "0"):
            with self.subTest(user=name):
                self.assert_refused("--root", self.root, "--user", name, *self.listen_args(),
                                    mentions=rf"unknown user '{name}'")

    def test_address_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            self.assert_refused("--root", self.root, "--listen", f"127.0.0.1:{port}", mentions=r"in use")
            # Also when only the second of two listeners is taken.
            self.assert_refused("--root", self.root, *self.listen_args(), "--listen", f"127.0.0.1:{port}",
                                mentions=r"in use")

    def test_root_writable_by_the_run_user(self):
        cases = {
            "root directory 0777": lambda root: os.chmod(root, 0o777),
            "subdirectory 0777": lambda root: os.chmod(os.path.join(root, "sub"), 0o777),
            "file 0666": lambda root: os.chmod(os.path.join(root, "sub", "page.txt"), 0o666),
            "file group-writable by nogroup": lambda root: (
                os.chown(os.path.join(root, "index.html"), 0, 65534),
                os.chmod(os.path.join(root, "index.html"), 0o664)),
        }
        for name, spoil in cases.items():
            with self.subTest(case=name):
                root = self.scratch_root({"index.html": b"x\n", "sub/page.txt": b"y\n"})
                spoil(root)
                self.assert_refused("--root", root, *self.listen_args(), mentions=r"writable by the run user")

    def test_root_with_an_access_acl_granting_the_run_user_write(self):
        """A named ACL entry can give nobody write access that the mode bits do not
        show (they show the mask, and the owning group is root's); the start-up
        walk reads each file's and directory's access ACL. Controls: the same ACL
        with a read-only mask, and for another uid, are accepted."""
        nobody = pwd.getpwnam("nobody")
        everyone = 0xFFFFFFFF

        def acl(*entries):  # the kernel's system.posix_acl_access value: version 2, then tag, perm, id,
            entries = sorted(entries)  # in tag order, as the kernel requires (USER_OBJ 1 ... OTHER 0x20)
            return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)

        def named(tag, ident, mask):  # owner rwx, owning group r-x, a named entry rwx, the mask, other r-x
            return acl((0x01, 7, everyone), (tag, 7, ident), (0x04, 5, everyone), (0x10, mask, everyone),
                       (0x20, 5, everyone))

        cases = [(".", named(0x02, nobody.pw_uid, 7), True), ("sub", named(0x08, nobody.pw_gid, 7), True),
                 ("sub/page.txt", named(0x02, nobody.pw_uid, 6), True),
                 ("sub/page.txt", named(0x02, nobody.pw_uid, 5), False),  # the mask takes write away
                 ("sub/page.txt", named(0x02, nobody.pw_uid + 1, 7), False)]  # another user
        for target, value, refused in cases:
            with self.subTest(target=target, acl=value.hex(), refused=refused):
                root = self.scratch_root({"index.html": b"x\n", "sub/page.txt": b"y\n"})
                os.setxattr(os.path.join(root, target), "system.posix_acl_access", value)
                if refused:
                    self.assert_refused("--root", root, *self.listen_args(),
                                        mentions=r"writable by the run user \(access control list\)")
                else:
                    code, _, err = run_prong("--root", root, *self.listen_args(), "--check")
                    self.assertEqual(code, 0, err)

    def test_root_with_files_owned_by_the_run_user(self):
        for target in ("index.html", "sub", "sub/page.txt", "."):
            with self.subTest(owned=target):
                root = self.scratch_root({"index.html": b"x\n", "sub/page.txt": b"y\n"})
                path = os.path.join(root, target)
                os.chown(path, 65534, 65534)
                os.chmod(path, 0o555 if os.path.isdir(path) else 0o444)  # read-only, but nobody could chmod it
                self.assert_refused("--root", root, *self.listen_args(), mentions=r"owned by the run user")

    def test_root_with_a_device_node_or_a_setuid_file(self):
        root = self.scratch_root()
        os.mknod(os.path.join(root, "null"), 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        self.assert_refused("--root", root, *self.listen_args(), mentions=r"null is a device node")
        root = self.scratch_root({"deep/er/x": b""})
        os.mknod(os.path.join(root, "deep", "er", "disk"), 0o600 | stat.S_IFBLK, os.makedev(7, 0))
        self.assert_refused("--root", root, *self.listen_args(), mentions=r"disk is a device node")
        for mode, name in ((0o4755, "setuid"), (0o2755, "setgid")):
            with self.subTest(mode=name):
                root = self.scratch_root({"bin/tool": b"#!/bin/sh\n"})
                os.chmod(os.path.join(root, "bin", "tool"), mode)
                self.assert_refused("--root", root, *self.listen_args(), mentions=r"tool is setuid or setgid")

    def test_log_file_inside_the_root(self):
        for flag in ("--access-log", "--error-log"):
            for relative in ("prong.log", "sub/../prong.log"):
                with self.subTest(flag=flag, path=relative):
                    root = self.scratch_root({"index.html": b"x\n", "sub/a": b""})
                    self.assert_refused("--root", root, *self.listen_args(), flag, os.path.join(root, relative),
                                        mentions=rf"{flag} .*inside the document root")
        # A log file outside the root is fine (checked without serving).
        logs = tempfile.mkdtemp(prefix="prong-logs-")
        self.addCleanup(shutil.rmtree, logs, True)
        code, _, err = run_prong("--root", self.root, *self.listen_args(), "--access-log",
                                 os.path.join(logs, "access.log"), "--check")
        self.assertEqual(code, 0, err)

    def test_log_file_inside_the_root_is_not_created(self):
        """A refused log path must not leave a file behind in the document root."""
        root = self.scratch_root()
        before = sorted(os.listdir(root))
        self.assert_refused("--root", root, *self.listen_args(), "--access-log", os.path.join(root, "access.log"))
        self.assertEqual(sorted(os.listdir(root)), before, "the refused log file was created inside the root")
