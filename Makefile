# prong: build, test, fuzz, bench, install.
#
#   make            ./prong (hardened, static PIE) and build/parse-request
#   sudo make run   install missing packages, build, serve www/ on 127.0.0.1:8080
#   sudo make test  install missing packages, build, run every test (.ci/run calls it)
#
# Other targets live in mk/*.mk, one file per concern (tests, fuzzing, benches,
# assurance, install); `make help` lists them.

CC ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif

BUILD := build

# House style (docs/../shared design): C17, warnings are errors, hardening on.
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wconversion -Wformat=2 -Wformat-security \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef
HARDENING := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
             -fcf-protection -fPIE -fno-strict-overflow -fno-delete-null-pointer-checks
# Headers live in include/ROLE/, named by role in #include lines ("jail/sandbox.h").
INCLUDE_FLAGS := -Iinclude
# A few headers are private to one folder (src/ROLE/*.h, included by name from beside).
HEADERS := $(wildcard include/*.h include/*/*.h src/*/*.h)
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE $(INCLUDE_FLAGS) -I$(BUILD)/policy $(WARNINGS)
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS_BASE) $(HARDENING) $(CFLAGS)
# Static PIE: fork of a statically linked process is ~1.6x cheaper here
# (../shared/measurements.md); full RELRO and a non-executable stack. glibc
# warns that getpwnam in a static binary loads NSS modules at run time: prong
# resolves the run user before any drop, on the machine it was built for, so
# the link step hides that one warning (README, "Building").
# src/child_writes.ld (added to the default script) gives the statics every
# connection process writes one page of their own (include/process/prefault.h).
CHILD_WRITES_LDFLAGS := -Wl,-T,src/child_writes.ld
LDFLAGS_HARDENING := -static-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack $(CHILD_WRITES_LDFLAGS)
LDLIBS := -lseccomp -lcap-ng

# The parser: pure, shared by the server, the tools, the tests and the fuzzers;
# one module in three files (src/http/http_parser_rules.h says which holds what).
PARSER_SRC := $(sort $(wildcard src/http/http_parser*.c))

# The server's modules, in role folders (one .c and one .h each; src/main.c holds the start-up order).
SERVER_SRC := $(filter-out $(PARSER_SRC),$(wildcard src/*.c src/http/*.c src/static/*.c src/jail/*.c src/process/*.c))

PARSER_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(PARSER_SRC))

# The seccomp allowlists, turned into C tables (mk/policy.mk); defined here so
# every fragment's rules see them, whatever order the fragments are read in.
POLICY_FILES := $(wildcard policy/*.policy)
POLICY_INCLUDES := $(patsubst policy/%.policy,$(BUILD)/policy/%.inc,$(POLICY_FILES))
SERVER_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SERVER_SRC))

.PHONY: all clean help
all: prong $(BUILD)/parse-request

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

prong: $(SERVER_OBJ) $(PARSER_OBJ) src/child_writes.ld
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARDENING) $(filter %.o,$^) -o $@ $(LDLIBS) 2>$(BUILD)/link.log; status=$$?; \
	  grep -v -e 'statically linked applications requires at runtime' -e ': in function' $(BUILD)/link.log >&2; \
	  exit $$status

$(BUILD)/parse-request: src/tools/parse_request.c $(PARSER_OBJ) include/http/http_parser.h
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARDENING) src/tools/parse_request.c $(PARSER_OBJ) -o $@

clean:
	rm -rf $(BUILD) prong

help:
	@grep -hE '^#   make' Makefile mk/*.mk | sed 's/^#   //'

include $(sort $(wildcard mk/*.mk))

# `make test`: packages first (a fresh machine has none of them), then every
# suite that a fragment in mk/ appended to TEST_TARGETS, in order.
.PHONY: test test-all
test: deps
	@$(MAKE) --no-print-directory test-all
test-all: all $(TEST_TARGETS)
	@echo "make test: every suite passed ($(TEST_TARGETS))"
