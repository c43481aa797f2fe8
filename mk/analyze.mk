# analyze.mk: the static analysers, with zero findings allowed.
#
#   make analyze    cppcheck, clang-tidy (.clang-tidy) and gcc -fanalyzer over src/, and the format check; any finding fails
#   make format     rewrite every C file of the repository as .clang-format says
#
# Suppressions are documented where they live: .clang-tidy lists its disabled
# checks with reasons; cppcheck's are inline "cppcheck-suppress" comments next
# to the line they concern. Must not: pass with a finding.

ANALYZE_SOURCES := $(SERVER_SRC) $(PARSER_SRC) $(wildcard src/tools/*.c)
ANALYZE_FLAGS := -std=c17 -D_GNU_SOURCE $(INCLUDE_FLAGS) -I$(BUILD)/policy

.PHONY: analyze analyze-cppcheck analyze-clang-tidy analyze-gcc analyze-format format
analyze: analyze-cppcheck analyze-clang-tidy analyze-gcc analyze-format
	@echo "analyze: cppcheck, clang-tidy and gcc -fanalyzer found nothing; every C file follows .clang-format"

# Every C source and header the repository tracks (tests, fuzzers and benches too).
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

analyze-format:
	@clang-format --dry-run -Werror $(FORMAT_FILES) || { echo "analyze: run make format and review the diff" >&2; exit 1; }

format:
	clang-format -i $(FORMAT_FILES)

analyze-cppcheck: $(POLICY_INCLUDES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	  --suppress=missingIncludeSystem -D_GNU_SOURCE $(INCLUDE_FLAGS) -I$(BUILD)/policy $(ANALYZE_SOURCES)

analyze-clang-tidy: $(POLICY_INCLUDES)
	clang-tidy --quiet $(ANALYZE_SOURCES) -- $(ANALYZE_FLAGS) 2>&1 | { ! grep -E "(warning|error):"; }

analyze-gcc: $(POLICY_INCLUDES)
	@mkdir -p $(BUILD)/analyze
	@for source in $(ANALYZE_SOURCES); do \
	  $(CC) $(ANALYZE_FLAGS) $(WARNINGS) -fanalyzer -O1 -c $$source -o $(BUILD)/analyze/out.o || exit 1; \
	done

TEST_TARGETS += analyze
