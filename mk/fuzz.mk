# fuzz.mk: fuzzing the request-head parser with AFL++ and libFuzzer.
#
#   make fuzz             AFL++ campaign on an ASan+UBSan build of fuzz/fuzz_parser.c (FUZZ_SECONDS=600, FUZZ_JOBS=1)
#   make fuzz-smoke       the same for 60 s (FUZZ_SMOKE_SECONDS); part of make test
#   make fuzz-libfuzzer   libFuzzer campaign with fuzz/http.dict and fuzz/seeds (FUZZ_SECONDS=600)
#   make fuzz-replay      run the harness once on fuzz/seeds, tests/parser/regressions (or FUZZ_REPLAY='files')
#   make fuzz-proxy       AFL++ campaign on the PROXY protocol parser, fuzz/fuzz_proxy.c (FUZZ_PROXY_SECONDS=60)
#   make fuzz-log         AFL++ campaign on the monitor's log-channel parsing, fuzz/fuzz_log_record.c (FUZZ_LOG_SECONDS=60)
#
# fuzz-smoke runs the PROXY protocol and log-channel campaigns at the same time
# as the request parser's (one instance each, FUZZ_SMOKE_SECONDS each), so it
# still takes about a minute; their output is printed after the parser's.
#
# One harness (fuzz/fuzz_parser.c) serves both fuzzers; it links the real
# parser ($(PARSER_SRC)) and abort()s on any broken invariant, not only on
# crashes. Campaigns run under $(BUILD)/fuzz/, start fresh from fuzz/seeds,
# are bounded in time (afl-fuzz -V / -max_total_time, and timeout(1) as a
# backstop), print executions, execs/s, coverage, crashes and hangs, and fail
# when a crash or hang was saved. FUZZ_JOBS>1 runs one main AFL++ instance
# and FUZZ_JOBS-1 secondaries (the first with cmplog). Works as root and as an
# ordinary user with a writable $(BUILD)/; needs afl++, clang and
# libclang-rt-14-dev (make deps). Must not: change system settings (CPU
# governor, core_pattern) or write outside $(BUILD)/fuzz/.

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_JOBS ?= 1
# afl-clang-lto works here too (collision-free edges, an automatic dictionary).
FUZZ_AFL_CC ?= afl-clang-fast
FUZZ_CLANG ?= clang
FUZZ_DICT := fuzz/http.dict
FUZZ_SEEDS := fuzz/seeds
FUZZ_REGRESSIONS := tests/parser/regressions
FUZZ_REPLAY ?= $(FUZZ_SEEDS) $(wildcard $(FUZZ_REGRESSIONS))

FUZZ_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := $(CFLAGS_BASE) -O2 -g
FUZZ_INPUTS := fuzz/fuzz_parser.c fuzz/afl_persistent_main.h $(PARSER_SRC) include/http/http_parser.h src/http/http_parser_rules.h mk/fuzz.mk

FUZZ_AFL_BIN := $(FUZZ_DIR)/fuzz_parser_afl
FUZZ_AFL_CMPLOG_BIN := $(FUZZ_DIR)/fuzz_parser_afl_cmplog
FUZZ_LIBFUZZER_BIN := $(FUZZ_DIR)/fuzz_parser_libfuzzer

# ---------------------------------------------------------------- PROXY protocol parser
# fuzz/fuzz_proxy.c on src/http/proxy_protocol.c, seeds in fuzz/proxy-seeds/ (the
# unit tests' headers). Its dictionary is the parser's own constants, written
# by AFL++ at compile time (AFL_LLVM_DICT2FILE); a campaign runs exactly like
# the parser's (fuzz/afl-campaign.sh, one instance with cmplog). Reproduce a
# saved input with: $(FUZZ_DIR)/fuzz_proxy_afl < FILE (it prints the invariant).
FUZZ_PROXY_SECONDS ?= 60
FUZZ_PROXY_SEEDS := fuzz/proxy-seeds
FUZZ_PROXY_INPUTS := fuzz/fuzz_proxy.c fuzz/afl_persistent_main.h src/http/proxy_protocol.c include/http/proxy_protocol.h mk/fuzz.mk
FUZZ_PROXY_AFL_BIN := $(FUZZ_DIR)/fuzz_proxy_afl
FUZZ_PROXY_AFL_CMPLOG_BIN := $(FUZZ_DIR)/fuzz_proxy_afl_cmplog
FUZZ_PROXY_DICT := $(FUZZ_DIR)/proxy.dict

# ---------------------------------------------------------------- the log channel
# fuzz/fuzz_log_record.c on src/process/log_record.c and log_intake.c: what the
# monitor parses of what connection processes send it. Seeds in fuzz/log-seeds/;
# a campaign runs like the PROXY parser's.
FUZZ_LOG_SECONDS ?= 60
FUZZ_LOG_SEEDS := fuzz/log-seeds
FUZZ_LOG_SOURCES := fuzz/fuzz_log_record.c src/process/log_record.c src/process/log_intake.c \
                    src/process/peer_ring.c src/process/access_log.c src/process/access_log_json.c src/process/listener_address.c \
                    src/http/http_date.c src/http/text_number.c
FUZZ_LOG_INPUTS := $(FUZZ_LOG_SOURCES) fuzz/afl_persistent_main.h $(HEADERS) mk/fuzz.mk
FUZZ_LOG_AFL_BIN := $(FUZZ_DIR)/fuzz_log_afl
FUZZ_LOG_AFL_CMPLOG_BIN := $(FUZZ_DIR)/fuzz_log_afl_cmplog
FUZZ_LOG_DICT := $(FUZZ_DIR)/log.dict

.PHONY: fuzz fuzz-smoke fuzz-libfuzzer fuzz-replay fuzz-build fuzz-log
TEST_TARGETS += fuzz-smoke

$(FUZZ_DIR):
	mkdir -p $@

define fuzz_require_tool
@command -v $(1) >/dev/null 2>&1 || { echo "fuzz: $(1) not found (packages: afl++ clang libclang-rt-14-dev; run: sudo make deps)" >&2; exit 2; }
endef

# AFL++ persistent mode with ASan and UBSan: the campaign's target.
$(FUZZ_AFL_BIN): $(FUZZ_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZERS) fuzz/fuzz_parser.c $(PARSER_SRC) -o $@

# The same harness with cmplog instrumentation (input-to-state comparisons);
# no sanitizers: it only guides mutations, crashes are found by the target.
$(FUZZ_AFL_CMPLOG_BIN): $(FUZZ_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) fuzz/fuzz_parser.c $(PARSER_SRC) -o $@

# libFuzzer's own main(); also replays files given as arguments.
$(FUZZ_LIBFUZZER_BIN): $(FUZZ_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_CLANG))
	$(FUZZ_CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SANITIZERS) fuzz/fuzz_parser.c $(PARSER_SRC) -o $@

fuzz-build: $(FUZZ_AFL_BIN) $(FUZZ_AFL_CMPLOG_BIN) $(FUZZ_LIBFUZZER_BIN)

fuzz: $(FUZZ_AFL_BIN) $(FUZZ_AFL_CMPLOG_BIN)
	sh fuzz/afl-campaign.sh $(FUZZ_AFL_BIN) $(FUZZ_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl \
	    $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_DICT) $(FUZZ_SEEDS)

fuzz-smoke: $(FUZZ_AFL_BIN) $(FUZZ_AFL_CMPLOG_BIN) $(FUZZ_PROXY_AFL_BIN) $(FUZZ_PROXY_AFL_CMPLOG_BIN) \
            $(FUZZ_LOG_AFL_BIN) $(FUZZ_LOG_AFL_CMPLOG_BIN)
	@sh fuzz/afl-campaign.sh $(FUZZ_PROXY_AFL_BIN) $(FUZZ_PROXY_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl-proxy-smoke \
	    $(FUZZ_SMOKE_SECONDS) 1 $(FUZZ_PROXY_DICT) $(FUZZ_PROXY_SEEDS) >$(FUZZ_DIR)/afl-proxy-smoke.log 2>&1 & \
	proxy=$$!; \
	sh fuzz/afl-campaign.sh $(FUZZ_LOG_AFL_BIN) $(FUZZ_LOG_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl-log-smoke \
	    $(FUZZ_SMOKE_SECONDS) 1 $(FUZZ_LOG_DICT) $(FUZZ_LOG_SEEDS) >$(FUZZ_DIR)/afl-log-smoke.log 2>&1 & \
	log=$$!; \
	echo "fuzz-smoke: request parser (fuzz/fuzz_parser.c), with the PROXY and log-channel parsers in parallel"; \
	sh fuzz/afl-campaign.sh $(FUZZ_AFL_BIN) $(FUZZ_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl-smoke \
	    $(FUZZ_SMOKE_SECONDS) $(FUZZ_JOBS) $(FUZZ_DICT) $(FUZZ_SEEDS); parser=$$?; \
	proxy_status=0; wait $$proxy || proxy_status=$$?; \
	log_status=0; wait $$log || log_status=$$?; \
	echo "fuzz-smoke: PROXY protocol parser (fuzz/fuzz_proxy.c):"; cat $(FUZZ_DIR)/afl-proxy-smoke.log; \
	echo "fuzz-smoke: log channel (fuzz/fuzz_log_record.c):"; cat $(FUZZ_DIR)/afl-log-smoke.log; \
	if [ $$parser -ne 0 ]; then exit $$parser; fi; \
	if [ $$proxy_status -ne 0 ]; then exit $$proxy_status; fi; exit $$log_status

fuzz-libfuzzer: $(FUZZ_LIBFUZZER_BIN)
	sh fuzz/libfuzzer-campaign.sh $(FUZZ_LIBFUZZER_BIN) $(FUZZ_DIR)/libfuzzer \
	    $(FUZZ_SECONDS) $(FUZZ_DICT) $(FUZZ_SEEDS)

# Each file once through the harness, with symbolized sanitizer reports.
fuzz-replay: $(FUZZ_LIBFUZZER_BIN)
	@files=$$(find $(FUZZ_REPLAY) -type f ! -name 'README*' ! -name '.*' | sort); \
	if [ -z "$$files" ]; then echo "fuzz-replay: no files in $(FUZZ_REPLAY)"; exit 0; fi; \
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_LIBFUZZER_BIN) $$files >$(FUZZ_DIR)/replay.log 2>&1 || { \
	    grep -vE '^(Running|Executed) ' $(FUZZ_DIR)/replay.log | tail -n 40 >&2; \
	    echo "fuzz-replay: FAILED (full log: $(FUZZ_DIR)/replay.log)" >&2; exit 1; }; \
	echo "fuzz-replay: $$(echo "$$files" | wc -l) inputs, every invariant held"

# The PROXY protocol parser's targets (variables above).
.PHONY: fuzz-proxy

# The dictionary is a by-product of this build (absolute path: AFL++ needs one).
$(FUZZ_PROXY_AFL_BIN): $(FUZZ_PROXY_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	rm -f $(FUZZ_PROXY_DICT)
	AFL_QUIET=1 AFL_LLVM_DICT2FILE=$(abspath $(FUZZ_PROXY_DICT)) $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZERS) \
	    fuzz/fuzz_proxy.c src/http/proxy_protocol.c -o $@
	@[ -s $(FUZZ_PROXY_DICT) ] || printf '"PROXY "\n"TCP4"\n"TCP6"\n"UNKNOWN"\n' >$(FUZZ_PROXY_DICT)

$(FUZZ_PROXY_AFL_CMPLOG_BIN): $(FUZZ_PROXY_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) fuzz/fuzz_proxy.c src/http/proxy_protocol.c -o $@

fuzz-build: $(FUZZ_PROXY_AFL_BIN) $(FUZZ_PROXY_AFL_CMPLOG_BIN)

fuzz-proxy: $(FUZZ_PROXY_AFL_BIN) $(FUZZ_PROXY_AFL_CMPLOG_BIN)
	sh fuzz/afl-campaign.sh $(FUZZ_PROXY_AFL_BIN) $(FUZZ_PROXY_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl-proxy \
	    $(FUZZ_PROXY_SECONDS) 1 $(FUZZ_PROXY_DICT) $(FUZZ_PROXY_SEEDS)

# The log channel's targets (variables above).
$(FUZZ_LOG_AFL_BIN): $(FUZZ_LOG_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	rm -f $(FUZZ_LOG_DICT)
	AFL_QUIET=1 AFL_LLVM_DICT2FILE=$(abspath $(FUZZ_LOG_DICT)) $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZERS) \
	    $(FUZZ_LOG_SOURCES) -o $@
	@[ -s $(FUZZ_LOG_DICT) ] || printf '"\\x01\\x01"\n"\\x02"\n' >$(FUZZ_LOG_DICT)

$(FUZZ_LOG_AFL_CMPLOG_BIN): $(FUZZ_LOG_INPUTS) | $(FUZZ_DIR)
	$(call fuzz_require_tool,$(FUZZ_AFL_CC))
	AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_LOG_SOURCES) -o $@

fuzz-build: $(FUZZ_LOG_AFL_BIN) $(FUZZ_LOG_AFL_CMPLOG_BIN)

fuzz-log: $(FUZZ_LOG_AFL_BIN) $(FUZZ_LOG_AFL_CMPLOG_BIN)
	sh fuzz/afl-campaign.sh $(FUZZ_LOG_AFL_BIN) $(FUZZ_LOG_AFL_CMPLOG_BIN) $(FUZZ_DIR)/afl-log \
	    $(FUZZ_LOG_SECONDS) 1 $(FUZZ_LOG_DICT) $(FUZZ_LOG_SEEDS)
