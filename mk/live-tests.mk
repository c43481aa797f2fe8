# live-tests.mk: the live suites, which run the real ./prong as root over real sockets.
#
#   make test-live          every tests/live/test_*.py (LIVE=PATTERN picks files)

LIVE ?= test_*.py

.PHONY: test-live
test-live: prong $(BUILD)/prong-test $(BUILD)/prong-lab
	python3 tests/live/run.py $(LIVE)

TEST_TARGETS += test-live
