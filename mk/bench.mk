# bench.mk: prong against nginx, lighttpd, mini_httpd, webfs and two floors, in one run.
#
#   make bench      (as root) the tables, every goal of issue 19 with met/missed, memory, CPU and system calls per request
#
# bench/bench.py is the runner (Python's standard library, wrk, taskset and
# strace): every server pinned to CPU 1 and wrk to CPU 0, 1 KiB and 10 MiB,
# keep-alive and Connection: close at 50 connections, 1 KiB keep-alive at
# 1,000 connections; prong with every layer on and only the per-client caps
# lifted. Its floors are built here from bench/apps/: fork_floor (dynamically
# linked, a fork per connection, no parsing, closes) and process_floor (a
# static PIE as prong is, keep-alive). BENCH_FLAGS passes more: --quick (about
# a minute), --only prong,nginx, --secs N, --althttpd PATH (not packaged:
# build its one C file). The figures of the last run are also written to
# $(BUILD)/bench/bench.json. Not part of `make test`: tests/live/test_bench_script.py
# runs the runner briefly and asserts what it prints, never a figure. The peers
# are Debian packages; installing nginx or lighttpd may start their system
# services (the runner starts its own, on other ports). Must not: write outside
# $(BUILD)/bench and the runner's temporary site under /srv.

BENCH_PACKAGES := wrk util-linux strace nginx lighttpd mini-httpd webfs
BENCH_FLAGS ?=
BENCH_DIR := $(BUILD)/bench
BENCH_FLOORS := $(BENCH_DIR)/fork_floor $(BENCH_DIR)/process_floor

# Dynamically linked, as most fork-per-connection servers are: the floor
# issue 19's close goal is measured against.
$(BENCH_DIR)/fork_floor: bench/apps/fork_floor.c mk/bench.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# Compiled and linked as prong is (static PIE): the process model alone.
$(BENCH_DIR)/process_floor: bench/apps/process_floor.c mk/bench.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARDENING) $< -o $@

.PHONY: bench bench-floors
bench-floors: $(BENCH_FLOORS)

bench: prong $(BENCH_FLOORS)
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	python3 bench/bench.py --prong ./prong --fork-floor $(BENCH_DIR)/fork_floor \
	  --process-floor $(BENCH_DIR)/process_floor --json $(BENCH_DIR)/bench.json $(BENCH_FLAGS)

# tests/live/test_bench_script.py runs the runner with both floors.
test-live: $(BENCH_FLOORS)
