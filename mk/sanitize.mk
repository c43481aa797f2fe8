# sanitize.mk: the server built with AddressSanitizer and UndefinedBehaviorSanitizer,
# and the live suite run against it.
#
#   make build/prong-asan   the server with ASan+UBSan (dynamically linked; never installed)
#   make test-asan          the serving live suites against it; any sanitizer report fails
#
# Layers adjusted for the sanitizers, and only in this build (SECURITY.md):
#   - RLIMIT_AS is not set on connection processes: ASan reserves terabytes of
#     address space for its shadow memory (tests/live/test_attest.py checks the
#     release build sets it);
#   - the jail filter also allows what the ASan runtime calls while the program
#     runs (policy/sanitizer.policy, appended to the jail's allowlist).
# Leak detection is off: its tracer needs ptrace and threads, which the jail forbids.
# clang warns that libseccomp's SCMP_A* macros leave a field to zero-initialisation:
# -Wno-missing-field-initializers, in this build only.

ASAN_CC ?= clang
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g \
              -DPRONG_SANITIZER_BUILD
ASAN_OBJ := $(patsubst src/%.c,$(BUILD)/asan-obj/%.o,$(SERVER_SRC) $(PARSER_SRC))
ASAN_SUITES ?= test_smoke.py test_serving.py test_static_*.py test_refusals.py test_rare_paths.py test_robustness.py
# Set for the test run only (afl-fuzz refuses an ASAN_OPTIONS it did not choose).
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86:symbolize=0:allocator_may_return_null=1 \
                 UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1

$(BUILD)/asan-obj/%.o: src/%.c $(HEADERS) $(POLICY_INCLUDES)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (asan)")
	$(Q)$(ASAN_CC) $(CFLAGS_BASE) -Wno-missing-field-initializers $(ASAN_FLAGS) -c $< -o $@

$(BUILD)/prong-asan: $(ASAN_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(ASAN_CC) $(ASAN_FLAGS) $^ -o $@ $(LDLIBS)

.PHONY: test-asan
test-asan: $(BUILD)/prong-asan $(BUILD)/prong-test
	$(SANITIZER_ENV) PRONG=$(BUILD)/prong-asan PRONG_SANITIZED=1 python3 tests/live/run.py $(ASAN_SUITES)

TEST_TARGETS += test-asan
