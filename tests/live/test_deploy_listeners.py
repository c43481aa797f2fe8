"""test_deploy_listeners.py: the --listen grammar, end to end.

What it shows: several --listen at once each serve; an IPv6 listener is IPv6
only (IPV6_V6ONLY, as `ss` reports it; the IPv4 address at that port is not
served by it); unix:/PATH with mode=, owner=, group= makes a socket file with
exactly that mode and ownership, serves over it (client "local" in the log),
keeps out a user the mode excludes, replaces a stale socket file, and refuses
(exit 2, one line naming --listen) a regular file at that path, leaving it as it
was. The CVE-2016-1247 family (root binds, then sets mode and owner by name, and
whoever may write the directory swaps the name for a link in between): a link
at the socket path is refused and never followed (its target's mode, owner and
bytes unchanged; the positive control: the same flags in a safe directory set
the socket's mode and owner), and a directory anyone but root and the starting
user may change (world-writable with and without the sticky bit, as /tmp;
group-writable; another user's) is refused before anything is created in it
(the positive control: the same flags in a 0755 root directory, or through a
link to it, serve). reuseport lets two instances share a
port and both serve, while a third without it fails with exit 2 "Address
already in use"; malformed or misplaced options are exit-2 errors; --help
and the man page state the grammar.
Loopback only; every process started is stopped and reaped.
"""
import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time

from harness import PRONG, REPO, LiveTestCase, http_request
from test_deploy_support import (SERVICE_USER, ensure_service_user, exchange, free_port, get_request, render_man,
                                 run_to_exit, start, status_of)


def unix_get(path, agent="over-unix"):
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(10)
        client.connect(path)
        client.sendall(get_request("/index.html", agent))
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return data


class ListenersTest(LiveTestCase):
    def scratch(self):
        path = tempfile.mkdtemp(prefix="prong-listen-")
        os.chmod(path, 0o755)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_several_listeners_each_serve(self):
        server = start(self, self.root, listen=("127.0.0.1:0", "127.0.0.2:0", "[::1]:0"))
        self.assertEqual(len(server.addresses), 3)
        self.assertTrue(server.addresses[0].startswith("127.0.0.1:"))
        self.assertTrue(server.addresses[1].startswith("127.0.0.2:"))
        self.assertTrue(server.addresses[2].startswith("[::1]:"))
        for (host, port) in (("127.0.0.1", server.ports[0]), ("127.0.0.2", server.ports[1]),
                             ("::1", server.ports[2])):
            response, _ = exchange(port, get_request("/index.html", f"via-{host}"), host=host)
            self.assertEqual(status_of(response), 200, host)
        line = server.wait_for_log(r'"via-::1"')[0]
        self.assertTrue(line.startswith("::1 "), line)

    def test_ipv6_listener_is_ipv6_only(self):
        server = start(self, self.root, listen=("[::1]:0",))
        port = server.port
        response, _ = exchange(port, get_request("/index.html"), host="::1")
        self.assertEqual(status_of(response), 200)
        listing = run_to_exit(["ss", "-ltnHe", f"sport = :{port}"]).stdout
        ours = [line for line in listing.splitlines() if f"[::1]:{port} " in line]
        self.assertEqual(len(ours), 1, listing)
        self.assertIn("v6only:1", ours[0])
        # The IPv4 loopback at that port is not served by it.
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_unix_socket_mode_owner_group(self):
        ensure_service_user()
        work = self.scratch()
        path = os.path.join(work, "prong.sock")
        service = pwd.getpwnam(SERVICE_USER)
        group = grp.getgrgid(service.pw_gid).gr_name
        server = start(self, self.root, listen=(f"unix:{path},mode=0600,owner={SERVICE_USER},group={group}",))
        self.assertEqual(server.addresses, [f"unix:{path}"])
        status = os.lstat(path)
        self.assertTrue(stat.S_ISSOCK(status.st_mode))
        self.assertEqual(stat.S_IMODE(status.st_mode), 0o600)
        self.assertEqual((status.st_uid, status.st_gid), (service.pw_uid, service.pw_gid))
        self.assertEqual(status_of(unix_get(path)), 200)
        self.assertTrue(server.wait_for_log(r'"over-unix"')[0].startswith("local "))
        # The mode keeps out everyone but the owner: nobody may not connect.
        probe = subprocess.run(["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); "
                                "s.connect(sys.argv[1])", path], user="nobody", group="nogroup", extra_groups=[],
                               capture_output=True, text=True, timeout=30)
        self.assertNotEqual(probe.returncode, 0)
        self.assertIn("PermissionError", probe.stderr)
        # ... while its owner may.
        probe = subprocess.run(["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); "
                                "s.connect(sys.argv[1])", path], user=SERVICE_USER, group=service.pw_gid,
                               extra_groups=[], capture_output=True, text=True, timeout=30)
        self.assertEqual(probe.returncode, 0, probe.stderr)

    def test_unix_socket_default_mode(self):
        work = self.scratch()
        path = os.path.join(work, "default.sock")
        start(self, self.root, listen=(f"unix:{path}",))
        status = os.lstat(path)
        self.assertEqual(stat.S_IMODE(status.st_mode), 0o660)
        self.assertEqual((status.st_uid, status.st_gid), (0, 0))
        self.assertEqual(status_of(unix_get(path)), 200)

    def refused(self, listen, reason):
        """prong exits 2 with one line naming --listen and the reason; returns that line."""
        result = run_to_exit([PRONG, "--root", self.root, "--listen", listen])
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        path = listen.split(",", 1)[0]
        self.assertTrue(result.stderr.startswith(f"prong: --listen {path}: "), result.stderr)
        self.assertRegex(result.stderr, reason)
        return result.stderr

    def test_stale_socket_replaced_and_regular_file_refused(self):
        work = self.scratch()
        path = os.path.join(work, "stale.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()  # the file stays: what a crashed server leaves behind
        self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        os.chown(path, 65534, 65534)
        with socket.socket(socket.AF_UNIX) as probe, self.assertRaises(ConnectionRefusedError):
            probe.connect(path)  # nobody listens on a stale socket file
        server = start(self, self.root, listen=(f"unix:{path}",))
        status = os.lstat(path)
        self.assertEqual((status.st_uid, stat.S_IMODE(status.st_mode)), (0, 0o660), "the stale file was not replaced")
        self.assertEqual(status_of(unix_get(path)), 200)
        self.assertEqual(server.stop(), 0)
        regular = os.path.join(work, "regular")
        with open(regular, "w") as f:
            f.write("keep me\n")
        os.chmod(regular, 0o640)
        self.refused(f"unix:{regular},mode=0666", rf"{regular} exists and is not a socket\n$")
        self.assertEqual(open(regular).read(), "keep me\n", "the regular file was touched")
        self.assertEqual(stat.S_IMODE(os.lstat(regular).st_mode), 0o640, "the regular file's mode changed")

    def test_link_at_the_socket_path_is_never_followed(self):
        ensure_service_user()
        service = pwd.getpwnam(SERVICE_USER)
        group = grp.getgrgid(service.pw_gid).gr_name
        flags = f",mode=0666,owner={SERVICE_USER},group={group}"
        elsewhere = self.scratch()
        target = os.path.join(elsewhere, "shadow")  # stands for /etc/shadow
        with open(target, "w") as f:
            f.write("root:secret\n")
        os.chmod(target, 0o600)
        before = os.lstat(target)
        work = self.scratch()
        link = os.path.join(work, "prong.sock")
        os.symlink(target, link)
        self.refused(f"unix:{link}{flags}", r"exists and is not a socket \(a symbolic link: not followed\)\n$")
        self.assertTrue(os.path.islink(link), "the link was removed")
        self.assertEqual(os.readlink(link), target)
        after = os.lstat(target)
        self.assertEqual((stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid),
                         (stat.S_IMODE(before.st_mode), before.st_uid, before.st_gid), "the link's target was changed")
        self.assertEqual(open(target).read(), "root:secret\n")
        # A link to a directory at the socket's own name: refused the same way.
        os.unlink(link)
        os.symlink(elsewhere, link)
        self.refused(f"unix:{link}{flags}", r"exists and is not a socket")
        self.assertEqual(sorted(os.listdir(elsewhere)), ["shadow"], "something was made through the link")
        # The positive control: the same flags, a safe directory, no link: mode and owner are set.
        os.unlink(link)
        server = start(self, self.root, listen=(f"unix:{link}{flags}",))
        status = os.lstat(link)
        self.assertTrue(stat.S_ISSOCK(status.st_mode))
        self.assertEqual((stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid),
                         (0o666, service.pw_uid, service.pw_gid))
        self.assertEqual(status_of(unix_get(link)), 200)
        self.assertEqual(server.stop(), 0)
        after = os.lstat(target)
        self.assertEqual((stat.S_IMODE(after.st_mode), after.st_uid), (0o600, before.st_uid))

    def test_directory_others_may_change_is_refused(self):
        ensure_service_user()
        service = pwd.getpwnam(SERVICE_USER)
        flags = f",mode=0600,owner={SERVICE_USER}"
        cases = (
            (0o777, 0, r"its directory is writable by its group or by others"),
            (0o1777, 0, r"its directory is writable by its group or by others"),  # /tmp-style: refused too
            (0o775, 0, r"its directory is writable by its group or by others"),
            (0o755, 65534, r"its directory belongs to another user"),  # nobody's
        )
        for mode, owner, reason in cases:
            with self.subTest(mode=oct(mode), owner=owner):
                work = self.scratch()
                os.chown(work, owner, 0)
                os.chmod(work, mode)
                path = os.path.join(work, "prong.sock")
                line = self.refused(f"unix:{path}{flags}", reason)
                self.assertIn("use a directory only root or the starting user may write", line)
                self.assertEqual(os.listdir(work), [], "something was created in the refused directory")
        # A stale socket in such a directory is not unlinked either.
        work = self.scratch()
        os.chmod(work, 0o1777)
        path = os.path.join(work, "stale.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        os.chown(path, 65534, 65534)  # a replacement would be root's
        self.refused(f"unix:{path}", r"writable by its group or by others")
        status = os.lstat(path)
        self.assertTrue(stat.S_ISSOCK(status.st_mode))
        self.assertEqual(status.st_uid, 65534, "the refused directory's stale socket was replaced")
        # The positive control: the same flags in a 0755 root directory, and through a
        # link to it (as /var/run -> /run), serve with that mode and owner.
        safe = self.scratch()
        linked = os.path.join(self.scratch(), "run")
        os.symlink(safe, linked)
        for directory in (safe, linked):
            with self.subTest(directory=directory):
                path = os.path.join(directory, "ok.sock")
                server = start(self, self.root, listen=(f"unix:{path}{flags}",))
                status = os.lstat(os.path.join(safe, "ok.sock"))
                self.assertEqual((stat.S_IMODE(status.st_mode), status.st_uid), (0o600, service.pw_uid))
                self.assertEqual(server.stop(), 0)

    def test_reuseport_instances_share_a_port(self):
        port = free_port()
        first = start(self, self.root, "--log-children", listen=(f"127.0.0.1:{port},reuseport",))
        second = start(self, self.root, "--log-children", listen=(f"127.0.0.1:{port},reuseport",))
        self.assertEqual(first.port, port)
        self.assertEqual(second.port, port)
        for index in range(40):
            self.assertEqual(http_request(port, path="/index.html", headers={"User-Agent": f"share-{index}"})[0], 200)
        first.wait_for_log(r'"share-', timeout=5)  # each instance served some
        second.wait_for_log(r'"share-', timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            served = [len([l for l in s.access_lines() if '"share-' in l]) for s in (first, second)]
            if sum(served) == 40:
                break
            time.sleep(0.05)
        self.assertEqual(sum(served), 40, served)
        result = run_to_exit([PRONG, "--root", self.root, "--listen", f"127.0.0.1:{port}"])
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", result.stderr)
        # One instance stopping leaves the port served by the other.
        self.assertEqual(first.stop(), 0)
        for _ in range(5):
            self.assertEqual(http_request(port, path="/index.html")[0], 200)

    def test_malformed_listen_options_are_refused(self):
        cases = {
            "unix:relative.sock": "absolute path",
            "unix:/tmp/x.sock,reuseport": "unknown or misplaced option 'reuseport'",
            "127.0.0.1:0,mode=0600": "unknown or misplaced option 'mode=0600'",
            "unix:/tmp/x.sock,mode=0999": "unknown or misplaced option 'mode=0999'",
            "unix:/tmp/x.sock,owner=no-such-user-here": "unknown user 'no-such-user-here'",
            "unix:/tmp/x.sock,group=no-such-group-here": "unknown group 'no-such-group-here'",
            "127.0.0.1:0,fast": "unknown or misplaced option 'fast'",
            "systemd:": "needs a socket name",
            "::1:80": "is not an IPv4 address",
            "[::1]:65536": "port must be a number",
            "[127.0.0.1]:80": "is not an IPv6 address",
        }
        for text, message in cases.items():
            with self.subTest(listen=text):
                result = run_to_exit([PRONG, "--root", self.root, "--listen", text, "--check"])
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                self.assertIn(message, result.stderr)
        self.assertFalse(os.path.exists("/tmp/x.sock"))

    def test_help_and_man_page_state_the_grammar(self):
        help_text = run_to_exit([PRONG, "--help"]).stdout
        for piece in ("A.B.C.D:PORT", "[IPV6]:PORT", "unix:/PATH", "systemd:NAME", ",proxy", ",reuseport",
                      ",mode=0660", ",owner=USER", ",group=GROUP", "every socket systemd passes",
                      "--trusted-proxy CIDR", "--pid-file PATH"):
            self.assertIn(piece, help_text)
        man = " ".join(render_man(os.path.join(REPO, "docs", "prong.8"))[0].split())  # words, not line breaks
        for piece in ("unix:/PATH", "systemd:NAME", "reuseport", "mode=OCTAL", "owner=USER", "group=GROUP",
                      "PROXY protocol", "LISTEN_FDS", "READY=1"):
            self.assertIn(piece, man)
