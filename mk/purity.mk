# purity.mk: the modules that make no system call stay that way.
#
#   make purity-check     nm -u on every system-call-free module, against tests/purity/pure_symbols.txt; part of make test
#
# The system-call-free modules (docs/architecture.md, "The folders"): all of
# src/http/, and by name the formatting and table modules elsewhere
# (PURITY_MODULES). Their objects, as built for ./prong, may call each other
# and the C library functions tests/purity/pure_symbols.txt lists (user space
# only: no read, write, open, malloc, syscall...); tests/purity/check_pure.py
# names any other call and fails. Then the positive control:
# tests/purity/control_impure.c (it calls read, and time outside http_date.o)
# must be refused with both names and nothing else, or the check is broken.
# Must not: write outside $(BUILD)/purity/.

PURITY_MODULES := src/static/byte_range.c src/static/conditional.c src/static/error_pages.c \
                  src/static/header_rules.c src/static/listing.c src/static/negotiation.c \
                  src/static/redirect.c src/process/access_log.c src/process/access_log_json.c src/process/metrics.c src/process/keyed_hash.c \
                  src/process/pid_index.c src/process/log_record.c src/process/listener_address.c \
                  src/jail/posix_acl.c src/flag_table.c src/limit_table.c
PURITY_SRC := $(sort $(wildcard src/http/*.c)) $(PURITY_MODULES)
PURITY_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(PURITY_SRC))
PURITY_ALLOW := tests/purity/pure_symbols.txt
PURITY_CONTROL := $(BUILD)/purity/control_impure.o

$(PURITY_CONTROL): tests/purity/control_impure.c mk/purity.mk
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

.PHONY: purity-check
TEST_TARGETS += purity-check
purity-check: $(PURITY_OBJ) $(PURITY_CONTROL) $(PURITY_ALLOW) tests/purity/check_pure.py
	python3 tests/purity/check_pure.py $(PURITY_ALLOW) $(PURITY_OBJ)
	@python3 tests/purity/check_pure.py $(PURITY_ALLOW) $(PURITY_CONTROL) > $(BUILD)/purity/control.out; \
	  status=$$?; sed 's/^/  control: /' $(BUILD)/purity/control.out; \
	  if [ $$status -ne 1 ] || [ "$$(grep -c ': calls ' $(BUILD)/purity/control.out)" -ne 2 ] \
	     || ! grep -q 'control_impure.o: calls read,' $(BUILD)/purity/control.out \
	     || ! grep -q 'control_impure.o: calls time,' $(BUILD)/purity/control.out; then \
	    echo "purity: the positive control was not refused for read and time alone (status $$status): the check is broken" >&2; exit 1; \
	  fi; echo "purity: the positive control (read, time) was refused, as it must be"
