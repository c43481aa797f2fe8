"""test_static_paths.py: what a request path may reach, live.

Only regular files are served: a FIFO and a Unix socket in the root get a
quick 403 and the server keeps serving; an unreadable file is 403; dotfiles and
dot-directories are 403 except beneath /.well-known/. Symbolic links inside and
outside the root under --symlinks none, follow and owner (link and target
owners compared, links in links, ".." in link texts, absolute texts refused),
and links or directories swapped by a thread (rename and RENAME_EXCHANGE) while
requests run: the outside content is never served, even by the lab build with
the chroot and Landlock removed, so that path resolution alone (openat2's
RESOLVE_BENEATH and the --symlinks checks) stands between the race and it. Index files (--index,
repeatable, first existing wins) and the trailing-slash redirect.
"""
import ctypes
import os
import pwd
import shutil
import socket
import tempfile
import threading

from harness import LAB_BINARY
from test_static_helpers import StaticTestCase, exchange, request

INSIDE = b"inside the root\n"
SECRET = b"SECRET from outside the root\n"
DAEMON_UID = pwd.getpwnam("daemon").pw_uid
AT_FDCWD = -100
RENAME_EXCHANGE = 2


class PathTestCase(StaticTestCase):
    files = {"index.html": b"<p>index\n", "inside.txt": INSIDE, "sub/x.txt": b"sub x\n",
             "sub/index.html": b"<p>sub index\n", "daemon.txt": b"owned by daemon\n"}

    def setUp(self):
        super().setUp()
        self.outside = tempfile.mkdtemp(prefix="prong-outside-")
        self.addCleanup(shutil.rmtree, self.outside, True)
        os.chmod(self.outside, 0o755)
        os.makedirs(os.path.join(self.outside, "dir"))
        os.chmod(os.path.join(self.outside, "dir"), 0o755)
        for name in ("secret.txt", "dir/x.txt", "dir/f.txt"):
            with open(os.path.join(self.outside, name), "wb") as f:
                f.write(SECRET)
            os.chmod(os.path.join(self.outside, name), 0o644)
        os.chown(os.path.join(self.root, "daemon.txt"), DAEMON_UID, DAEMON_UID)

    def link(self, name, target, owner=0):
        path = os.path.join(self.root, name)
        os.symlink(target, path)
        os.lchown(path, owner, owner)
        return path

    def relative_outside(self, name):
        return os.path.relpath(os.path.join(self.outside, name), self.root)


class SpecialFilesTest(PathTestCase):
    def test_fifo_and_socket_are_refused_quickly_and_serving_continues(self):
        os.mkfifo(os.path.join(self.root, "fifo"), 0o644)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(os.path.join(self.root, "sock"))
        listener.listen(1)
        os.chmod(os.path.join(self.root, "sock"), 0o755)
        os.mkfifo(os.path.join(self.root, "inside.txt.gz"), 0o644)  # a FIFO as a sibling
        for policy in ("none", "follow", "owner"):
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy)
                for path in ("/fifo", "/sock", "/fifo/", "/sock/x"):
                    # A blocking open of the FIFO would never answer: request() times out.
                    status, _, _ = request(server.port, path)
                    self.assertIn(status, (403, 404), path)
                self.assertEqual(request(server.port, "/fifo")[0], 403)
                self.assertEqual(request(server.port, "/sock")[0], 403)
                status, headers, body = request(server.port, "/inside.txt", {"Accept-Encoding": "gzip"})
                self.assertEqual((status, body), (200, INSIDE))
                self.assertNotIn("content-encoding", headers)
                self.assertEqual(request(server.port, "/")[0], 200)
                self.assert_log(server, r'"GET /fifo HTTP/1.1" 403 \d+ .* not-a-file( |$)')
                self.assert_log(server, r'"GET /sock HTTP/1.1" 403 \d+ .* not-a-file( |$)')

    def test_unreadable_is_403(self):
        path = os.path.join(self.root, "private.txt")
        with open(path, "wb") as f:
            f.write(b"root only\n")
        os.chmod(path, 0o600)
        os.makedirs(os.path.join(self.root, "closed"))
        with open(os.path.join(self.root, "closed", "f.txt"), "wb") as f:
            f.write(b"x")
        os.chmod(os.path.join(self.root, "closed", "f.txt"), 0o644)
        os.chmod(os.path.join(self.root, "closed"), 0o700)
        server = self.server()
        self.assertEqual(request(server.port, "/private.txt")[0], 403)
        self.assertEqual(request(server.port, "/closed/f.txt")[0], 403)
        self.assert_log(server, r'"GET /private.txt HTTP/1.1" 403 \d+ .* not-readable( |$)')

    def test_dotfiles_are_refused_except_well_known(self):
        self.files_extra = {".env": b"KEY=1", ".git/config": b"[core]", "sub/.secret": b"s",
                            ".well-known/security.txt": b"Contact: x", ".well-known/.hidden": b"h"}
        for name, content in self.files_extra.items():
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.chmod(os.path.dirname(path), 0o755)
            with open(path, "wb") as f:
                f.write(content)
            os.chmod(path, 0o644)
        server = self.server("--autoindex")
        for path in ("/.env", "/.git/config", "/.git/", "/sub/.secret", "/.well-known/.hidden", "/.env.gz"):
            with self.subTest(path=path):
                self.assertEqual(request(server.port, path)[0], 403)
        self.assertEqual(request(server.port, "/.well-known/security.txt")[:3:2], (200, b"Contact: x"))
        self.assert_log(server, r'"GET /.env HTTP/1.1" 403 \d+ .* hidden-path( |$)')

    def test_index_files_and_redirect(self):
        os.makedirs(os.path.join(self.root, "both"))
        os.makedirs(os.path.join(self.root, "none"))
        os.makedirs(os.path.join(self.root, "dir-index/index.html"))
        for name, content in (("both/home.html", b"home"), ("both/index.html", b"index")):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(content)
        for directory, dirs, names in os.walk(self.root):
            for d in dirs:
                os.chmod(os.path.join(directory, d), 0o755)
            for n in names:
                os.chmod(os.path.join(directory, n), 0o644)
        server = self.server("--index", "home.html", "--index", "index.html")
        self.assertEqual(request(server.port, "/both/")[2], b"home")
        self.assertEqual(request(server.port, "/sub/")[2], b"<p>sub index\n")
        status, headers, _ = request(server.port, "/both/")
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(request(server.port, "/none/")[0], 403)
        self.assertEqual(request(server.port, "/dir-index/")[0], 403)  # an index that is a directory is skipped
        self.assert_log(server, r'"GET /none/ HTTP/1.1" 403 \d+ .* no-index( |$)')
        status, headers, _ = request(server.port, "/sub")
        self.assertEqual((status, headers["location"]), (301, "/sub/"))
        default = self.server()
        self.assertEqual(request(default.port, "/both/")[2], b"index")


class SymlinkPolicyTest(PathTestCase):
    def make_links(self):
        self.link("in-link", "inside.txt")
        self.link("out-link", self.relative_outside("secret.txt"))
        self.link("abs-out", os.path.join(self.outside, "secret.txt"))
        self.link("abs-in", os.path.join(self.root, "inside.txt"))  # absolute: a host path, refused
        self.link("dir-link", "sub")
        self.link("out-dir", self.relative_outside("dir"))
        self.link("sub/up", "../inside.txt")
        self.link("loop", "loop")
        self.link("dangling", "nothing-here")
        self.link("chain1", "chain2")
        self.link("chain2", "inside.txt")
        self.link("to-daemon", "daemon.txt")                          # root link, daemon target
        self.link("daemon-link", "daemon.txt", DAEMON_UID)             # daemon link, daemon target
        self.link("daemon-to-root", "inside.txt", DAEMON_UID)          # daemon link, root target
        self.link("mixed1", "mixed2")                                  # root → daemon link → root file
        self.link("mixed2", "inside.txt", DAEMON_UID)
        self.link("daemon-dir", "sub", DAEMON_UID)                     # daemon link, root directory

    def statuses(self, server, paths):
        result = {}
        for path in paths:
            status, _, body = request(server.port, path)
            self.assertNotIn(SECRET, body, f"{path} served the outside content")
            result[path] = status
        return result

    EXPECTED = {
        # path:               none, follow, owner
        "/inside.txt":        (200, 200, 200),
        "/inside.txt/":       (404, 404, 404),
        "/in-link/":          (403, 404, 404),
        "/sub/x.txt/x":       (404, 404, 404),
        "/in-link":           (403, 200, 200),
        "/out-link":          (403, 403, 403),
        "/abs-out":           (403, 403, 403),
        "/abs-in":            (403, 403, 403),
        "/dir-link/x.txt":    (403, 200, 200),
        "/dir-link/":         (403, 200, 200),
        "/out-dir/x.txt":     (403, 403, 403),
        "/sub/up":            (403, 200, 200),
        "/loop":              (403, 403, 403),
        "/dangling":          (403, 404, 404),
        "/chain1":            (403, 200, 200),
        "/to-daemon":         (403, 200, 403),
        "/daemon-link":       (403, 200, 200),
        "/daemon-to-root":    (403, 200, 403),
        "/mixed1":            (403, 200, 403),
        "/daemon-dir/x.txt":  (403, 200, 403),
    }

    def test_each_policy(self):
        self.make_links()
        for column, policy in enumerate(("none", "follow", "owner")):
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy)
                got = self.statuses(server, self.EXPECTED)
                expected = {path: statuses[column] for path, statuses in self.EXPECTED.items()}
                self.assertEqual(got, expected)
                if policy != "none":
                    self.assertEqual(request(server.port, "/in-link")[2], INSIDE)
                    self.assertEqual(request(server.port, "/dir-link/x.txt")[2], b"sub x\n")
                    self.assert_log(server, r'"GET /out-link HTTP/1.1" 403 \d+ .* outside-root( |$)')
                else:
                    self.assert_log(server, r'"GET /in-link HTTP/1.1" 403 \d+ .* symlink-refused( |$)')
                if policy == "owner":
                    self.assert_log(server, r'"GET /daemon-to-root HTTP/1.1" 403 \d+ .* symlink-refused( |$)')


def exchange_names(first, second):
    """Swap two directory entries atomically (renameat2 RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(AT_FDCWD, first.encode(), AT_FDCWD, second.encode(), RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")


class SwapRaceTest(PathTestCase):
    """A thread keeps swapping a link (and a directory) between an inside and an
    outside target while requests run: the outside content is never served."""

    ROUNDS = 12
    BATCH = 25

    def run_race(self, policy, swap, path):
        # The chroot and Landlock would hide the outside directory whatever the
        # resolution did: the lab build runs without both.
        server = self.server("--symlinks", policy, "--lab-without", "chroot", "--lab-without", "landlock",
                             binary=LAB_BINARY)
        stop = threading.Event()
        swaps = [0]

        def swapper():
            while not stop.is_set():
                swap()
                swaps[0] += 1

        thread = threading.Thread(target=swapper, daemon=True)
        thread.start()
        statuses = {}
        try:
            for _ in range(self.ROUNDS):
                for status, _, body in exchange(server.port, [("GET", path, [])] * self.BATCH):
                    self.assertNotIn(SECRET, body, f"{policy}: the outside content was served")
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            stop.set()
            thread.join(10)
        self.assertGreater(swaps[0], 10, "the swapping thread did not run")
        self.assertTrue(set(statuses) <= {200, 403, 404}, statuses)
        if (policy, path) != ("none", "/swap"):  # /swap is always a link: refused under none
            self.assertIn(200, statuses, "the inside target was never served while the race ran")
        self.assertEqual(request(server.port, "/inside.txt")[2], INSIDE)  # still serving
        print(f"  {policy} {path}: {swaps[0]} swaps, statuses {statuses}", flush=True)
        return statuses

    def test_link_swapped_by_rename(self):
        inside_tmp = os.path.join(self.root, "swap.in")
        outside_tmp = os.path.join(self.root, "swap.out")
        target = os.path.join(self.root, "swap")
        os.symlink("inside.txt", target)
        state = [False]

        def swap():
            tmp = outside_tmp if state[0] else inside_tmp
            try:
                os.remove(tmp)
            except FileNotFoundError:
                pass
            os.symlink(self.relative_outside("secret.txt") if state[0] else "inside.txt", tmp)
            os.replace(tmp, target)
            state[0] = not state[0]

        for policy in ("follow", "owner", "none"):
            with self.subTest(policy=policy):
                statuses = self.run_race(policy, swap, "/swap")
                if policy == "none":
                    self.assertEqual(set(statuses), {403})

    def test_directory_swapped_by_exchange(self):
        real = os.path.join(self.root, "d")
        os.makedirs(real)
        os.chmod(real, 0o755)
        with open(os.path.join(real, "f.txt"), "wb") as f:
            f.write(INSIDE)
        os.chmod(os.path.join(real, "f.txt"), 0o644)
        os.symlink(self.relative_outside("dir"), os.path.join(self.root, "d-alt"))
        swap = lambda: exchange_names(real, os.path.join(self.root, "d-alt"))  # noqa: E731
        for policy in ("follow", "owner", "none"):
            with self.subTest(policy=policy):
                self.run_race(policy, swap, "/d/f.txt")
