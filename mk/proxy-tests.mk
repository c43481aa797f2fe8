# proxy-tests.mk: unit tests of the PROXY protocol header parser (src/http/proxy_protocol.c).
#
#   make test-proxy       every v1/v2 form, malformed, truncated and split headers, limits, random mutations, the fuzzing seeds (ASan+UBSan)
#
# tests/unit/test_proxy_protocol.c has its own main() and is built against the
# real parser source by the shared recipe of mk/sanitizer-suite.mk: clang,
# ASan + UBSan without recovery, and once more with $(CC) and the server's full
# flags. UNIT_TEST_SEED=N varies the random mutations. The fuzz harness for the
# same parser is fuzz/fuzz_proxy.c (mk/fuzz.mk: make fuzz-proxy).
# Must not: write outside $(BUILD)/tests/proxy/, or weaken CFLAGS_BASE.

PROXY_TEST_SOURCES := tests/unit/test_proxy_protocol.c
PROXY_TEST_MODULES := src/http/proxy_protocol.c
PROXY_TEST_ARGS := fuzz/proxy-seeds

include mk/sanitizer-suite.mk
$(eval $(call sanitizer_suite,PROXY,proxy,test_proxy_protocol))
