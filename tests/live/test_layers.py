"""test_layers.py: docs/layers.md's matrix is what the lab build's jail really does.

Regenerates the matrix (tests/escape/matrix.py against build/prong-lab, each
layer removed in turn) and compares it row by row with the committed table.
Cells the kernel decides are probed, not assumed: the int80 row is compared
whole only where this kernel has no IA-32 emulation, as the machine the table
was made on (elsewhere the full jail must still end it with SIGSYS); a
"without seccomp" cell that Landlock decides (matrix.LANDLOCK_ABI_NEEDED) is
compared only where this kernel's Landlock ABI has the right it needs (below,
it must read ESCAPED); raise-rlimit's privilege-drop cell only where root
lacks CAP_SYS_RESOURCE. A write the matrix
shows stopped in every column (create-outside) is run once more with both of
its stoppers removed, chroot and Landlock, and must then succeed: it is the
jail, not file permissions, that refuses it.
"""
import os
import shutil
import sys

from harness import LAB_BINARY, REPO, LiveTestCase, landlock_abi, make_root, proc_status

sys.path.insert(0, os.path.join(REPO, "tests", "escape"))
import matrix  # noqa: E402
import seams  # noqa: E402
from actions import kernel_runs_i386_calls  # noqa: E402

TEST_BINARY = os.path.join(REPO, "build", "prong-test")
CAP_SYS_RESOURCE = 24  # <linux/capability.h>
SECCOMP_COLUMN = 5  # "without seccomp", counting the empty field before the first |
DROP_COLUMN = 7  # "without the privilege drop"
ALL_LAYERS_COLUMN = 3


def without_column(row, index):
    return "|".join(cell for i, cell in enumerate(row.split("|")) if i != index)


def bounding_set_has(capability):
    """Whether this test's own capability bounding set holds capability (some
    containers run root without CAP_SYS_RESOURCE, and so does every process they start)."""
    return bool(int(proc_status("self")["CapBnd"], 16) >> capability & 1)


def cell(row, index):
    return row.split("|")[index].strip()


def row_key(row):
    """(action, target) of a matrix row."""
    return cell(row, 1).strip("`"), cell(row, 2) or None


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
        i386, abi = kernel_runs_i386_calls(), landlock_abi()
        for got, want in zip(measured, documented):
            key = row_key(got) if got.startswith("| `") else (None, None)
            if key[0] in matrix.KERNEL_DEPENDENT and i386:
                # IA-32 emulation on: the filter's architecture check, not the kernel, ends it.
                self.assertEqual(cell(got, ALL_LAYERS_COLUMN), "SIGSYS", got)
                continue
            if key in matrix.LANDLOCK_ABI_NEEDED and abi < matrix.LANDLOCK_ABI_NEEDED[key]:
                self.assertIn("ESCAPED", cell(got, SECCOMP_COLUMN), f"Landlock ABI {abi}: {got}")
                got, want = (without_column(line, SECCOMP_COLUMN) for line in (got, want))
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

    def test_documented_seams_match_the_builds(self):
        for binary in (LAB_BINARY, TEST_BINARY):
            if not os.path.exists(binary):
                self.fail(f"{binary} is missing: run make lab and make {os.path.basename(binary)}")
        measured = matrix.build_seams_table(TEST_BINARY, LAB_BINARY).splitlines()
        with open(os.path.join(REPO, "docs", "layers.md")) as f:
            text = f.read()
        start = text.index(seams.BEGIN) + len(seams.BEGIN)
        documented = [line for line in text[start:text.index(seams.END)].splitlines() if line.strip()]
        self.assertEqual(measured, documented)
        # Each defence holds, and each sabotage shows what it stops.
        for row in measured[2:]:
            self.assertNotIn("**", cell(row, 3), row)
            self.assertIn("**", cell(row, 4), row)

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
