# run.mk: serve the bundled site.
#
#   sudo make run   install missing packages, build, serve www/ on 127.0.0.1:8080 (^C stops)

RUN_LISTEN ?= 127.0.0.1:8080

.PHONY: run
run: deps
	@$(MAKE) --no-print-directory all
	./prong --root www --listen $(RUN_LISTEN)
