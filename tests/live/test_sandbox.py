"""test_sandbox.py: the jail of each role, read from outside through /proc while
the real binary runs (docs/architecture.md). A connection process is held
open (the client sends nothing, or half a head) so it can be inspected: run
user on every id, no groups, no capability in any set, no_new_privs, a seccomp
filter, the document root as its root, only descriptors 0-3 and tight rlimits,
not dumpable (its /proc files are root's, and a process of the run user cannot
open its memory, though it can open its own) and SIGPIPE ignored.
The supervisor is jailed the same way and leads its own process group; the
monitor runs as a uid of its own (the log user: not root, not the run user), has
no capability, runs filtered and holds no socket but the log channel's unix ones."""
import ctypes
import os
import pwd
import signal
import socket
import time

from harness import LiveTestCase, http_request, log_user_ids, proc_fds, proc_status, unix_socket_inodes

RUN_USER = pwd.getpwnam("nobody")
CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def open_memory_as_run_user(pid):
    """Whether a process of the run user may open the target's /proc/PID/mem and,
    as the control, its own (a dumpable process of that user may): a pair of
    "opened"/"denied", or nothing if the child could not become dumpable. A
    forked child drops to the run user and reports through a pipe; it only
    makes system calls, then _exit."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(RUN_USER.pw_gid)
            os.setuid(RUN_USER.pw_uid)
            # A change of uid leaves a process undumpable (prctl(2)); make this
            # one dumpable again, so its own memory is the positive control.
            if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
                os._exit(1)
            answers = []
            for path in (f"/proc/{pid}/mem", "/proc/self/mem"):
                try:
                    os.close(os.open(path, os.O_RDONLY))
                    answers.append("opened")
                except PermissionError:
                    answers.append("denied")
            os.write(write_end, " ".join(answers).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read().decode()  # ends when the child exits
    os.waitpid(child, 0)
    return tuple(answer.split())


def limits(pid):
    """/proc/<pid>/limits as name -> (soft, hard) strings."""
    found = {}
    with open(f"/proc/{pid}/limits") as f:
        next(f)
        for line in f:
            name = line[:26].strip()
            fields = line[26:].split()
            found[name] = (fields[0], fields[1])
    return found


class SandboxTest(LiveTestCase):
    files = {"index.html": b"<!doctype html><p>index\n", "sub/page.txt": b"page\n"}

    def assert_jailed(self, pid, role):
        status = proc_status(pid)
        ids = "\t".join([str(RUN_USER.pw_uid)] * 4)
        self.assertEqual(status["Uid"], ids, f"{role} uid (real, effective, saved, filesystem)")
        self.assertEqual(status["Gid"], "\t".join([str(RUN_USER.pw_gid)] * 4), f"{role} gid")
        self.assertEqual(status["Groups"], "", f"{role} keeps supplementary groups")
        for name in CAP_SETS:
            self.assertEqual(int(status[name], 16), 0, f"{role} {name} = {status[name]}")
        self.assertEqual(status["NoNewPrivs"], "1", f"{role} NoNewPrivs")
        self.assertEqual(status["Seccomp"], "2", f"{role} has no seccomp filter")
        self.assertEqual(os.readlink(f"/proc/{pid}/root"), os.path.realpath(self.root), f"{role} is not chrooted")
        self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), os.path.realpath(self.root), f"{role} cwd")
        process_limits = limits(pid)
        self.assertEqual(process_limits["Max file size"], ("0", "0"), f"{role} may write files")
        self.assertEqual(process_limits["Max core file size"], ("0", "0"), f"{role} may dump core")
        # Not dumpable (prctl PR_SET_DUMPABLE 0): the kernel gives its /proc files
        # to root, and ptrace access checks refuse a process of the same user.
        self.assertEqual(os.stat(f"/proc/{pid}/mem").st_uid, 0, f"{role} is dumpable: /proc/{pid} is its user's")
        self.assertEqual(open_memory_as_run_user(pid), ("denied", "opened"), f"{role} memory, then our own")
        ignored = int(status["SigIgn"], 16)
        self.assertTrue(ignored & (1 << (signal.SIGPIPE - 1)), f"{role} does not ignore SIGPIPE: {status['SigIgn']}")

    def held_connection(self, server, data=b""):
        """A connection whose process waits for the rest of its head; (socket, child pid)."""
        before = set(server.children())
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(s.close)
        if data:
            s.sendall(data)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            new = set(server.children()) - before
            if new:
                pid = new.pop()
                # Past its own narrowing: the client socket has been moved to descriptor 3.
                while time.monotonic() < deadline and sorted(proc_fds(pid)) != [0, 1, 2, 3]:
                    time.sleep(0.01)
                return s, pid
            time.sleep(0.01)
        self.fail("no connection process appeared")

    def test_connection_process_jail(self):
        server = self.server()
        for data in (b"", b"GET /sub/page.txt HTTP/1.1\r\nHost: t\r\n"):
            with self.subTest(sent=data):
                _, child = self.held_connection(server, data)
                self.assert_jailed(child, "connection process")
                fds = proc_fds(child)
                self.assertEqual(sorted(fds), [0, 1, 2, 3], fds)
                self.assertEqual(fds[0], "/dev/null")
                self.assertEqual(fds[1], "/dev/null")
                # The log channel's children's end: a unix socket, not the supervisor's own end.
                self.assertRegex(fds[2], r"^socket:\[\d+\]$")
                self.assertIn(fds[2][len("socket:["):-1], unix_socket_inodes())
                self.assertNotEqual(fds[2], proc_fds(server.supervisor_pid())[2])
                self.assertRegex(fds[3], r"^socket:\[\d+\]$")
                process_limits = limits(child)
                self.assertEqual(process_limits["Max processes"], ("0", "0"))
                self.assertEqual(process_limits["Max open files"], ("16", "16"))
                # soft = --child-cpu, hard one second later: SIGXCPU names the cause first
                self.assertEqual(process_limits["Max cpu time"], ("60", "61"))
                self.assertEqual(process_limits["Max address space"], (str(256 << 20), str(256 << 20)))
                # The children's end of the log channel is one the supervisor holds for
                # its children but does not write to (its own is its descriptor 2).
                supervisor = server.supervisor_pid()
                self.assertIn(fds[2], proc_fds(supervisor).values())
                self.assertEqual(os.getpgid(child), supervisor)

    def test_connection_process_limits_follow_flags(self):
        server = self.server("--child-cpu", "7", "--child-memory", "64")
        _, child = self.held_connection(server)
        process_limits = limits(child)
        self.assertEqual(process_limits["Max cpu time"], ("7", "8"))
        self.assertEqual(process_limits["Max address space"], (str(64 << 20), str(64 << 20)))

    def test_supervisor_jail_and_process_group(self):
        server = self.server()
        self.held_connection(server)  # so the supervisor holds a client socket too
        supervisor = server.supervisor_pid()
        self.assert_jailed(supervisor, "supervisor")
        self.assertEqual(os.getpgid(supervisor), supervisor, "the supervisor does not lead its own process group")
        self.assertNotEqual(os.getpgid(supervisor), os.getpgid(server.pid))
        fds = proc_fds(supervisor)
        self.assertEqual((fds[0], fds[1]), ("/dev/null", "/dev/null"))
        self.assertRegex(fds[2], r"^socket:\[\d+\]$")  # its end of the log channel
        for fd, target in fds.items():
            # Nothing of the monitor's (log files, its end of the pipes) and nothing outside the root.
            self.assertRegex(target, r"^(/dev/null|pipe:\[\d+\]|socket:\[\d+\]|anon_inode:\[?\w+\]?|"
                             + os.path.realpath(self.root).replace(".", r"\.") + r")$", f"descriptor {fd}")
        # Its log channel is read only by the monitor: not the monitor's own stdout/stderr.
        monitor_fds = proc_fds(server.pid)
        self.assertNotEqual(fds[2], monitor_fds.get(2))

    def test_each_connection_process_maps_only_its_own_scoreboard_slot(self):
        """The scoreboard is one shared mapping in the supervisor; each child
        inherits only the page of its own slot (docs/architecture.md)."""
        def shared_mappings(pid):
            found = []
            with open(f"/proc/{pid}/maps") as f:
                for line in f:
                    fields = line.split()
                    if fields[1].endswith("s"):  # rw-s: a shared mapping
                        start, end = (int(x, 16) for x in fields[0].split("-"))
                        found.append((fields[4], int(fields[2], 16), end - start))
            return found
        server = self.server("--max-children", "300")
        (_, first), (_, second) = self.held_connection(server), self.held_connection(server)
        mappings = shared_mappings(server.supervisor_pid())
        scoreboard = [m for m in mappings if m[2] == 300 * 4096]
        self.assertEqual(len(scoreboard), 1, f"the supervisor maps every slot: {mappings}")
        inode, offset, size = scoreboard[0]
        # Its other shared mapping is the peer ring it shares with the monitor.
        monitor_inodes = {m[0] for m in shared_mappings(server.pid)}
        self.assertEqual([m for m in mappings if m[0] != inode and m[0] not in monitor_inodes], [],
                         "a shared mapping the monitor does not have")
        slots = []
        for child in (first, second):
            child_mappings = shared_mappings(child)
            self.assertEqual(len(child_mappings), 1, f"one page of the scoreboard, no peer ring: {child_mappings}")
            child_inode, child_offset, child_size = child_mappings[0]
            self.assertEqual((child_inode, child_size), (inode, 4096), "one page of the scoreboard")
            self.assertLess(child_offset, size)
            slots.append(child_offset)
        self.assertNotEqual(slots[0], slots[1], "two children share a slot")

    def test_supervisor_runs_ahead_of_its_children(self):
        """Nice -5 for the supervisor (started as root), with reset-on-fork, so
        a connection process starts back at nice 0 and without the flag."""
        server = self.server()
        _, child = self.held_connection(server)
        supervisor = server.supervisor_pid()
        reset_on_fork = getattr(os, "SCHED_RESET_ON_FORK", 0x40000000)
        self.assertEqual(os.getpriority(os.PRIO_PROCESS, supervisor), -5)
        self.assertEqual(os.sched_getscheduler(supervisor), os.SCHED_OTHER | reset_on_fork)
        self.assertEqual(os.getpriority(os.PRIO_PROCESS, child), 0)
        self.assertEqual(os.sched_getscheduler(child), os.SCHED_OTHER)
        self.assertEqual(os.getpriority(os.PRIO_PROCESS, server.pid), 0, "the monitor keeps the nice it started with")

    def test_monitor_becomes_the_log_user(self):
        server = self.server()
        self.held_connection(server, b"GET / HTTP/1.1\r\n")
        monitor = server.pid
        log_uid, log_gid = log_user_ids(self.root)
        # The monitor locks itself down just after printing the listening line.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proc_status(monitor)["Seccomp"] != "2":
            time.sleep(0.02)
        status = proc_status(monitor)
        self.assertEqual(status["Uid"], "\t".join([str(log_uid)] * 4), "the monitor's uids")
        self.assertEqual(status["Gid"], "\t".join([str(log_gid)] * 4), "the monitor's gids")
        self.assertEqual(status["Groups"], "", "the monitor keeps supplementary groups")
        self.assertNotIn(log_uid, (0, RUN_USER.pw_uid), "the monitor is root or the run user")
        for name in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"):
            self.assertEqual(int(status[name], 16), 0, f"monitor {name} = {status[name]}")
        self.assertEqual(status["NoNewPrivs"], "1")
        self.assertEqual(status["Seccomp"], "2")
        # Its sockets are the log channel's two read ends, unix sockets: no network socket.
        fds = proc_fds(monitor)
        sockets = [t[len("socket:["):-1] for t in fds.values() if t.startswith("socket:")]
        self.assertEqual(len(sockets), 2, fds)
        unix = unix_socket_inodes()
        self.assertEqual([inode for inode in sockets if inode not in unix], [], "a non-unix socket")
        self.assertEqual(os.readlink(f"/proc/{monitor}/root"), "/")
        # Not in the supervisor's group: a signal to that group does not reach it.
        self.assertEqual(os.getpgid(monitor), monitor)  # the harness starts it in its own session

    def test_the_jail_serves_only_from_the_root(self):
        """Served through the jail: files beneath the root, nothing else."""
        server = self.server()
        status, _, body = http_request(server.port, "GET", "/sub/page.txt")
        self.assertEqual((status, body), (200, b"page\n"))
        for path in ("/etc/passwd", "/proc/self/status", "/dev/null"):
            with self.subTest(path=path):
                status, _, _ = http_request(server.port, "GET", path)
                self.assertEqual(status, 404)
