# policy.mk: turn the reviewed allowlists in policy/*.policy into C tables.
#
#   make policy-export   rewrite policy/*.pfc, the compiled filters as text (commit them)
#
# Each line "NAME RULE REASON" becomes POLICY_RULE(NAME, RULE); SCMP_SYS(NAME)
# and RULE_##RULE then make an unknown syscall or rule a compile error.

$(BUILD)/policy/%.inc: policy/%.policy | $(BUILD)/policy
	@$(if $(Q),echo "  POLICY  $<")
	$(Q)awk '/^[[:space:]]*(#|$$)/ { next } NF < 3 { print FILENAME ": line " FNR ": expected NAME RULE REASON" > "/dev/stderr"; exit 1 } { printf "POLICY_RULE(%s, %s)\n", $$1, $$2 }' $< > $@.tmp && mv $@.tmp $@

$(BUILD)/policy:
	mkdir -p $@

$(BUILD)/obj/jail/seccomp_policy.o: $(POLICY_INCLUDES)

$(BUILD)/export-policy: src/tools/export_policy.c $(BUILD)/obj/jail/seccomp_policy.o
	$(CC) $(ALL_CFLAGS) -I$(BUILD)/policy $^ -o $@ -lseccomp

.PHONY: policy-export
policy-export: $(BUILD)/export-policy
	$(BUILD)/export-policy jail > policy/jail.pfc
	$(BUILD)/export-policy monitor > policy/monitor.pfc

# The allowlists against use: the live suites that serve (not the escape tests,
# which call forbidden things on purpose) run under strace, then every role's
# calls are compared with its policy; the committed .pfc files must match.
#   make policy-check    fail on a call used but not listed, or listed, unused and unjustified
POLICY_SUITES ?= test_smoke.py test_serving.py test_static_*.py test_refusals.py test_robustness.py test_rare_paths.py test_seams.py test_metrics.py

.PHONY: policy-check
policy-check: prong $(BUILD)/export-policy
	python3 tests/policy/test_check_policy.py
	@rm -rf $(BUILD)/policy-trace
	PRONG_TRACE_DIR=$(BUILD)/policy-trace python3 tests/live/run.py $(POLICY_SUITES)
	python3 tests/policy/check_policy.py $(BUILD)/policy-trace
	@$(BUILD)/export-policy jail | diff -u policy/jail.pfc - && $(BUILD)/export-policy monitor | diff -u policy/monitor.pfc - \
	  && echo "policy check: policy/*.pfc match the policies" \
	  || { echo "policy/*.pfc are stale: run make policy-export and review the diff"; exit 1; }

TEST_TARGETS += policy-check
