# unit-tests.mk: unit tests of the pure helpers, one binary for all of them.
#
#   make test-unit        dates, client table, access log, /proc status, flags, MIME, listen addresses, heads, numbers as text, ACLs, the prefault, metrics, and what an administrator sets (ASan+UBSan)
#   make test-site        the same binary (the site suites are part of it; kept as a name)
#
# tests/unit/unit_main.c and the suites it runs (UNIT_TEST_SUITES) are built,
# with the real sources of the modules they test (UNIT_MODULES, never copied),
# by the shared recipe of mk/sanitizer-suite.mk: clang, ASan + UBSan without
# recovery, and once more with $(CC) and the server's full flags.
# UNIT_TEST_SEED=N varies the random sequences (the seed is printed on
# failure). The binary prints one line per suite and `unit: N checks passed`,
# and exits non-zero on any failure. Temporary files go to $(UNIT_TEST_SCRATCH),
# made fresh each run. Must not: write outside $(BUILD)/tests/unit/, or weaken
# CFLAGS_BASE.

# Listed, not globbed: tests/unit/ also holds other suites with their own main().
# The site suites (test_site_*.c) test what an administrator sets: headers,
# error pages, redirects, listings' sizes and order, --listen shorthands,
# --user UID:GID, and the response-head budget those rely on.
UNIT_TEST_SUITES := http_date client_table access_log proc_status config mime listener response rate_limit cidr text_number posix_acl prefault seam_tables log_channel access_log_json metrics file_cache \
                    site_headers site_pages site_listing site_listen site_budget
UNIT_TEST_SOURCES := tests/unit/unit_main.c $(patsubst %,tests/unit/test_%.c,$(UNIT_TEST_SUITES))
# The modules under test, then what they link against (config: flag_table, limit_table, cidr,
# http_parser, header_rules, error_pages; response: header_rules; listener: listener_address,
# unix_socket, trusted_directory (and posix_acl);
# the site suites: the static-file modules, and privileges for --user UID:GID).
UNIT_MODULES := http_date client_table keyed_hash pid_index crash_guard log_record log_intake peer_ring access_log access_log_json proc_status config flag_table limit_table mime listener response rate_limit cidr text_number posix_acl prefault http_parser listener_address header_rules error_pages metrics metrics_socket unix_socket trusted_directory \
                redirect listing static_files error_response file_response byte_range conditional negotiation path_resolve autoindex field_list text_escape privileges file_cache
UNIT_TEST_MODULES := $(foreach module,$(UNIT_MODULES),$(wildcard src/$(module).c src/*/$(module).c)) \
                     $(filter-out src/http/http_parser.c,$(PARSER_SRC))
# Bound at load, as the server is (-z now): the prefault suite reads which pages
# a child has written, and lazy binding would write the GOT in the middle of it.
# Linked with the server's src/child_writes.ld, whose one page the suite checks.
UNIT_TEST_LDFLAGS := -Wl,-z,now -lcap-ng $(CHILD_WRITES_LDFLAGS)
UNIT_TEST_SCRATCH = $(UNIT_TEST_DIR)/scratch
UNIT_TEST_ARGS = $(UNIT_TEST_SCRATCH)
UNIT_TEST_BEFORE = @rm -rf $(UNIT_TEST_SCRATCH) && mkdir -p $(UNIT_TEST_SCRATCH)
UNIT_TEST_AFTER = @rm -rf $(UNIT_TEST_SCRATCH)

include mk/sanitizer-suite.mk
$(eval $(call sanitizer_suite,UNIT,unit,test_unit))

.PHONY: test-site
test-site: test-unit
