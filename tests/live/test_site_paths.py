"""test_site_paths.py: the trailing-slash redirect, open redirects, dotfiles behind
links, and the order and sizes of listings, live.

The redirect keeps the query (?x=1 as received; bytes RFC 3986 leaves out of a
query, which browsers still send, re-encoded). No Location starts with "//":
"GET //docs" (which --symlinks owner used to answer with "Location: //docs/",
another host for a browser) is redirected to "/docs/" under every policy, and
so are longer runs; the positive control is that "/docs" itself still gets its
301. Under --symlinks follow and owner, a link to ".htpasswd", a link into
".git" and a link to a directory ".git" are 403 hidden-path (the path the link
led to is checked, not only the request path); the same links to non-dot files
are served (positive control), a link into /.well-known/ is allowed, and under
none every link is refused as before. A listing is sorted directories first,
then by Unicode code point (HTML and JSON), with sizes in binary units beside
the exact count.
"""
import json
import os
import re

from test_static_helpers import StaticTestCase, request

POLICIES = ("none", "follow", "owner")


class RedirectTest(StaticTestCase):
    files = {"index.html": b"<p>home\n", "docs/index.html": b"<p>docs\n", "example.com/index.html": b"<p>x\n"}

    def test_the_query_is_kept(self):
        server = self.server()
        cases = [
            ("/docs?x=1", "/docs/?x=1"),
            ("/docs?x=1&y=%2F&z=a+b", "/docs/?x=1&y=%2F&z=a+b"),
            ("/docs?", "/docs/?"),
            ("/docs?a:b@c/d?e!$&'()*,;=", "/docs/?a:b@c/d?e!$&'()*,;="),
            ("/docs?a|b^c[d]", "/docs/?a%7Cb%5Ec%5Bd%5D"),
            ("/docs", "/docs/"),
            ("/do%63s?q=%41", "/docs/?q=%41"),
        ]
        for target, location in cases:
            with self.subTest(target=target):
                status, fields, _ = request(server.port, target)
                self.assertEqual((status, fields.get("location")), (301, location))
        self.assert_log(server, r'"GET /docs\?x=1 HTTP/1.1" 301 ')

    def test_no_location_starts_with_two_slashes(self):
        for policy in POLICIES:
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy)
                # Positive control: the ordinary redirect.
                self.assertEqual(request(server.port, "/example.com")[1]["location"], "/example.com/")
                for target, location in (("//example.com", "/example.com/"), ("///example.com", "/example.com/"),
                                         ("//example.com?x=1", "/example.com/?x=1"), ("//docs", "/docs/"),
                                         ("/docs//", None), ("//docs//index.html", None)):
                    status, fields, body = request(server.port, target)
                    if location is None:
                        self.assertEqual(status, 200, target)
                        continue
                    self.assertEqual((status, fields["location"]), (301, location), target)
                    self.assertFalse(fields["location"].startswith("//"))


class DotfileBehindLinksTest(StaticTestCase):
    files = {"index.html": b"<p>home\n", ".htpasswd": b"admin:SECRET-HASH\n", ".git/config": b"[core] SECRET\n",
             ".git/HEAD": b"ref: SECRET\n", "plain.txt": b"plain\n", "dir/inner.txt": b"inner\n",
             ".well-known/security.txt": b"Contact: x\n", "sub/.hidden/f.txt": b"SECRET nested\n"}

    def setUp(self):
        super().setUp()
        links = {"pw.txt": ".htpasswd", "repo": ".git", "config.txt": ".git/config", "deep.txt": "sub/.hidden/f.txt",
                 "via-up.txt": "dir/../.htpasswd",
                 # positive controls: the same shapes to non-dot targets
                 "to-plain.txt": "plain.txt", "to-dir": "dir", "to-inner.txt": "dir/inner.txt",
                 "security.txt": ".well-known/security.txt"}
        for name, target in links.items():
            os.symlink(target, os.path.join(self.root, name))

    def test_links_to_dotfiles_are_refused_under_every_policy(self):
        for policy in POLICIES:
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy, "--autoindex")
                for path in ("/pw.txt", "/repo/config", "/repo/HEAD", "/repo/", "/config.txt", "/deep.txt",
                             "/via-up.txt", "/pw.txt.gz"):
                    status, _, body = request(server.port, path, {"Accept-Encoding": "gzip"})
                    self.assertIn(status, (403, 404), f"{policy} {path}")
                    self.assertNotIn(b"SECRET", body, f"{policy} {path}")
                if policy != "none":
                    self.assert_log(server, r'"GET /pw.txt HTTP/1.1" 403 \d+ .* hidden-path( |$)')
                    self.assert_log(server, r'"GET /repo/config HTTP/1.1" 403 \d+ .* hidden-path( |$)')
                    self.assert_log(server, r'"GET /repo/ HTTP/1.1" 403 \d+ .* hidden-path( |$)')
                else:
                    self.assert_log(server, r'"GET /pw.txt HTTP/1.1" 403 \d+ .* symlink-refused( |$)')

    def test_the_same_links_to_plain_files_are_served(self):
        for policy in ("follow", "owner"):
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy, "--autoindex")
                self.assertEqual(request(server.port, "/to-plain.txt")[:3:2], (200, b"plain\n"))
                self.assertEqual(request(server.port, "/to-inner.txt")[:3:2], (200, b"inner\n"))
                self.assertEqual(request(server.port, "/to-dir/inner.txt")[:3:2], (200, b"inner\n"))
                self.assertEqual(request(server.port, "/to-dir/")[0], 200)
                self.assertEqual(request(server.port, "/security.txt")[:3:2], (200, b"Contact: x\n"))
        server = self.server("--symlinks", "none")
        self.assertEqual(request(server.port, "/to-plain.txt")[0], 403)


class ListingOrderTest(StaticTestCase):
    names = ["b.txt", "\u00d1and\u00fa.txt", "z.txt", "a.txt", "Z.txt", "\u65e5\u672c.txt", "\u00e9t\u00e9.txt"]
    directories = ["y", "A", "\u00e9cole"]

    def setUp(self):
        super().setUp()
        for index, name in enumerate(self.names):
            path = os.path.join(self.root, "list", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(b"x" * (1234 if name == "a.txt" else index))
            os.chmod(path, 0o644)
        os.chmod(os.path.join(self.root, "list"), 0o755)
        for name in self.directories:
            os.makedirs(os.path.join(self.root, "list", name))
            os.chmod(os.path.join(self.root, "list", name), 0o755)

    def test_directories_first_then_code_point_order(self):
        server = self.server("--autoindex")
        expected = sorted(self.directories) + sorted(self.names)  # Python orders str by code point
        status, _, body = request(server.port, "/list/", {"Accept": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual([entry["name"] for entry in json.loads(body)["entries"]], expected)
        status, _, body = request(server.port, "/list/")
        shown = re.findall(r'<a href="\./[^"]*">([^<]*)</a>', body.decode())
        self.assertEqual(shown, [name + "/" for name in sorted(self.directories)] + sorted(self.names))
        self.assertLess(expected.index("z.txt"), expected.index("\u00d1and\u00fa.txt"))  # "Ñ" after "z"

    def test_sizes_are_shown_in_units_beside_the_exact_count(self):
        server = self.server("--autoindex")
        page = request(server.port, "/list/")[2].decode()
        self.assertIn('<a href="./a.txt">a.txt</a></td><td class="size">1.2 KiB (1,234)</td>', page)
        self.assertIn('<a href="./b.txt">b.txt</a></td><td class="size">0 B</td>', page)
        entries = {e["name"]: e for e in json.loads(request(server.port, "/list/", {"Accept": "application/json"})[2])["entries"]}
        self.assertEqual((entries["a.txt"]["size"], entries["a.txt"]["size_human"]), (1234, "1.2 KiB"))
        self.assertNotIn("size_human", entries["y"])
