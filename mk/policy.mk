# policy.mk: turn the reviewed allowlists in policy/*.policy into C tables.
#
#   make policy-export   rewrite policy/*.pfc, the compiled filters as text (commit them)
#
# Each line "NAME RULE REASON" becomes POLICY_RULE(NAME, RULE); SCMP_SYS(NAME)
# and RULE_##RULE then make an unknown syscall or rule a compile error.

POLICY_FILES := $(wildcard policy/*.policy)
POLICY_INCLUDES := $(patsubst policy/%.policy,$(BUILD)/policy/%.inc,$(POLICY_FILES))

$(BUILD)/policy/%.inc: policy/%.policy | $(BUILD)/policy
	@$(if $(Q),echo "  POLICY  $<")
	$(Q)awk '/^[[:space:]]*(#|$$)/ { next } NF < 3 { print FILENAME ": line " FNR ": expected NAME RULE REASON" > "/dev/stderr"; exit 1 } { printf "POLICY_RULE(%s, %s)\n", $$1, $$2 }' $< > $@.tmp && mv $@.tmp $@

$(BUILD)/policy:
	mkdir -p $@

$(BUILD)/obj/seccomp_policy.o: $(POLICY_INCLUDES)

$(BUILD)/export-policy: src/tools/export_policy.c $(BUILD)/obj/seccomp_policy.o
	$(CC) $(ALL_CFLAGS) -I$(BUILD)/policy $^ -o $@ -lseccomp

.PHONY: policy-export
policy-export: $(BUILD)/export-policy
	$(BUILD)/export-policy jail > policy/jail.pfc
	$(BUILD)/export-policy monitor > policy/monitor.pfc
