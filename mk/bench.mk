# bench.mk: prong against nginx, lighttpd, mini_httpd, webfs and the fork floors, in one run.
#
#   make bench       (as root) peers.py small and 10 MiB scenarios with prong added, the goal ratios, prong's memory
#
# bench/bench.py drives ../shared/bench/peers.py (PEERS=PATH elsewhere) with
# every prong layer on and only the per-client caps lifted, and the process floor
# (bench/apps/process_floor.c) beside them for the 1 KiB file, writes the rows to
# $(BUILD)/bench/{small,big}.json, prints the tables, the ratios and the memory
# of 1,000 idle kept-alive connections. BENCH_FLAGS passes more (--secs,
# --althttpd PATH, --only prong,nginx). Not part of `make test` (test_bench_script.py
# runs the script briefly, asserting no figure): figures are compared within one
# run, never asserted. The peers are Debian packages; installing nginx or
# lighttpd may start their system services. Must not: write outside $(BUILD)/bench.

PEERS ?= ../shared/bench/peers.py
BENCH_PACKAGES := wrk util-linux nginx lighttpd mini-httpd webfs
BENCH_FLAGS ?=

.PHONY: bench
bench: prong
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	python3 bench/bench.py --peers $(PEERS) --prong ./prong --out $(BUILD)/bench $(BENCH_FLAGS)
