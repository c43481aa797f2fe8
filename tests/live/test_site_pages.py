"""test_site_pages.py: --error-page, live.

A configured page is the body of its status's error responses, with the
original status, the page's own Content-Type (what the same file gets when
asked for by name), the error-page Content-Security-Policy, the site-wide
--header rows, Allow on 405 and Connection: close where the connection ends
(414, 431, 400); HEAD gets the head only, with the page's length. Errors of the
static layer (403, 404) keep the connection; the parser's refusals close it.
A page that cannot be served (missing, unreadable by the run user, a link the
--symlinks policy refuses or one that leads to a dotfile) is reported at
start-up, one line on standard error, and the server starts and sends the
built-in page; a page created later is used at once, one deleted later gives
the built-in page again. The supervisor's 503, written without a connection
process, keeps the built-in page.
"""
import os
import re
import subprocess

from harness import PRONG, raw_exchange
from test_static_helpers import StaticTestCase, exchange, request

PAGE = b"<!doctype html><title>Not here</title><link rel=stylesheet href=/site.css><p>Sorry.\n"
ERROR_PAGE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
BUILT_IN_404 = b"<!doctype html>\n<title>404 Not Found</title>\n<h1>404 Not Found</h1>\n"


class ErrorPageTestCase(StaticTestCase):
    files = {"index.html": b"<p>home\n", "errors/404.html": PAGE, "errors/403.html": b"<p>forbidden\n",
             "errors/405.html": b"<p>method\n", "errors/414.html": b"<p>too long\n",
             "errors/431.html": b"<p>fields\n", "errors/400.html": b"<p>bad\n",
             "errors/404.json": b'{"error":"not found"}\n', "errors/503.html": b"<p>busy\n",
             "site.css": b"p{}\n", "plain.html": b"<p>a plain page\n"}

    def pages(self, *extra):
        flags = []
        for status in (400, 403, 404, 405, 414, 431, 503):
            flags += ["--error-page", f"{status}=/errors/{status}.html"]
        return self.server(*flags, "--header", "X-Site: 1", *extra)


class ConfiguredPageTest(ErrorPageTestCase):
    def test_a_404_gets_the_page_with_its_status_and_headers(self):
        server = self.pages()
        status, fields, body = request(server.port, "/missing.html")
        self.assertEqual((status, body), (404, PAGE))
        self.assertEqual(fields["content-type"], "text/html; charset=utf-8")
        self.assertEqual(int(fields["content-length"]), len(PAGE))
        self.assertEqual(fields["content-security-policy"], ERROR_PAGE_CSP)
        self.assertEqual(fields["x-content-type-options"], "nosniff")
        self.assertEqual(fields["x-site"], "1")
        self.assertNotIn("etag", fields)
        self.assert_log(server, r'"GET /missing.html HTTP/1.1" 404 %d .* not-found( |$)' % len(PAGE))

    def test_head_gets_the_head_only(self):
        server = self.pages()
        answers = exchange(server.port, [("HEAD", "/missing.html", []), ("GET", "/missing.html", [])])
        (status, fields, body), (status_get, fields_get, body_get) = answers
        self.assertEqual((status, body), (404, b""))
        self.assertEqual(int(fields["content-length"]), len(PAGE))
        self.assertEqual((status_get, body_get), (404, PAGE))  # and the connection was kept for it

    def test_each_status_gets_its_page(self):
        server = self.pages()
        status, fields, body = request(server.port, "/.env")
        self.assertEqual((status, body), (403, b"<p>forbidden\n"))
        data, closed = raw_exchange(server.port, b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 405 "), data[:40])
        self.assertIn(b"\r\nAllow: GET, HEAD, OPTIONS\r\n", data)
        self.assertTrue(data.endswith(b"\r\n\r\n<p>method\n"), data[-40:])
        data, closed = raw_exchange(server.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 414 "), data[:40])
        self.assertIn(b"\r\nConnection: close\r\n", data)
        self.assertTrue(data.endswith(b"<p>too long\n") and closed, data[-40:])
        data, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 17000 + b"\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 431 ") and data.endswith(b"<p>fields\n"), data[:40])
        data, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\n\r\n")  # no Host
        self.assertTrue(data.startswith(b"HTTP/1.1 400 ") and data.endswith(b"<p>bad\n"), data[:40])
        self.assertIn(b"\r\nX-Site: 1\r\n", data)
        # A status without a page keeps the built-in one.
        data, _ = raw_exchange(server.port, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 505 ") and b"<h1>505 HTTP Version Not Supported</h1>" in data)

    def test_the_content_type_is_the_pages_own(self):
        server = self.server("--error-page", "404=/errors/404.json")
        direct = request(server.port, "/errors/404.json")[1]["content-type"]
        status, fields, body = request(server.port, "/missing")
        self.assertEqual((status, body), (404, b'{"error":"not found"}\n'))
        self.assertEqual(fields["content-type"], direct)

    def test_the_supervisors_503_keeps_the_built_in_page(self):
        server = self.pages("--max-connection-rate", "1")
        for _ in range(20):
            data, _ = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            if data.startswith(b"HTTP/1.1 503 "):
                break
        self.assertTrue(data.startswith(b"HTTP/1.1 503 "), data[:40])
        self.assertIn(b"<h1>503 Service Unavailable</h1>", data)
        self.assertNotIn(b"<p>busy", data)
        self.assertIn(b"\r\nX-Site: 1\r\n", data)


class UnservablePageTest(ErrorPageTestCase):
    def run_check(self, *flags):
        done = subprocess.run([PRONG, "--root", self.root, "--listen", "127.0.0.1:0", "--check", *flags],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=15)
        return done.returncode, done.stdout.decode(), done.stderr.decode()

    def test_a_missing_page_is_reported_and_the_built_in_one_served(self):
        server = self.server("--error-page", "404=/errors/gone.html")
        lines = server.wait_for_log(r"--error-page")
        self.assertEqual(lines, ["prong: --error-page 404=/errors/gone.html: cannot be served (not-found); "
                                 "the built-in page is used until it can be"])
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, BUILT_IN_404))
        # Created later: used at once. Deleted again: the built-in page again.
        path = os.path.join(self.root, "errors", "gone.html")
        with open(path, "wb") as f:
            f.write(b"<p>now here\n")
        os.chmod(path, 0o644)
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, b"<p>now here\n"))
        os.unlink(path)
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, BUILT_IN_404))

    def test_check_reports_it_too_and_succeeds(self):
        code, out, err = self.run_check("--error-page", "404=/errors/gone.html", "--error-page",
                                        "403=/errors/403.html")
        self.assertEqual(code, 0, err)
        self.assertEqual(err.splitlines(), ["prong: --error-page 404=/errors/gone.html: cannot be served "
                                            "(not-found); the built-in page is used until it can be"])
        self.assertIn("configuration is valid", out)

    def test_an_unreadable_page_is_reported(self):
        path = os.path.join(self.root, "errors", "404.html")
        os.chmod(path, 0o600)  # root's: the run user (nobody) cannot read it
        server = self.server("--error-page", "404=/errors/404.html")
        server.wait_for_log(r"^prong: --error-page 404=/errors/404.html: cannot be served \(not-readable")
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, BUILT_IN_404))

    def test_a_page_through_a_link_follows_the_path_policy(self):
        """A link to a plain page is followed where the policy follows links (the
        positive control); a link to a dotfile is refused by every policy, as a
        request for it would be; --symlinks none refuses the link itself."""
        secret = os.path.join(self.root, ".secret.html")
        with open(secret, "wb") as f:
            f.write(b"SECRET dotfile\n")
        os.chmod(secret, 0o644)
        os.symlink("plain.html", os.path.join(self.root, "to-plain.html"))
        os.symlink(".secret.html", os.path.join(self.root, "to-secret.html"))
        for policy in ("follow", "owner"):
            with self.subTest(policy=policy):
                server = self.server("--symlinks", policy, "--error-page", "404=/to-plain.html",
                                     "--error-page", "403=/to-secret.html")
                server.wait_for_log(r"--error-page 403=/to-secret.html: cannot be served \(hidden-path\)")
                self.assertEqual(request(server.port, "/missing")[:3:2], (404, b"<p>a plain page\n"))
                status, _, body = request(server.port, "/.env")
                self.assertEqual(status, 403)
                self.assertNotIn(b"SECRET", body)
                self.assertFalse([line for line in server.log_lines() if "404=/to-plain.html" in line])
        server = self.server("--error-page", "404=/to-plain.html")
        server.wait_for_log(r"--error-page 404=/to-plain.html: cannot be served \(symlink-refused\)")
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, BUILT_IN_404))

    def test_the_page_must_be_a_regular_file(self):
        server = self.server("--error-page", "404=/errors")
        server.wait_for_log(r"--error-page 404=/errors: cannot be served \(not-a-file\)")
        self.assertEqual(request(server.port, "/missing")[:3:2], (404, BUILT_IN_404))
        self.assertTrue(re.search(r"listening on", "\n".join(server.log_lines())))
