# docs.mk: the documents' tables of flags and limits, from the one flag table.
#
#   make docs         rewrite README's flag table and SECURITY.md's and conformance.md's limit tables
#   make docs-check   fail when one of them differs from src/flag_table.c or src/limit_table.c; part of make test
#
# build/doc-tables (src/tools/doc_tables.c) prints each table from FLAG_TABLE
# and FIXED_LIMITS; tests/docs/sync_tables.py compares or rewrites what lies
# between the documents' "<!-- BEGIN TABLE name -->" markers.
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
