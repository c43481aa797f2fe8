"""test_deploy_containers.py: the capability sets container runtimes hand prong, rebuilt with setpriv/setcap.

No container runtime runs here; what docs/deploy.md's container and
Kubernetes recipes rely on is rebuilt with the kernel's own mechanisms:
  - a non-root user, the binary carrying the file capability cap_sys_chroot=ep
    (how a runtime that sets no ambient capabilities, Docker or Kubernetes
    with runAsUser, can give a non-root process CAP_SYS_CHROOT): prong keeps
    its ids, uses the capability for the chroot (no user namespace), drops it,
    and --attest passes;
  - root with exactly Docker's default capability set (its bounding set), as
    `docker run` gives a root container: prong drops to --user and serves.
    without CAP_SYS_PTRACE the monitor cannot read the supervisor's
    /proc/<pid>/root, so --attest reports "root_visible": false instead of
    refusing; the same set plus CAP_SYS_PTRACE shows the root.
Every process and temporary file is removed; loopback only.
"""
import json
import os
import shutil
import struct
import tempfile
import unittest

from harness import PRONG, LiveTestCase
from test_deploy_support import RUN_USER, ensure_service_user, run_to_exit, start, temporary_user

CAP_SYS_CHROOT = 18

# Docker's default capabilities for a container (moby's oci/caps/defaults.go).
DOCKER_DEFAULT_CAPABILITIES = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid",
                               "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"]


def attest_roles(test, result):
    test.assertEqual(result.returncode, 0, result.stdout + result.stderr)
    roles = [json.loads(line) for line in result.stdout.splitlines()]
    test.assertEqual([r["role"] for r in roles], ["monitor", "supervisor", "child"])
    for role in roles:
        test.assertTrue(role["ok"], role)
        for capability_set in ("cap_inheritable", "cap_permitted", "cap_effective", "cap_ambient"):
            test.assertEqual(int(role[capability_set], 16), 0, (role["role"], capability_set))
        test.assertEqual((role["no_new_privs"], role["seccomp"]), (1, 2))
    return roles


class ContainerCapabilitiesTest(LiveTestCase):
    def test_file_capability_for_a_non_root_user(self):
        user = self.enterContext(temporary_user())
        directory = tempfile.mkdtemp(prefix="prong-filecap-")
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)
        binary = os.path.join(directory, "prong")
        shutil.copy(PRONG, binary)
        os.chmod(binary, 0o755)
        # What `setcap cap_sys_chroot=ep` writes (struct vfs_cap_data, revision 2, effective bit).
        os.setxattr(binary, "security.capability", struct.pack("<5I", 0x02000001, 1 << CAP_SYS_CHROOT, 0, 0, 0))
        as_user = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        result = run_to_exit([binary, "--root", self.root, "--listen", "127.0.0.1:0", "--attest"], timeout=60,
                             **as_user)
        roles = attest_roles(self, result)
        for role in roles:
            self.assertEqual(role["uid"], [user.pw_uid] * 4)
        server = start(self, self.root, binary=binary, user=user.pw_name)
        supervisor = server.supervisor_pid()
        self.assertEqual(os.readlink(f"/proc/{supervisor}/ns/user"), os.readlink("/proc/self/ns/user"),
                         "with CAP_SYS_CHROOT prong must not need a user namespace")
        self.assertEqual(os.readlink(f"/proc/{supervisor}/root"), os.path.realpath(self.root))
        self.assertEqual(server.stop(), 0)

    def root_with(self, capabilities):
        ensure_service_user()
        bounding = "--bounding-set=-all," + ",".join("+" + c for c in capabilities)
        return run_to_exit(["setpriv", bounding, PRONG, "--root", self.root, "--listen", "127.0.0.1:0",
                            "--user", RUN_USER, "--attest"], timeout=60)

    def test_root_with_docker_default_capabilities(self):
        attest_roles(self, self.root_with(DOCKER_DEFAULT_CAPABILITIES))

    def test_root_with_docker_default_capabilities_and_sys_ptrace(self):
        roles = attest_roles(self, self.root_with(DOCKER_DEFAULT_CAPABILITIES + ["sys_ptrace"]))
        self.assertNotIn(0, roles[0]["uid"], "the monitor keeps uid 0")  # it becomes the log user
        self.assertEqual(roles[1]["root"], os.path.realpath(self.root))
