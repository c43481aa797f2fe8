#!/usr/bin/env python3
"""run.py: run the live test suites (tests/live/test_*.py) against ./prong.

Usage: run.py [PATTERN...]   PATTERNs select test files (default test_*.py).
Exits non-zero if any test fails or errors; names every skipped test and why
(a test skips only where what it needs cannot exist here, never in CI for a
missing tool: those fail). Standard library only.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    patterns = sys.argv[1:] or ["test_*.py"]
    suite = unittest.TestSuite()
    for pattern in patterns:
        suite.addTests(unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    print(f"live: {result.testsRun} tests, {len(result.failures)} failures, {len(result.errors)} errors, "
          f"{len(result.skipped)} skipped")
    for test, reason in result.skipped:  # a skip is not a pass: each one is named, with its reason
        print(f"live: skipped {test.id()}: {reason}")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
