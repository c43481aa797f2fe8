# escape.mk: the test-only build with the escape hook, and the lab build.
#
#   make build/prong-test   ./prong plus the escape hook (tests only; never installed)
#   make lab                build/prong-lab: the test build plus --lab-without LAYER

TEST_HOOK_SRC := tests/escape/escape_hook.c tests/escape/escape_seams.c
TEST_HOOK_HEADERS := tests/escape/escape_hook.h tests/escape/escape_seams.h
TEST_OBJ := $(patsubst src/%.c,$(BUILD)/test-obj/%.o,$(SERVER_SRC) $(PARSER_SRC)) \
            $(BUILD)/test-obj/escape_hook.o $(BUILD)/test-obj/escape_seams.o
LAB_OBJ := $(patsubst src/%.c,$(BUILD)/lab-obj/%.o,$(SERVER_SRC) $(PARSER_SRC)) \
           $(BUILD)/lab-obj/escape_hook.o $(BUILD)/lab-obj/escape_seams.o

$(BUILD)/test-obj/%.o: src/%.c $(HEADERS) $(POLICY_INCLUDES) $(TEST_HOOK_HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (test)")
	$(Q)$(CC) $(ALL_CFLAGS) -DPRONG_TEST_HOOKS -Itests/escape -c $< -o $@
$(BUILD)/test-obj/escape_%.o: tests/escape/escape_%.c $(TEST_HOOK_HEADERS) $(HEADERS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DPRONG_TEST_HOOKS -Itests/escape -c $< -o $@
$(BUILD)/lab-obj/%.o: src/%.c $(HEADERS) $(POLICY_INCLUDES) $(TEST_HOOK_HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (lab)")
	$(Q)$(CC) $(ALL_CFLAGS) -DPRONG_TEST_HOOKS -DPRONG_LAB -Itests/escape -c $< -o $@
$(BUILD)/lab-obj/escape_%.o: tests/escape/escape_%.c $(TEST_HOOK_HEADERS) $(HEADERS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DPRONG_TEST_HOOKS -DPRONG_LAB -Itests/escape -c $< -o $@

$(BUILD)/prong-test: $(TEST_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARDENING) $^ -o $@ $(LDLIBS) 2>$(BUILD)/link-test.log; status=$$?; \
	  grep -v -e 'statically linked applications requires at runtime' -e ': in function' $(BUILD)/link-test.log >&2; exit $$status
$(BUILD)/prong-lab: $(LAB_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARDENING) $^ -o $@ $(LDLIBS) 2>$(BUILD)/link-lab.log; status=$$?; \
	  grep -v -e 'statically linked applications requires at runtime' -e ': in function' $(BUILD)/link-lab.log >&2; exit $$status

.PHONY: lab
lab: $(BUILD)/prong-lab
