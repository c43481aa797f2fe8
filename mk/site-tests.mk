# site-tests.mk: unit tests of what an administrator sets (headers, error pages,
# redirects, listings' sizes and order, --listen shorthands, --user UID:GID) and
# of the response-head budget they rely on.
#
#   make test-site        the test_site suites (ASan+UBSan); part of make test
#
# tests/unit/test_site_*.c and their small harness (site_check.h,
# test_site_main.c) are built, like the other unit tests, by clang with
# CFLAGS_BASE (warnings are errors) and AddressSanitizer + UndefinedBehavior-
# Sanitizer without recovery, against the real sources of the modules they
# test (SITE_TEST_MODULES, never copied); the test sources are also compiled
# once with $(CC) and the server's full flags. The budget suite works in a
# scratch directory made fresh each run and removed after it.
# Must not: write outside $(BUILD)/tests/site/, or weaken CFLAGS_BASE.

SITE_TEST_DIR := $(BUILD)/tests/site
SITE_TEST_CC ?= clang
SITE_TEST_BIN := $(SITE_TEST_DIR)/test_site
SITE_TEST_SCRATCH := $(SITE_TEST_DIR)/scratch
SITE_TEST_SOURCES := tests/unit/test_site_main.c tests/unit/test_site_headers.c \
                     tests/unit/test_site_pages.c tests/unit/test_site_listing.c \
                     tests/unit/test_site_listen.c tests/unit/test_site_budget.c
SITE_TEST_MODULES := $(addprefix src/static/,header_rules.c error_pages.c redirect.c listing.c \
                       response.c static_files.c error_response.c file_response.c byte_range.c \
                       conditional.c negotiation.c path_resolve.c autoindex.c mime.c file_cache.c) \
                     $(addprefix src/http/,field_list.c text_escape.c http_date.c text_number.c \
                       http_parser.c) \
                     src/process/listener.c src/process/listener_address.c src/jail/privileges.c \
                     src/config.c src/flag_table.c src/http/cidr.c
SITE_TEST_FLAGS := $(CFLAGS_BASE) -Itests/unit -O1 -g -fsanitize=address,undefined \
                   -fno-sanitize-recover=all -fno-omit-frame-pointer
SITE_TEST_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
SITE_TEST_GCC_STAMP := $(SITE_TEST_DIR)/warnings-$(notdir $(CC)).stamp

.PHONY: test-site
TEST_TARGETS += test-site

$(SITE_TEST_BIN): $(SITE_TEST_SOURCES) tests/unit/site_check.h $(SITE_TEST_MODULES) $(HEADERS) mk/site-tests.mk
	@mkdir -p $(SITE_TEST_DIR)
	$(SITE_TEST_CC) $(SITE_TEST_FLAGS) $(SITE_TEST_SOURCES) $(SITE_TEST_MODULES) -o $@ -lcap-ng

$(SITE_TEST_GCC_STAMP): $(SITE_TEST_SOURCES) tests/unit/site_check.h $(HEADERS) mk/site-tests.mk
	@mkdir -p $(SITE_TEST_DIR)
	$(Q)for source in $(SITE_TEST_SOURCES); do \
	    $(CC) $(ALL_CFLAGS) -Itests/unit -c $$source -o /dev/null || exit 1; \
	done
	@touch $@

test-site: $(SITE_TEST_BIN) $(SITE_TEST_GCC_STAMP)
	@rm -rf $(SITE_TEST_SCRATCH) && mkdir -p $(SITE_TEST_SCRATCH)
	$(SITE_TEST_ENV) $(SITE_TEST_BIN) $(abspath $(SITE_TEST_SCRATCH))
	@rm -rf $(SITE_TEST_SCRATCH)
