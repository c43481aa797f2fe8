# static-tests.mk: unit tests of the pure modules behind static files.
#
#   make test-static      ranges, lists and q-values, negotiation, entity tags and preconditions, escaping, listings (ASan+UBSan)
#
# tests/unit/test_static.c is built with clang (STATIC_TEST_CC) against the real
# sources of the modules it tests (and the real parser, to build requests) with
# AddressSanitizer and UndefinedBehaviorSanitizer and no recovery, so any read
# past a buffer or any undefined behaviour fails the run. The test source is
# also compiled once with $(CC) and the server's full flags (ALL_CFLAGS), so it
# stays clean under both compilers' warnings. It prints
# "static: N passed, N failed". Must not: write outside $(BUILD)/tests/, or
# weaken CFLAGS_BASE (warnings stay errors).

STATIC_TEST_DIR := $(BUILD)/tests
STATIC_TEST_CC ?= clang
STATIC_TEST_BIN := $(STATIC_TEST_DIR)/test_static
STATIC_TEST_MODULES := src/static/byte_range.c src/static/conditional.c src/http/field_list.c src/static/negotiation.c \
                       src/http/text_escape.c src/static/listing.c src/http/http_date.c src/http/text_number.c src/http/http_parser.c
STATIC_TEST_HEADERS := include/static/byte_range.h include/static/conditional.h include/http/field_list.h include/static/negotiation.h \
                       include/http/text_escape.h include/static/listing.h include/http/http_date.h include/http/http_parser.h
STATIC_TEST_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
STATIC_TEST_CFLAGS := $(CFLAGS_BASE) -Itests/unit -O1 -g
STATIC_TEST_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

.PHONY: test-static
TEST_TARGETS += test-static

$(STATIC_TEST_BIN): tests/unit/test_static.c tests/unit/unit.c tests/unit/unit.h $(STATIC_TEST_MODULES) $(STATIC_TEST_HEADERS) mk/static-tests.mk
	@mkdir -p $(STATIC_TEST_DIR)
	$(STATIC_TEST_CC) $(STATIC_TEST_CFLAGS) $(STATIC_TEST_SANITIZERS) tests/unit/test_static.c tests/unit/unit.c $(STATIC_TEST_MODULES) -o $@

STATIC_TEST_GCC_STAMP := $(STATIC_TEST_DIR)/test_static-warnings-$(notdir $(CC)).stamp

$(STATIC_TEST_GCC_STAMP): tests/unit/test_static.c tests/unit/unit.h $(STATIC_TEST_HEADERS) mk/static-tests.mk
	@mkdir -p $(STATIC_TEST_DIR)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c tests/unit/test_static.c -o /dev/null
	@touch $@

test-static: $(STATIC_TEST_BIN) $(STATIC_TEST_GCC_STAMP)
	$(STATIC_TEST_ENV) $(STATIC_TEST_BIN)
