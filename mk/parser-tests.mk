# parser-tests.mk: the request-head parser's unit tests and golden files.
#
#   make test-parser      cases.txt whole/byte-by-byte/random splits, limits, regressions (ASan+UBSan), then golden files
#
# tests/parser/test_parser.c is built against the real parser source (and
# nothing of the parser but include/http/http_parser.h) by the shared recipe of
# mk/sanitizer-suite.mk: clang, ASan + UBSan without recovery, and once more
# with $(CC) and the server's full flags. tests/parser/run_golden.py then
# compares build/parse-request's output with tests/parser/golden/ byte for
# byte. PARSER_TEST_SEED=N varies the random splits (the seed in use is
# printed on failure). Must not: write outside $(BUILD)/tests/parser/, or
# weaken CFLAGS_BASE (warnings stay errors).

PARSER_TEST_SOURCES := tests/parser/test_parser.c
PARSER_TEST_MODULES := $(PARSER_SRC)
PARSER_TEST_ARGS := tests/parser/cases.txt docs/conformance.md tests/parser/regressions
PARSER_TEST_NEEDS := $(BUILD)/parse-request
PARSER_TEST_AFTER = python3 tests/parser/run_golden.py $(BUILD)/parse-request tests/parser/golden docs/conformance.md

include mk/sanitizer-suite.mk
$(eval $(call sanitizer_suite,PARSER,parser,test_parser))
