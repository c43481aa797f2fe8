"""test_static_autoindex.py: directory listings (--autoindex), live.

Off by default (403 no-index); with --autoindex: HTML that escapes every name
(a file named like a script tag is shown, never run), sorted with directories
first, with sizes and dates, dotfiles, FIFOs and (under --symlinks none) links
hidden, a strict Content-Security-Policy and Vary: Accept; JSON when Accept
prefers application/json over text/html; HEAD equal to GET; the 10,000-entry
cap announced in the page and in the JSON.
"""
import json
import os
import re

from test_static_helpers import StaticTestCase, comparable_headers, exchange, request, set_mtime

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
SCRIPT_NAME = "<script>alert(1)<"  # a file name cannot hold '/', so no closing tag
IMG_NAME = "<img src=x onerror=alert(1)>"
QUOTE_NAME = "\"quoted\" & 'single'.txt"


class AutoindexTest(StaticTestCase):
    files = {"list/b.txt": b"bb", "list/a.txt": b"a", "list/Zdir/inner.txt": b"i", "list/.hidden": b"h",
             "list/.git/config": b"c", "list/" + SCRIPT_NAME: b"s", "list/" + IMG_NAME: b"i",
             "list/" + QUOTE_NAME: b"q", "list/caf\u00e9.txt": b"utf8", "plain/index.html": b"index here"}

    def setUp(self):
        super().setUp()
        os.mkfifo(os.path.join(self.root, "list", "fifo"), 0o644)
        os.symlink("a.txt", os.path.join(self.root, "list", "link"))
        for name in os.listdir(os.path.join(self.root, "list")):
            set_mtime(os.path.join(self.root, "list", name))

    def test_off_by_default(self):
        server = self.server()
        status, _, body = request(server.port, "/list/")
        self.assertEqual(status, 403)
        self.assertNotIn(b"a.txt", body)
        self.assert_log(server, r'"GET /list/ HTTP/1.1" 403 \d+ .* no-index( |$)')

    def test_html_listing(self):
        server = self.server("--autoindex")
        status, headers, body = request(server.port, "/list/", {"Accept": "text/html,*/*;q=0.8"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["content-security-policy"], CSP)
        self.assertEqual(headers["vary"], "Accept")
        self.assertEqual(int(headers["content-length"]), len(body))
        page = body.decode("utf-8")
        self.assertNotIn("<script", page)
        self.assertNotIn("<img", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;", page)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", page)
        self.assertIn("&quot;quoted&quot; &amp; &#39;single&#39;.txt", page)
        self.assertIn('href="./%3Cscript%3Ealert%281%29%3C"', page)
        self.assertIn("caf\u00e9.txt", page)
        for hidden in (".hidden", ".git", "fifo", '"./link"'):
            self.assertNotIn(hidden, page)
        names = re.findall(r'<a href="\./[^"]*">([^<]*)</a>', page)
        self.assertEqual(names, ["Zdir/", "&quot;quoted&quot; &amp; &#39;single&#39;.txt",
                                 "&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(1)&lt;", "a.txt", "b.txt",
                                 "caf\u00e9.txt"])
        self.assertRegex(page, r'<a href="\./b\.txt">b\.txt</a></td><td class="size">2 B</td><td>2020-09-05T10:00:00Z</td>')
        self.assertIn('<a href="../">../</a>', page)
        # The listed links work.
        self.assertEqual(request(server.port, "/list/%3Cscript%3Ealert%281%29%3C")[2], b"s")
        self.assertEqual(request(server.port, "/list/Zdir/")[0], 200)
        # An index file still wins over the listing.
        self.assertEqual(request(server.port, "/plain/")[2], b"index here")

    def test_links_listed_when_followed(self):
        server = self.server("--autoindex", "--symlinks", "follow")
        page = request(server.port, "/list/")[2].decode()
        self.assertIn('<a href="./link">link</a></td><td class="size">link</td>', page)

    def test_json_listing(self):
        server = self.server("--autoindex")
        for accept in ("application/json", "text/html;q=0.5, application/json", "application/*",
                       "application/json, */*;q=0.1"):
            with self.subTest(accept=accept):
                status, headers, body = request(server.port, "/list/", {"Accept": accept})
                self.assertEqual((status, headers["content-type"]), (200, "application/json"))
                self.assertEqual(headers["vary"], "Accept")
                document = json.loads(body)
                self.assertNotIn(b"<", body)  # escaped as \u003c even inside JSON
                self.assertEqual(document["path"], "/list/")
                self.assertFalse(document["truncated"])
                entries = {e["name"]: e for e in document["entries"]}
                self.assertEqual(set(entries), {"Zdir", QUOTE_NAME, IMG_NAME, SCRIPT_NAME, "a.txt", "b.txt",
                                                "caf\u00e9.txt"})
                self.assertEqual(entries["b.txt"], {"name": "b.txt", "href": "./b.txt", "type": "file", "size": 2,
                                                    "size_human": "2 B", "modified": "2020-09-05T10:00:00Z"})
                self.assertEqual(entries["Zdir"]["type"], "directory")
                self.assertEqual(entries["Zdir"]["href"], "./Zdir/")
        for accept in ("text/html", "application/json;q=0.5, text/html", "*/*", "text/html, application/json"):
            with self.subTest(accept=accept):
                self.assertEqual(request(server.port, "/list/", {"Accept": accept})[1]["content-type"],
                                 "text/html; charset=utf-8")

    def test_head_equals_get(self):
        server = self.server("--autoindex")
        for accept in ("text/html", "application/json"):
            get, head = exchange(server.port, [("GET", "/list/", [("Accept", accept)]),
                                               ("HEAD", "/list/", [("Accept", accept)])])
            self.assertEqual(comparable_headers(get[1]), comparable_headers(head[1]))
            self.assertEqual(head[2], b"")

    def test_cap_of_ten_thousand_entries(self):
        big = os.path.join(self.root, "big")
        os.mkdir(big)
        os.chmod(big, 0o755)
        for i in range(10050):
            fd = os.open(os.path.join(big, f"f{i:05d}"), os.O_CREAT | os.O_WRONLY, 0o644)
            os.close(fd)
        server = self.server("--autoindex")
        status, _, body = request(server.port, "/big/", {"Accept": "application/json"})
        self.assertEqual(status, 200)
        document = json.loads(body)
        self.assertTrue(document["truncated"])
        self.assertEqual(len(document["entries"]), 10000)
        names = [e["name"] for e in document["entries"]]
        self.assertEqual(names, sorted(names))
        status, _, body = request(server.port, "/big/")
        self.assertIn(b"Only the first 10000 entries are listed.", body)
