"""test_smoke.py: the harness itself and the most basic promise: prong starts as
root, serves a file over a real socket, and stops with exit code 0 leaving no
process behind."""
import os

from harness import LiveTestCase, http_request, wait_until_gone, zombies_of


class SmokeTest(LiveTestCase):
    def test_serves_index_and_stops_cleanly(self):
        server = self.server()
        status, headers, body = http_request(server.port, path="/")
        self.assertEqual(status, 200)
        self.assertEqual(body, self.files["index.html"])
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        supervisor = server.supervisor_pid()
        # The child exits once it has answered; until the supervisor reaps it
        # it is briefly a zombie. Reaped means gone from /proc, and soon.
        server.wait_for_no_children()
        self.assertEqual(zombies_of(supervisor), [])
        self.assertEqual(server.stop(), 0)
        wait_until_gone(supervisor)
        self.assertFalse(os.path.exists(f"/proc/{supervisor}"), "the supervisor outlived the monitor")
