#!/usr/bin/env python3
"""test_check_policy.py: check_policy.py's reading of strace output, on made-up traces.

What it checks: a connection process that asked for /__escape/ is not counted,
however strace split its read (one line, or "unfinished" then "resumed", which
depends on timing); a child that did not ask is counted, and its SIGSYS is
reported (the positive control: the exclusion is not "count nothing").
Must not: start a server or strace (the live policy check does that).
Standard library only.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_policy  # noqa: E402

ROLES = {"monitor": "100", "supervisor": "200"}


def trace_of(lines):
    return "".join(line + "\n" for line in lines)


class ReadTraceTest(unittest.TestCase):
    def read(self, lines):
        path = os.path.join(self.directory, "trace")
        with open(path, "w") as f:
            f.write(trace_of(lines))
        return check_policy.read_trace(path, ROLES)

    def setUp(self):
        import tempfile
        self.temporary = tempfile.TemporaryDirectory()
        self.directory = self.temporary.name

    def tearDown(self):
        self.temporary.cleanup()

    def fork_child(self, pid):
        return f'200 clone(child_stack=NULL, flags=CLONE_PIDFD|SIGCHLD) = {pid}'

    def test_an_escape_request_read_in_one_line_is_not_counted(self):
        used, killed = self.read([self.fork_child(300),
                                  '300 read(5, "GET /__escape/getpid HTTP/1.1\\r\\n"..., 4096) = 40',
                                  '300 getpid() = 300', '300 +++ killed by SIGSYS +++'])
        self.assertNotIn("getpid", used["jail"])
        self.assertEqual(killed, [])

    def test_an_escape_request_read_across_a_resumed_line_is_not_counted(self):
        used, killed = self.read([self.fork_child(300),
                                  '300 read(5,  <unfinished ...>',
                                  '200 poll([{fd=3, events=POLLIN}], 1, -1 <unfinished ...>',
                                  '300 <... read resumed>"GET /__escape/getpid HTTP/1.1\\r\\n"..., 4096) = 40',
                                  '300 getpid() = 300', '300 +++ killed by SIGSYS +++'])
        self.assertNotIn("getpid", used["jail"])
        self.assertEqual(killed, [])

    def test_control_a_child_that_did_not_ask_is_counted_and_its_kill_reported(self):
        used, killed = self.read([self.fork_child(301),
                                  '301 read(5,  <unfinished ...>',
                                  '301 <... read resumed>"GET /index.html HTTP/1.1\\r\\n"..., 4096) = 40',
                                  '301 getpid() = 301', '301 +++ killed by SIGSYS +++'])
        self.assertIn("getpid", used["jail"])
        self.assertIn("read", used["jail"])
        self.assertEqual(killed, [("301", "SIGSYS")])


if __name__ == "__main__":
    unittest.main()
