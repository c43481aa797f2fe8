# parser-tests.mk: the request-head parser's unit tests and golden files.
#
#   make test-parser      cases.txt whole/byte-by-byte/random splits, limits, regressions (ASan+UBSan), then golden files
#
# tests/parser/test_parser.c is built with clang (PARSER_TEST_CC) against the
# real parser source and AddressSanitizer + UndefinedBehaviorSanitizer, with no
# recovery, so any read past a buffer's length or any undefined behaviour
# fails the run. tests/parser/run_golden.py then compares build/parse-request's
# output with tests/parser/golden/ byte for byte. PARSER_TEST_SEED=N varies the
# random splits (the seed in use is printed on failure). Must not: write
# outside $(BUILD)/tests/, or weaken CFLAGS_BASE (warnings stay errors).

PARSER_TEST_DIR := $(BUILD)/tests
PARSER_TEST_CC ?= clang
PARSER_TEST_BIN := $(PARSER_TEST_DIR)/test_parser
PARSER_TEST_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PARSER_TEST_CFLAGS := $(CFLAGS_BASE) -Itests/unit -O1 -g
# Leak checks need ptrace, which some containers forbid; leaks are not what
# these tests look for, so they stay off and the result does not depend on it.
PARSER_TEST_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

.PHONY: test-parser
TEST_TARGETS += test-parser

$(PARSER_TEST_DIR):
	mkdir -p $@

$(PARSER_TEST_BIN): tests/parser/test_parser.c tests/unit/unit.c tests/unit/unit.h $(PARSER_SRC) include/http/http_parser.h mk/parser-tests.mk | $(PARSER_TEST_DIR)
	$(PARSER_TEST_CC) $(PARSER_TEST_CFLAGS) $(PARSER_TEST_SANITIZERS) tests/parser/test_parser.c tests/unit/unit.c $(PARSER_SRC) -o $@

test-parser: $(PARSER_TEST_BIN) $(BUILD)/parse-request
	$(PARSER_TEST_ENV) $(PARSER_TEST_BIN) tests/parser/cases.txt docs/conformance.md tests/parser/regressions
	python3 tests/parser/run_golden.py $(BUILD)/parse-request tests/parser/golden docs/conformance.md
