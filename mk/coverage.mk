# coverage.mk: line coverage of the source by the unit-level suites.
#
#   make coverage    the parser, unit, static-file and PROXY suites built with gcc --coverage; a gcovr report
#
# The suites are the same as in make test, rebuilt under $(BUILD)/coverage with
# gcc and --coverage in place of the sanitizers. Code that only runs inside
# the jail is measured through these suites' calls to it: a jailed process
# cannot write coverage data (no file writes at all, by design), so the live
# suites add nothing here. The report also lands in $(BUILD)/coverage/index.html.

COVERAGE_DIR := $(BUILD)/coverage
COVERAGE_SUITES := test-parser test-unit test-static test-proxy

.PHONY: coverage
coverage:
	rm -rf $(COVERAGE_DIR)
	$(MAKE) --no-print-directory BUILD=$(COVERAGE_DIR) \
	  PARSER_TEST_CC=gcc PARSER_TEST_SANITIZERS=--coverage UNIT_TEST_CC=gcc UNIT_TEST_SANITIZERS=--coverage \
	  STATIC_TEST_CC=gcc STATIC_TEST_SANITIZERS=--coverage PROXY_TEST_CC=gcc PROXY_TEST_SANITIZERS=--coverage \
	  $(COVERAGE_SUITES)
	gcovr --root . --object-directory $(COVERAGE_DIR) --filter 'src/' --exclude 'src/tools/' \
	  --html-details $(COVERAGE_DIR)/index.html --print-summary --txt -
