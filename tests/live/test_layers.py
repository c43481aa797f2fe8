"""test_layers.py: docs/layers.md's matrix is what the lab build's jail really does.

Regenerates the matrix (tests/escape/matrix.py against build/prong-lab, each
layer removed in turn) and compares it row by row with the committed table; the
int80 row is compared only where this kernel serves i386 calls the same way as
the machine the table was made on (see docs/layers.md). A write the matrix
shows stopped in every column (create-outside) is run once more with both of
its stoppers removed, chroot and Landlock, and must then succeed: it is the
jail, not file permissions, that refuses it.
"""
import os
import shutil
import sys

from harness import LAB_BINARY, REPO, LiveTestCase, make_root, proc_status

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
import matrix  # noqa: E402

CAP_SYS_RESOURCE = 24  # <linux/capability.h>
DROP_COLUMN = 7  # "without the privilege drop", counting the empty field before the first |


def without_column(row, index):
    return "|".join(cell for i, cell in enumerate(row.split("|")) if i != index)


def bounding_set_has(capability):
    """Whether this test's own capability bounding set holds capability (some
    containers run root without CAP_SYS_RESOURCE, and so does every process they start)."""
    return bool(int(proc_status("self")["CapBnd"], 16) >> capability & 1)


def table_rows(text):
    start = text.index(matrix.BEGIN) + len(matrix.BEGIN)
    return [line for line in text[start:text.index(matrix.END)].splitlines() if line.strip()]


class LayerMatrixTest(LiveTestCase):
    def test_documented_matrix_matches_the_lab_build(self):
        if not os.path.exists(LAB_BINARY):
            self.fail(f"{LAB_BINARY} is missing: run make lab")
        measured = [line for line in matrix.build_table(LAB_BINARY).splitlines() if line.strip()]
        with open(os.path.join(REPO, "docs", "layers.md")) as f:
            documented = table_rows(f.read())
        self.assertEqual(len(measured), len(documented), "the matrix has a different number of rows")
        for got, want in zip(measured, documented):
            if got.startswith("| `int80`") and want.startswith("| `int80`"):
                continue  # kernel-dependent: checked by test_escape.py against a probe
            if got.startswith("| `raise-rlimit`") and bounding_set_has(CAP_SYS_RESOURCE):
                # Made where root has no CAP_SYS_RESOURCE; where it has, a root without
                # the privilege drop may raise the limit: every other cell still counts.
                got, want = (without_column(line, DROP_COLUMN) for line in (got, want))
            self.assertEqual(got, want)
        # The matrix must show what the layers are for: every attack is stopped with
        # all layers on, and removing seccomp lets some through.
        all_layers = [line.split("|")[3].strip() for line in measured if line.startswith("| `")]
        self.assertFalse([cell for cell in all_layers if "ESCAPED" in cell])
        self.assertTrue(any("ESCAPED" in line.split("|")[5] for line in measured if line.startswith("| `")))

    def test_create_outside_is_stopped_by_the_jail_not_by_permissions(self):
        if not os.path.exists(LAB_BINARY):
            self.fail(f"{LAB_BINARY} is missing: run make lab")
        outside = make_root({"secret": b"outside the jail\n"})
        self.addCleanup(shutil.rmtree, outside, True)
        os.chmod(outside, 0o1777)
        results = matrix.run_configuration(LAB_BINARY, ["--lab-without", "chroot", "--lab-without", "landlock"],
                                           os.path.join(outside, "secret"))
        self.assertEqual(results[("create-outside", "outside")], "**ESCAPED**")
        self.assertIn("escape-created", os.listdir(outside))
