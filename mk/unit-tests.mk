# unit-tests.mk: unit tests of the pure helpers, one binary for all of them.
#
#   make test-unit        dates, client table, access log, /proc status, flags, MIME, listen addresses, heads, numbers as text, ACLs, the prefault (ASan+UBSan)
#
# tests/unit/unit_main.c and the suites it runs (UNIT_TEST_SUITES) are built,
# with the real sources of the modules they test (UNIT_MODULES, never copied),
# by clang (UNIT_TEST_CC) with CFLAGS_BASE (warnings are errors) and
# AddressSanitizer + UndefinedBehaviorSanitizer with no recovery, so any read
# past a length or any undefined behaviour fails the run. UNIT_TEST_SEED=N
# varies the random sequences (the seed is printed on failure). The test
# sources are also compiled once with $(CC) and the server's full flags
# (ALL_CFLAGS), so they stay clean under both compilers' warnings. The binary
# prints one line per suite and `unit: N checks passed`, and exits non-zero on
# any failure. Temporary files go to $(UNIT_TEST_SCRATCH), made fresh each run.
# Must not: write outside $(BUILD)/tests/unit/, or weaken CFLAGS_BASE.

UNIT_TEST_DIR := $(BUILD)/tests/unit
UNIT_TEST_CC ?= clang
UNIT_TEST_BIN := $(UNIT_TEST_DIR)/test_unit
UNIT_TEST_SCRATCH := $(UNIT_TEST_DIR)/scratch
UNIT_TEST_GCC_STAMP := $(UNIT_TEST_DIR)/warnings-$(notdir $(CC)).stamp
# Listed, not globbed: tests/unit/ also holds other suites with their own main().
UNIT_TEST_SUITES := http_date client_table access_log proc_status config mime listener response rate_limit cidr text_number posix_acl prefault
UNIT_TEST_SOURCES := tests/unit/unit_main.c $(patsubst %,tests/unit/test_%.c,$(UNIT_TEST_SUITES))
UNIT_TEST_HEADERS := tests/unit/unit.h
# The modules under test, then what they link against (config: flag_table, cidr, http_parser,
# header_rules, error_pages; response: header_rules; listener: listener_address).
UNIT_MODULES := http_date client_table access_log proc_status config flag_table mime listener response rate_limit cidr text_number posix_acl prefault http_parser listener_address header_rules error_pages
UNIT_MODULE_SOURCES := $(foreach module,$(UNIT_MODULES),$(wildcard src/$(module).c src/*/$(module).c))
UNIT_TEST_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_TEST_CFLAGS := $(CFLAGS_BASE) -Itests/unit -O1 -g
# Bound at load, as the server is (-z now): the prefault suite reads which pages
# a child has written, and lazy binding would write the GOT in the middle of it.
UNIT_TEST_LDFLAGS := -Wl,-z,now
# Leak checks need ptrace, which some containers forbid; leaks are not what
# these tests look for, so they stay off and the result does not depend on it.
UNIT_TEST_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

.PHONY: test-unit
TEST_TARGETS += test-unit

$(UNIT_TEST_DIR):
	mkdir -p $@

$(UNIT_TEST_BIN): $(UNIT_TEST_SOURCES) $(UNIT_TEST_HEADERS) $(UNIT_MODULE_SOURCES) $(HEADERS) mk/unit-tests.mk | $(UNIT_TEST_DIR)
	$(UNIT_TEST_CC) $(UNIT_TEST_CFLAGS) $(UNIT_TEST_SANITIZERS) $(UNIT_TEST_SOURCES) $(UNIT_MODULE_SOURCES) $(UNIT_TEST_LDFLAGS) -o $@

$(UNIT_TEST_GCC_STAMP): $(UNIT_TEST_SOURCES) $(UNIT_TEST_HEADERS) $(HEADERS) mk/unit-tests.mk | $(UNIT_TEST_DIR)
	$(Q)for source in $(UNIT_TEST_SOURCES); do \
	    $(CC) $(ALL_CFLAGS) -Itests/unit -c $$source -o /dev/null || exit 1; \
	done
	@touch $@

test-unit: $(UNIT_TEST_BIN) $(UNIT_TEST_GCC_STAMP)
	@rm -rf $(UNIT_TEST_SCRATCH) && mkdir -p $(UNIT_TEST_SCRATCH)
	$(UNIT_TEST_ENV) $(UNIT_TEST_BIN) $(UNIT_TEST_SCRATCH)
	@rm -rf $(UNIT_TEST_SCRATCH)
