# proxy-tests.mk: unit tests of the PROXY protocol header parser (src/http/proxy_protocol.c).
#
#   make test-proxy       every v1/v2 form, malformed, truncated and split headers, limits, random mutations, the fuzzing seeds (ASan+UBSan)
#
# tests/unit/test_proxy_protocol.c has its own main() and is built with clang
# (PROXY_TEST_CC) against the real parser source, CFLAGS_BASE (warnings are
# errors) and AddressSanitizer + UndefinedBehaviorSanitizer without recovery,
# so a read past a buffer's length or any undefined behaviour fails the run.
# The test source is also compiled once with $(CC) and the server's full flags
# so it stays clean under both compilers. The fuzz harness for the same parser
# is fuzz/fuzz_proxy.c (mk/fuzz.mk: make fuzz-proxy).
# Must not: write outside $(BUILD)/tests/proxy/, or weaken CFLAGS_BASE.

PROXY_TEST_DIR := $(BUILD)/tests/proxy
PROXY_TEST_CC ?= clang
PROXY_TEST_BIN := $(PROXY_TEST_DIR)/test_proxy_protocol
PROXY_TEST_GCC_STAMP := $(PROXY_TEST_DIR)/warnings-$(notdir $(CC)).stamp
PROXY_TEST_INPUTS := tests/unit/test_proxy_protocol.c tests/unit/unit.c tests/unit/unit.h src/http/proxy_protocol.c include/http/proxy_protocol.h mk/proxy-tests.mk
PROXY_TEST_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PROXY_TEST_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

.PHONY: test-proxy
TEST_TARGETS += test-proxy

$(PROXY_TEST_DIR):
	mkdir -p $@

$(PROXY_TEST_BIN): $(PROXY_TEST_INPUTS) | $(PROXY_TEST_DIR)
	$(PROXY_TEST_CC) $(CFLAGS_BASE) -Itests/unit -O1 -g $(PROXY_TEST_SANITIZERS) tests/unit/test_proxy_protocol.c tests/unit/unit.c src/http/proxy_protocol.c -o $@

$(PROXY_TEST_GCC_STAMP): $(PROXY_TEST_INPUTS) | $(PROXY_TEST_DIR)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c tests/unit/test_proxy_protocol.c -o /dev/null
	@touch $@

test-proxy: $(PROXY_TEST_BIN) $(PROXY_TEST_GCC_STAMP)
	$(PROXY_TEST_ENV) $(PROXY_TEST_BIN) fuzz/proxy-seeds
