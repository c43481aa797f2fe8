# coverage.mk: line coverage of the source by the unit-level suites.
#
#   make coverage    the parser, unit, static-file and PROXY suites built with gcc --coverage; a gcovr report
#
# The suites are the same as in make test (every suite of mk/sanitizer-suite.mk,
# SANITIZER_SUITE_TARGETS), rebuilt under $(BUILD)/coverage with gcc and
# --coverage in place of the sanitizers (NAME_TEST_CC and NAME_TEST_SANITIZERS
# of each). Code that only runs inside the jail is measured through these
# suites' calls to it: a jailed process cannot write coverage data (no file
# writes at all, by design), so the live suites add nothing here. The report
# also lands in $(BUILD)/coverage/index.html.

COVERAGE_DIR := $(BUILD)/coverage

.PHONY: coverage
coverage:
	rm -rf $(COVERAGE_DIR)
	$(MAKE) --no-print-directory BUILD=$(COVERAGE_DIR) \
	  $(foreach suite,$(SANITIZER_SUITE_NAMES),$(suite)_TEST_CC=gcc $(suite)_TEST_SANITIZERS=--coverage) \
	  $(SANITIZER_SUITE_TARGETS)
	gcovr --root . --object-directory $(COVERAGE_DIR) --filter 'src/' --exclude 'src/tools/' \
	  --html-details $(COVERAGE_DIR)/index.html --print-summary --txt -
