# bench-parser.mk: the parser benchmark, prong's parser against Debian's http-parser 2.9.
#
#   make bench-parser   ns/request for a ~500-byte Chrome-like request and a minimal one, both parsers, and the ratio
#
# bench/parser_bench.c is compiled twice (prong's side with the include flags, the
# http-parser side without it: both projects ship an http_parser.h), and
# the parser's sources ($(PARSER_SRC)) once more, all with the same -O2 flags and no sanitizers
# (whatever CFLAGS says), linked with Debian's static libhttp_parser.a.
# Needs libhttp-parser-dev (make deps). Prints numbers only: no test asserts
# times. Must not: write outside $(BUILD)/bench-parser/.

BENCH_PARSER_DIR := $(BUILD)/bench-parser
BENCH_PARSER_CFLAGS := $(CFLAGS_BASE) $(HARDENING) -O2 -g
BENCH_PARSER_BIN := $(BENCH_PARSER_DIR)/parser_bench

.PHONY: bench-parser

$(BENCH_PARSER_DIR):
	mkdir -p $@

$(BENCH_PARSER_DIR)/prong_side.o: bench/parser_bench.c include/http/http_parser.h mk/bench-parser.mk | $(BENCH_PARSER_DIR)
	$(CC) $(BENCH_PARSER_CFLAGS) -c bench/parser_bench.c -o $@

$(BENCH_PARSER_DIR)/http_parser_side.o: bench/parser_bench.c mk/bench-parser.mk | $(BENCH_PARSER_DIR)
	@test -f /usr/include/http/http_parser.h || { echo "bench-parser: /usr/include/http/http_parser.h missing (package libhttp-parser-dev; run: sudo make deps)" >&2; exit 2; }
	$(CC) $(filter-out $(INCLUDE_FLAGS),$(BENCH_PARSER_CFLAGS)) -DPARSER_BENCH_HTTP_PARSER_SIDE -c bench/parser_bench.c -o $@

BENCH_PARSER_OBJ := $(patsubst src/http/%.c,$(BENCH_PARSER_DIR)/parser/%.o,$(PARSER_SRC))
$(BENCH_PARSER_DIR)/parser/%.o: src/http/%.c $(HEADERS) mk/bench-parser.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_PARSER_CFLAGS) -c $< -o $@

$(BENCH_PARSER_BIN): $(BENCH_PARSER_DIR)/prong_side.o $(BENCH_PARSER_DIR)/http_parser_side.o $(BENCH_PARSER_OBJ)
	$(CC) $(BENCH_PARSER_CFLAGS) $^ -o $@ -l:libhttp_parser.a

bench-parser: $(BENCH_PARSER_BIN)
	$(BENCH_PARSER_BIN)
