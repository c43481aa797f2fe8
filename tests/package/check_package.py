#!/usr/bin/env python3
"""check_package.py: the Debian package installs what it promises, in a scratch root.

Usage (make test-package, as root):
    unshare --mount --propagation private python3 tests/package/check_package.py build/prong_V_A.deb

What it shows, never touching the machine it runs on:
  - the control file: name, prong's version, this machine's architecture, the
    Depends the maintainer scripts need and no shared library (the binary is a
    static PIE without DT_NEEDED), lintian with no error or warning beyond the
    package's own explained overrides (and none of those unused);
  - the files: exactly the promised list, each root's with its mode; the binary
    is ./prong stripped; prong(8) is docs/prong.8 gzipped; the units, the
    sysusers.d, tmpfiles.d and logrotate files are the repository's (the units
    as make install rewrites them); /etc/logrotate.d/prong is a conffile;
  - installed with `dpkg --root` into a scratch root (base-passwd's users and
    groups, an empty dpkg database; the maintainer scripts run outside the
    root with DPKG_ROOT, as dpkg --force-script-chrootless does), dpkg
    --verify passes; postinst created the system users prong and prong-log
    (no home, nologin) and /var/log/prong (prong-log:adm 2750, writable by
    prong-log only; the checker's own control breaks each property and sees
    it reported); a second install changes no user; purge removes every file
    and /var/log/prong and keeps the users;
  - the installed binary, run in the root (chroot: it needs no library),
    passes `--check --root /usr/share/prong/www` as nobody and as prong, and
    logs it creates in /var/log/prong are 0640 and group adm (the set-group-ID
    directory); a missing root is still refused (exit 2);
  - the installed logrotate recipe, run by the real logrotate against the
    installed prong serving with --pid-file (the root's passwd, group, /var/log
    and an empty /run bind-mounted in this process's private mount namespace,
    so logrotate sees the package's users and cannot reach the machine's
    systemd): it rotates as prong-log (su), creates the new log prong-log:adm
    0640, and its SIGHUP makes prong write the next line to the new file; with
    the pid file naming a process that is not prong, nothing is signalled
    (that process lives on and prong keeps writing to the renamed file);
  - `systemd-analyze verify` passes on the units `make install DESTDIR=...
    PREFIX=/usr` stages, with the staged binary at its installed path (an
    overlay on /usr/sbin in the private namespace) and the staged man page;
    it fails without either (controls).
Every process started is stopped and reaped; every mount is undone and lives in
this process's mount namespace only; temporary directories are removed; the
machine's /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow, dpkg database
entry for prong and /var/log/prong are compared before and after.
Must not: run outside a private mount namespace, install anything on the
machine, or talk to its systemd.
"""
import gzip
import hashlib
import io
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "live"))
from harness import http_request  # noqa: E402  (the live suites' harness: bounded waits, reaping)
from test_deploy_support import Deployed  # noqa: E402

DEB = None  # set from the command line
PACKAGE_DEPENDS = "systemd | systemd-sysusers | adduser"
LOG_DIRECTORY = "var/log/prong"
LOG_DIRECTORY_MODE = 0o2750
SYSTEM_UID_MAX = 999  # login.defs SYS_UID_MAX on Debian
HOST_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"]
HOST_PATHS = ["/var/log/prong", "/usr/sbin/prong", "/etc/logrotate.d/prong", "/usr/lib/sysusers.d/prong.conf"]


def run(argv, timeout=120, **options):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **options)


def prong_version():
    with open(os.path.join(REPO, "include", "config.h")) as f:
        for line in f:
            if line.startswith("#define PRONG_VERSION "):
                return line.split('"')[1]
    raise AssertionError("include/config.h has no PRONG_VERSION")


def repository_file(path):
    with open(os.path.join(REPO, path), "rb") as f:
        return f.read()


def site_files():
    """www/, relative paths, as the package ships it under usr/share/prong/www."""
    found = []
    for directory, _, names in os.walk(os.path.join(REPO, "www")):
        for name in names:
            found.append(os.path.relpath(os.path.join(directory, name), os.path.join(REPO, "www")))
    return sorted(found)


def promised_files():
    """Every regular file the package must hold, with its mode (all are root's)."""
    files = {
        "etc/logrotate.d/prong": 0o644,
        "usr/lib/systemd/system/prong.service": 0o644,
        "usr/lib/systemd/system/prong.socket": 0o644,
        "usr/lib/sysusers.d/prong.conf": 0o644,
        "usr/lib/tmpfiles.d/prong.conf": 0o644,
        "usr/sbin/prong": 0o755,
        "usr/share/doc/prong/changelog.gz": 0o644,
        "usr/share/doc/prong/copyright": 0o644,
        "usr/share/lintian/overrides/prong": 0o644,
        "usr/share/man/man8/prong.8.gz": 0o644,
    }
    files.update({f"usr/share/prong/www/{name}": 0o644 for name in site_files()})
    return files


def installed_unit(name):
    """The unit as make install writes it for PREFIX=/usr."""
    text = repository_file(os.path.join("policy", name))
    return text.replace(b"/usr/local/sbin/prong", b"/usr/sbin/prong")


def read_table(path):
    """/etc/passwd or /etc/group of a root: name -> fields."""
    with open(path) as f:
        return {line.split(":")[0]: line.rstrip("\n").split(":") for line in f if line.strip()}


def digest(path):
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        return ("directory", os.stat(path).st_uid, os.stat(path).st_gid, stat.S_IMODE(os.stat(path).st_mode))
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def host_state():
    state = {path: digest(path) for path in HOST_FILES + HOST_PATHS}
    state["dpkg prong"] = run(["dpkg-query", "-W", "-f=${Status}", "prong"]).stdout
    return state


def new_root(test_case=None):
    """A scratch root as a fresh Debian system starts: base-passwd's users and
    groups, an empty dpkg database."""
    root = tempfile.mkdtemp(prefix="prong-package-root-")
    os.chmod(root, 0o755)
    for directory in ("etc", "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
        os.makedirs(os.path.join(root, directory), mode=0o755)
    shutil.copy("/usr/share/base-passwd/passwd.master", os.path.join(root, "etc", "passwd"))
    shutil.copy("/usr/share/base-passwd/group.master", os.path.join(root, "etc", "group"))
    open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
    if test_case:
        test_case.addCleanup(shutil.rmtree, root, True)
    return root


def dpkg(root, *arguments):
    """dpkg on the scratch root. The maintainer scripts run outside it with
    DPKG_ROOT set (they honour it); Depends cannot hold in an empty database."""
    return run(["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", *arguments])


def log_directory_problems(root):
    """What is wrong with the root's /var/log/prong, as postinst promises it:
    owned by prong-log, group adm, mode 2750 (no write but the owner's)."""
    users, groups = read_table(os.path.join(root, "etc/passwd")), read_table(os.path.join(root, "etc/group"))
    path = os.path.join(root, LOG_DIRECTORY)
    if not os.path.isdir(path) or os.path.islink(path):
        return [f"{LOG_DIRECTORY} is not a directory"]
    status = os.lstat(path)
    problems = []
    if "prong-log" not in users or status.st_uid != int(users["prong-log"][2]):
        problems.append(f"{LOG_DIRECTORY} is owned by uid {status.st_uid}, not prong-log")
    if status.st_gid != int(groups["adm"][2]):
        problems.append(f"{LOG_DIRECTORY} has gid {status.st_gid}, not adm")
    if stat.S_IMODE(status.st_mode) != LOG_DIRECTORY_MODE:
        problems.append(f"{LOG_DIRECTORY} has mode {stat.S_IMODE(status.st_mode):04o}, not 2750")
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problems.append(f"{LOG_DIRECTORY} is writable by its group or by everyone")
    return problems


def system_user_problems(root, name):
    users = read_table(os.path.join(root, "etc/passwd"))
    if name not in users:
        return [f"no user {name}"]
    _, _, uid, gid, _, home, shell = users[name]
    problems = []
    if not 0 < int(uid) <= SYSTEM_UID_MAX:
        problems.append(f"{name}: uid {uid} is not a system uid")
    if shell != "/usr/sbin/nologin":
        problems.append(f"{name}: shell {shell}")
    if home != "/nonexistent" or os.path.exists(os.path.join(root, home.lstrip("/"))):
        problems.append(f"{name}: home {home} (must be /nonexistent, absent)")
    groups = read_table(os.path.join(root, "etc/group"))
    if [group for group, fields in groups.items() if name in fields[3].split(",")]:
        problems.append(f"{name}: a member of another group")
    if not [group for group, fields in groups.items() if fields[2] == gid and group == name]:
        problems.append(f"{name}: primary group {gid} is not its own")
    return problems


def in_private_mount_namespace():
    """True when this process has a mount namespace of its own (not its
    parent's) in which no mount propagates to another namespace (no "shared:"
    peer group in /proc/self/mountinfo): what unshare --mount --propagation
    private gives, and what makes the test's mounts invisible to the machine."""
    if os.readlink("/proc/self/ns/mnt") == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
        return False
    with open("/proc/self/mountinfo") as f:
        return not any(" shared:" in line.split(" - ")[0] for line in f)


class Mounts:
    """Mounts made in this process's private namespace, undone in reverse."""

    def __init__(self):
        self.targets = []

    def mount(self, *arguments):
        result = run(["mount", *arguments])
        if result.returncode != 0:
            raise AssertionError(f"mount {' '.join(arguments)}: {result.stderr.strip()}")
        self.targets.append(arguments[-1])

    def bind(self, source, target):
        self.mount("--bind", source, target)

    def undo(self):
        while self.targets:
            target = self.targets.pop()
            result = run(["umount", target])
            if result.returncode != 0:
                raise AssertionError(f"umount {target}: {result.stderr.strip()}")


def wait_for_text(path, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                if text in f.read():
                    return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} did not reach {path} within {timeout}s")


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("the package test installs into a scratch root as root (CI runs it as root)")
        if not in_private_mount_namespace():
            raise SystemExit("check_package.py mounts things: run it in a private mount namespace "
                             "(make test-package: unshare --mount --propagation private ...)")
        cls.host_before = host_state()
        with tarfile.open(fileobj=io.BytesIO(subprocess.run(["dpkg-deb", "--fsys-tarfile", DEB], check=True,
                                                            capture_output=True).stdout)) as archive:
            cls.members = {member.name.removeprefix("./").rstrip("/"): member for member in archive.getmembers()}
            cls.contents = {name: archive.extractfile(member).read()
                            for name, member in cls.members.items() if member.isfile()}
        cls.root = new_root()
        cls.install = dpkg(cls.root, "-i", DEB)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, True)
        after = host_state()
        changed = [key for key in after if after[key] != cls.host_before[key]]
        if changed:
            raise AssertionError(f"the package test changed the machine itself: {changed}")

    def field(self, name):
        return run(["dpkg-deb", "--field", DEB, name]).stdout.strip()

    # ------------------------------------------------------------ the archive
    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "prong")
        self.assertEqual(self.field("Version"), prong_version())
        self.assertEqual(self.field("Architecture"), run(["dpkg", "--print-architecture"]).stdout.strip())
        self.assertEqual(self.field("Depends"), PACKAGE_DEPENDS)
        self.assertEqual(self.field("Pre-Depends"), "")
        self.assertEqual(run(["dpkg-deb", "--ctrl-tarfile", DEB]).returncode, 0)
        conffiles = run(["dpkg-deb", "--info", DEB, "conffiles"]).stdout
        self.assertEqual(conffiles, "/etc/logrotate.d/prong\n")
        # Why Depends names no library: the binary needs none.
        binary = os.path.join(self.root, "usr/sbin/prong")
        self.assertIn("static-pie linked", run(["file", "-b", binary]).stdout)
        dynamic = run(["readelf", "--dynamic", "--wide", binary]).stdout
        self.assertNotIn("(NEEDED)", dynamic)
        self.assertNotIn("interpreter", run(["readelf", "--program-headers", "--wide", binary]).stdout.lower())

    def test_archive_holds_exactly_the_promised_files(self):
        promised = promised_files()
        files = {name: member for name, member in self.members.items() if member.isfile()}
        self.assertEqual(sorted(files), sorted(promised))
        for name, member in self.members.items():
            self.assertEqual((member.uid, member.gid, member.uname, member.gname), (0, 0, "root", "root"), name)
            if member.isdir():
                self.assertEqual(member.mode, 0o755, name)
            elif member.isfile():
                self.assertEqual(member.mode, promised[name], name)
            else:
                self.fail(f"{name}: neither a file nor a directory")

    def test_archive_files_are_the_repository_files(self):
        self.assertEqual(self.contents["etc/logrotate.d/prong"], repository_file("packaging/prong.logrotate"))
        self.assertEqual(self.contents["usr/lib/sysusers.d/prong.conf"], repository_file("packaging/prong.sysusers"))
        self.assertEqual(self.contents["usr/lib/tmpfiles.d/prong.conf"], repository_file("packaging/prong.tmpfiles"))
        for unit in ("prong.service", "prong.socket"):
            self.assertEqual(self.contents[f"usr/lib/systemd/system/{unit}"], installed_unit(unit))
        self.assertIn(b"\nExecStart=/usr/sbin/prong ", self.contents["usr/lib/systemd/system/prong.service"])
        self.assertEqual(gzip.decompress(self.contents["usr/share/man/man8/prong.8.gz"]),
                         repository_file("docs/prong.8"))
        changelog = gzip.decompress(self.contents["usr/share/doc/prong/changelog.gz"]).decode()
        self.assertTrue(changelog.startswith(f"prong ({prong_version()}) "), changelog[:60])
        for name in site_files():
            self.assertEqual(self.contents[f"usr/share/prong/www/{name}"], repository_file(f"www/{name}"))

    def test_binary_is_the_release_build_stripped(self):
        work = tempfile.mkdtemp(prefix="prong-package-strip-")
        self.addCleanup(shutil.rmtree, work, True)
        copy = os.path.join(work, "prong")
        shutil.copy(os.path.join(REPO, "prong"), copy)
        subprocess.run(["strip", "--remove-section=.comment", "--remove-section=.note", "--strip-unneeded", copy],
                       check=True)
        with open(copy, "rb") as f:
            self.assertEqual(self.contents["usr/sbin/prong"], f.read(), "the package's binary is not ./prong")
        sections = run(["readelf", "--section-headers", "--wide", os.path.join(self.root, "usr/sbin/prong")]).stdout
        self.assertNotIn(".symtab", sections)
        self.assertNotIn(".debug_", sections)
        self.assertNotIn(b"__escape", self.contents["usr/sbin/prong"], "a test build was packaged")

    def test_lintian_reports_no_error_or_warning(self):
        # lintian unpacks the package: as nobody, in a directory of its own.
        work = tempfile.mkdtemp(prefix="prong-package-lintian-")
        self.addCleanup(shutil.rmtree, work, True)
        copy = os.path.join(work, os.path.basename(DEB))
        shutil.copy(DEB, copy)
        nobody = pwd.getpwnam("nobody")
        os.chown(work, nobody.pw_uid, nobody.pw_gid)
        result = run(["runuser", "-u", "nobody", "--", "env", f"HOME={work}", f"TMPDIR={work}",
                      "lintian", "--info", "--fail-on", "error,warning", copy], timeout=300)
        print(f"\nlintian {os.path.basename(DEB)}: exit {result.returncode}\n{result.stdout}{result.stderr}",
              file=sys.stderr)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:", "I:")]
        self.assertEqual(tags, [], "lintian tags beyond the package's overrides (or an unused override)")

    # ------------------------------------------------------------ the installed root
    def test_dpkg_installs_and_verifies(self):
        self.assertEqual(self.install.returncode, 0, self.install.stdout + self.install.stderr)
        self.assertIn("Setting up prong", self.install.stdout)
        result = dpkg(self.root, "--verify", "prong")
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))
        status = run(["dpkg-query", f"--admindir={self.root}/var/lib/dpkg", "-W", "-f=${Status}", "prong"]).stdout
        self.assertEqual(status, "install ok installed")

    def test_installed_files_owners_and_modes(self):
        for name, mode in promised_files().items():
            status = os.lstat(os.path.join(self.root, name))
            self.assertTrue(stat.S_ISREG(status.st_mode), name)
            self.assertEqual((status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)), (0, 0, mode), name)

    def test_users_created_as_system_users(self):
        for name in ("prong", "prong-log"):
            self.assertEqual(system_user_problems(self.root, name), [], name)
        users = read_table(os.path.join(self.root, "etc/passwd"))
        self.assertNotEqual(users["prong"][2], users["prong-log"][2])
        # Control: the checker sees a login shell, a real home, and a missing user.
        tampered = new_root(self)
        with open(os.path.join(tampered, "etc/passwd"), "a") as f:
            f.write("prong:x:998:998:x:/root:/bin/sh\n")
        with open(os.path.join(tampered, "etc/group"), "a") as f:
            f.write("prong:x:998:\n")
        self.assertEqual(len(system_user_problems(tampered, "prong")), 2, system_user_problems(tampered, "prong"))
        self.assertEqual(system_user_problems(tampered, "prong-log"), ["no user prong-log"])

    def test_log_directory_owned_by_prong_log_only(self):
        self.assertEqual(log_directory_problems(self.root), [])
        # Control: each broken property is reported.
        path = os.path.join(self.root, LOG_DIRECTORY)
        status = os.stat(path)
        prong_uid = int(read_table(os.path.join(self.root, "etc/passwd"))["prong"][2])
        try:
            os.chmod(path, 0o2770)
            self.assertIn(f"{LOG_DIRECTORY} is writable by its group or by everyone", log_directory_problems(self.root))
            os.chmod(path, LOG_DIRECTORY_MODE)
            os.chown(path, prong_uid, status.st_gid)
            self.assertEqual(log_directory_problems(self.root),
                             [f"{LOG_DIRECTORY} is owned by uid {prong_uid}, not prong-log"])
        finally:
            os.chown(path, status.st_uid, status.st_gid)
            os.chmod(path, stat.S_IMODE(status.st_mode))
        self.assertEqual(log_directory_problems(self.root), [])

    def test_second_install_changes_no_user(self):
        before = [digest(os.path.join(self.root, "etc", name)) for name in ("passwd", "group")]
        result = dpkg(self.root, "-i", DEB)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        after = [digest(os.path.join(self.root, "etc", name)) for name in ("passwd", "group")]
        self.assertEqual(after, before)
        self.assertEqual(log_directory_problems(self.root), [])

    def test_installed_binary_checks_the_bundled_site(self):
        def check(*flags):
            return run(["chroot", self.root, "/usr/sbin/prong", "--check", "--root", "/usr/share/prong/www", *flags])

        result = check()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"prong {prong_version()}: configuration is valid", result.stdout)
        self.assertIn("user:      nobody (uid 65534", result.stdout)
        uid = read_table(os.path.join(self.root, "etc/passwd"))["prong"][2]
        result = check("--user", "prong", "--access-log", "/var/log/prong/access.log",
                       "--error-log", "/var/log/prong/error.log")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"user:      prong (uid {uid},", result.stdout)
        adm = int(read_table(os.path.join(self.root, "etc/group"))["adm"][2])
        for name in ("access.log", "error.log"):
            status = os.stat(os.path.join(self.root, LOG_DIRECTORY, name))
            self.assertEqual((status.st_gid, stat.S_IMODE(status.st_mode)), (adm, 0o640), name)
        # Control: a root that does not exist is refused.
        result = run(["chroot", self.root, "/usr/sbin/prong", "--check", "--root", "/usr/share/prong/missing"])
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)

    def test_purge_removes_files_and_logs_keeps_users(self):
        root = new_root(self)
        self.assertEqual(dpkg(root, "-i", DEB).returncode, 0)
        self.assertTrue(os.path.isdir(os.path.join(root, LOG_DIRECTORY)))
        result = dpkg(root, "--purge", "prong")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        left = []
        for directory, _, names in os.walk(root):
            for name in names:
                path = os.path.relpath(os.path.join(directory, name), root)
                if not path.startswith("var/lib/dpkg/") and path != "var/log/dpkg.log":
                    left.append(path)
        self.assertFalse(os.path.exists(os.path.join(root, LOG_DIRECTORY)))
        self.assertEqual(sorted(name for name in left if not name.startswith("etc/")), [])
        self.assertEqual(sorted(name for name in left if name.startswith("etc/logrotate")), [])
        self.assertIn("prong-log", read_table(os.path.join(root, "etc/passwd")))

    # ------------------------------------------------------------ logrotate, for real
    def log_writer(self, root, logs):
        """prong serving the bundled site with its logs in `logs`, the monitor
        writing them as prong-log: through --log-user where the binary has it,
        else started as prong-log holding only CAP_SYS_CHROOT (as the unit
        starts its user), since a monitor with uid 0 but no capability can
        neither enter nor write a directory it does not own."""
        binary = os.path.join(root, "usr/sbin/prong")
        flags = ["--pid-file", "/run/prong.pid", "--access-log", os.path.join(logs, "access.log"),
                 "--error-log", os.path.join(logs, "error.log")]
        site = os.path.join(root, "usr/share/prong/www")
        if "--log-user" in run([binary, "--help"]).stdout:
            return Deployed(site, *flags, "--log-user", "prong-log", binary=binary)
        entry = pwd.getpwnam("prong-log")  # the root's, through the bind-mounted /etc/passwd
        with open("/run/prong.pid", "w"):
            pass
        os.chown("/run/prong.pid", entry.pw_uid, entry.pw_gid)
        prefix = ["setpriv", "--reuid=prong-log", "--regid=prong-log", "--clear-groups",
                  "--inh-caps=-all,+sys_chroot", "--ambient-caps=+sys_chroot", "--bounding-set=-all,+sys_chroot",
                  "--no-new-privs"]
        return Deployed(site, *flags, prefix=prefix, binary=binary)

    def test_logrotate_recipe_rotates_as_prong_log_and_signals_prong(self):
        root = self.root
        mounts = Mounts()
        self.addCleanup(mounts.undo)
        # This namespace only: logrotate and setpriv resolve prong-log and adm in
        # the root's tables, logrotate rotates the root's /var/log/prong, and
        # finds no systemd through /run.
        mounts.bind(os.path.join(root, "etc/passwd"), "/etc/passwd")
        mounts.bind(os.path.join(root, "etc/group"), "/etc/group")
        mounts.bind(os.path.join(root, "var/log"), "/var/log")
        mounts.mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
        users, groups = read_table("/etc/passwd"), read_table("/etc/group")
        uid, adm = int(users["prong-log"][2]), int(groups["adm"][2])
        access = "/var/log/prong/access.log"
        for name in ("access.log", "access.log.1", "error.log", "error.log.1"):
            if os.path.exists(os.path.join("/var/log/prong", name)):
                os.unlink(os.path.join("/var/log/prong", name))  # --check's, from another test
        work = tempfile.mkdtemp(prefix="prong-package-logrotate-")
        self.addCleanup(shutil.rmtree, work, True)
        recipe = os.path.join(root, "etc/logrotate.d/prong")

        def rotate():
            result = run(["logrotate", "--force", "--verbose", "--state", os.path.join(work, "state"), recipe])
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            return result.stdout + result.stderr

        def served(agent):
            self.assertEqual(http_request(server.port, path="/index.html", headers={"User-Agent": agent})[0], 200)

        def text(path):
            with open(path, errors="replace") as f:
                return f.read()

        server = self.log_writer(root, "/var/log/prong")
        self.addCleanup(lambda: server.process and server.process.stdout and server.process.stdout.close())
        with server:
            served("before")
            wait_for_text(access, '"before"')
            status = os.stat(access)
            self.assertEqual((status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)), (uid, adm, 0o640))
            output = rotate()
            self.assertIn(f"switching euid from 0 to {uid} and egid from 0 to {adm}", output)
            status = os.stat(access)
            self.assertEqual((status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)), (uid, adm, 0o640))
            self.assertIn('"before"', text(access + ".1"))
            # The recipe's SIGHUP reopened the logs: the next line is in the new file.
            served("after")
            wait_for_text(access, '"after"')
            self.assertNotIn('"after"', text(access + ".1"))
            self.assertNotIn("cannot reopen", text("/var/log/prong/error.log"))
            # Control: a pid file naming a process that is not prong gets no signal.
            stranger = subprocess.Popen(["sleep", "60"])
            try:
                with open("/run/prong.pid", "w") as f:
                    f.write(f"{stranger.pid}\n")
                rotate()
                time.sleep(0.2)
                self.assertIsNone(stranger.poll(), "the recipe signalled a process that is not prong")
            finally:
                stranger.kill()
                stranger.wait(10)
            served("unsignalled")
            wait_for_text(access + ".1", '"unsignalled"')
            self.assertEqual(server.stop(), 0)

    # ------------------------------------------------------------ the staged units
    def test_staged_units_pass_systemd_analyze_verify(self):
        stage = tempfile.mkdtemp(prefix="prong-package-stage-")
        self.addCleanup(shutil.rmtree, stage, True)
        result = run(["make", "--no-print-directory", "install", f"DESTDIR={stage}", "PREFIX=/usr"], cwd=REPO,
                     timeout=600)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        units = os.path.join(stage, "usr/lib/systemd/system")
        for unit in ("prong.service", "prong.socket"):
            with open(os.path.join(units, unit), "rb") as f:
                self.assertEqual(f.read(), self.contents[f"usr/lib/systemd/system/{unit}"], unit)
        host_has_prong = os.path.exists("/usr/sbin/prong")

        def verify(manpath):
            env = dict(os.environ, MANPATH=manpath, SYSTEMD_LOG_COLOR="0")
            result = run(["systemd-analyze", "verify", "--man=yes", os.path.join(units, "prong.socket"),
                          os.path.join(units, "prong.service")], env=env, cwd=stage)
            print(f"\nsystemd-analyze verify (MANPATH={manpath}): exit {result.returncode}\n"
                  f"{result.stdout}{result.stderr}", file=sys.stderr)
            return result.returncode, [line for line in (result.stdout + result.stderr).splitlines() if "prong" in line]

        mounts = Mounts()
        self.addCleanup(mounts.undo)
        # The staged binary at its installed path, in this namespace only.
        mounts.mount("-t", "overlay", "overlay", "-o", f"lowerdir={stage}/usr/sbin:/usr/sbin", "/usr/sbin")
        self.assertEqual(verify(os.path.join(stage, "usr/share/man")), (0, []))
        # Controls: without the man page, and without the binary, verify fails.
        code, lines = verify(os.path.join(stage, "no-man"))
        self.assertNotEqual(code, 0)
        self.assertTrue(any("man prong(8)" in line for line in lines), lines)
        mounts.undo()
        if host_has_prong:
            print("\nthis machine has its own /usr/sbin/prong: the missing-binary control is not run", file=sys.stderr)
            return
        code, lines = verify(os.path.join(stage, "usr/share/man"))
        self.assertNotEqual(code, 0)
        self.assertTrue(any("is not executable" in line for line in lines), lines)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not sys.argv[1].endswith(".deb") or not os.path.isfile(sys.argv[1]):
        raise SystemExit("usage: check_package.py PACKAGE.deb (make test-package)")
    DEB = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
