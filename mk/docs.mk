# docs.mk: the documents' generated sections: tables from the one flag table, copies of files.
#
#   make docs         rewrite the flag and limit tables and the documents' copies of packaging/prong.logrotate
#   make docs-check   fail when one of them differs from its source (src/flag_table.c,
#                     src/limit_table.c, the file); part of make test
#
# The tables: README's flags, SECURITY.md's and conformance.md's limits; the
# copies: README.md, docs/deploy.md, docs/logging.md.
# build/doc-tables (src/tools/doc_tables.c) prints each table from FLAG_TABLE
# and FIXED_LIMITS; tests/docs/sync_tables.py compares or rewrites what lies
# between the documents' "<!-- BEGIN TABLE name -->" markers, and puts the
# file PATH between "<!-- BEGIN FILE PATH -->" markers.
# Must not: write outside those markers.

$(BUILD)/doc-tables: src/tools/doc_tables.c src/flag_table.c src/limit_table.c $(HEADERS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) src/tools/doc_tables.c src/flag_table.c src/limit_table.c -o $@

.PHONY: docs docs-check
docs: $(BUILD)/doc-tables
	python3 tests/docs/sync_tables.py --write $(BUILD)/doc-tables

docs-check: $(BUILD)/doc-tables
	python3 tests/docs/sync_tables.py $(BUILD)/doc-tables

TEST_TARGETS += docs-check
