# static-tests.mk: unit tests of the pure modules behind static files.
#
#   make test-static      ranges, lists and q-values, negotiation, entity tags and preconditions, escaping, listings (ASan+UBSan)
#
# tests/unit/test_static.c is built against the real sources of the modules it
# tests (and the real parser, to build requests) by the shared recipe of
# mk/sanitizer-suite.mk: clang, ASan + UBSan without recovery, and once more
# with $(CC) and the server's full flags. It prints "static: N passed, N
# failed"; UNIT_TEST_SEED=N varies its generated values. Must not: write
# outside $(BUILD)/tests/static/, or weaken CFLAGS_BASE (warnings stay errors).

STATIC_TEST_SOURCES := tests/unit/test_static.c
STATIC_TEST_MODULES := src/static/byte_range.c src/static/conditional.c src/http/field_list.c src/static/negotiation.c \
                       src/http/text_escape.c src/static/listing.c src/http/http_date.c src/http/text_number.c $(PARSER_SRC)

include mk/sanitizer-suite.mk
$(eval $(call sanitizer_suite,STATIC,static,test_static))
