# sanitizer-suite.mk: the one recipe for a unit-level test binary, shared by
# mk/parser-tests.mk, mk/proxy-tests.mk, mk/static-tests.mk and mk/unit-tests.mk.
#
# A fragment sets its NAME_TEST_* variables, includes this file, then calls
#   $(eval $(call sanitizer_suite,NAME,suite,binary))
# (NAME the variable prefix, e.g. PARSER; suite the name in `make test-suite` and
# mk/suite-tests.mk; binary the program's name). That defines:
#   - $(BUILD)/tests/suite/binary: the test sources, the shared harness
#     (tests/unit/unit.c) and the real modules under test (never copied), built
#     by NAME_TEST_CC (clang) with CFLAGS_BASE (warnings are errors) and
#     NAME_TEST_SANITIZERS (ASan + UBSan, no recovery: any read past a length or
#     any undefined behaviour fails the run);
#   - a stamp: the test sources and the harness compiled once more by $(CC)
#     with the server's full flags (ALL_CFLAGS), so they stay clean under both
#     compilers' warnings;
#   - test-suite: runs NAME_TEST_BEFORE, the binary with NAME_TEST_ARGS under
#     SANITIZER_SUITE_ENV, then NAME_TEST_AFTER; appended to TEST_TARGETS.
# The fragment's inputs, set before the call:
#   NAME_TEST_SOURCES  the test's own C files      NAME_TEST_MODULES  sources under test
#   NAME_TEST_ARGS     the binary's arguments      NAME_TEST_LDFLAGS  link flags (optional)
#   NAME_TEST_NEEDS    other prerequisites of the run (optional)
#   NAME_TEST_BEFORE, NAME_TEST_AFTER  recipe lines around the run (optional)
# NAME_TEST_CC and NAME_TEST_SANITIZERS may be overridden (mk/coverage.mk sets
# gcc and --coverage for every suite in SANITIZER_SUITE_NAMES).
# Must not: write outside $(BUILD)/tests/suite/, or weaken CFLAGS_BASE.

ifndef SANITIZER_SUITE_DEFINED
SANITIZER_SUITE_DEFINED := 1

SANITIZER_SUITE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SANITIZER_SUITE_CFLAGS := $(CFLAGS_BASE) -Itests/unit -O1 -g
SANITIZER_SUITE_HARNESS := tests/unit/unit.c
SANITIZER_SUITE_HARNESS_HEADERS := tests/unit/unit.h $(wildcard tests/unit/unit_*.h)
# Leak checks need ptrace, which some containers forbid; leaks are not what
# these tests look for, so they stay off and the result does not depend on it.
SANITIZER_SUITE_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
# The variable prefixes and targets of every suite defined (mk/coverage.mk reads them).
SANITIZER_SUITE_NAMES :=
SANITIZER_SUITE_TARGETS :=

define sanitizer_suite
$(1)_TEST_CC ?= clang
$(1)_TEST_SANITIZERS ?= $$(SANITIZER_SUITE_FLAGS)
$(1)_TEST_DIR := $$(BUILD)/tests/$(2)
$(1)_TEST_BIN := $$($(1)_TEST_DIR)/$(3)
$(1)_TEST_GCC_STAMP := $$($(1)_TEST_DIR)/warnings-$$(notdir $$(CC)).stamp
$(1)_TEST_OWN_SOURCES := $$($(1)_TEST_SOURCES) $$(SANITIZER_SUITE_HARNESS)
$(1)_TEST_INPUTS := $$($(1)_TEST_OWN_SOURCES) $$(SANITIZER_SUITE_HARNESS_HEADERS) $$(HEADERS) \
                    mk/$(2)-tests.mk mk/sanitizer-suite.mk
SANITIZER_SUITE_NAMES += $(1)
SANITIZER_SUITE_TARGETS += test-$(2)
TEST_TARGETS += test-$(2)
.PHONY: test-$(2)

$$($(1)_TEST_BIN): $$($(1)_TEST_INPUTS) $$($(1)_TEST_MODULES)
	@mkdir -p $$(@D)
	$$($(1)_TEST_CC) $$(SANITIZER_SUITE_CFLAGS) $$($(1)_TEST_SANITIZERS) $$($(1)_TEST_OWN_SOURCES) \
	  $$($(1)_TEST_MODULES) $$($(1)_TEST_LDFLAGS) -o $$@

$$($(1)_TEST_GCC_STAMP): $$($(1)_TEST_INPUTS)
	@mkdir -p $$(@D)
	$$(Q)for source in $$($(1)_TEST_OWN_SOURCES); do \
	    $$(CC) $$(ALL_CFLAGS) -Itests/unit -c $$$$source -o /dev/null || exit 1; \
	done
	@touch $$@

test-$(2): $$($(1)_TEST_BIN) $$($(1)_TEST_GCC_STAMP) $$($(1)_TEST_NEEDS)
	$$($(1)_TEST_BEFORE)
	$$(SANITIZER_SUITE_ENV) $$($(1)_TEST_BIN) $$($(1)_TEST_ARGS)
	$$($(1)_TEST_AFTER)
endef

endif
