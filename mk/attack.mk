# attack.mk: the full-size attacks of tests/attack/ against the real ./prong, run
# by hand (as root, loopback only, about 4 minutes); never part of make test
# (their reduced versions are: tests/live/test_slow_clients.py, test_hostile_*.py).
#
#   make attack     slowloris (1,000 connections from 100 and from 1,000 addresses, prong's defaults
#                   and ATTACK_ADMIN_FLAGS), 200 readers of 100 MiB at 1 byte/s, connection floods
#                   from one address with SIGTERM, 10,000 and 100,000 pipelined requests
#
# Each script starts its own server, prints its figures and a RESULT line, and
# exits non-zero on failure; every script runs, then the target fails if any did.
# Must not: join TEST_TARGETS, or point an attack anywhere but loopback.

# What an administrator expecting slowloris might set: a head deadline that is
# ample for any real client (5 s), room for 1,000 connection processes (about
# 40 KiB of memory each here), and 8 connections per address (browsers open 6).
ATTACK_ADMIN_FLAGS ?= --max-children 1024 --max-per-ip 8 --head-timeout 5

.PHONY: attack
attack: prong
	@failed=""; \
	run() { echo "== $$*"; python3 "$$@" || failed="$$failed ($$*)"; echo; }; \
	run tests/attack/slowloris.py; \
	run tests/attack/slowloris.py -- $(ATTACK_ADMIN_FLAGS); \
	run tests/attack/slowloris.py --sources 1000 --duration 30; \
	run tests/attack/slow_reader.py; \
	run tests/attack/flood.py; \
	run tests/attack/pipeline.py; \
	if [ -n "$$failed" ]; then echo "make attack: failed:$$failed"; exit 1; fi; \
	echo "make attack: every attack was survived"
