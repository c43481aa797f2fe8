# run.mk: serve the bundled site.
#
#   sudo make run   install missing packages, build, serve www/ on 127.0.0.1:8080 (^C stops)
#   make run        the same as an ordinary user: serves a read-only copy of www/ (RUN_LISTEN=ADDR:PORT)
#
# As root, prong serves www/ itself and drops to `nobody`. An ordinary user
# cannot serve www/ in place when it owns it (prong refuses a root its run user
# could write), so this copies www/ to a fresh directory under $TMPDIR (or
# /tmp), makes the copy read-only (directories 0555, files 0444), serves that
# (prong jails itself inside a user namespace of its own), and removes the copy
# when prong exits, on ^C (SIGINT) and on SIGTERM. Must not: change www/, or
# leave the copy behind.

RUN_LISTEN ?= 127.0.0.1:8080

.PHONY: run
run: deps
	@$(MAKE) --no-print-directory all
	@if [ "$$(id -u)" = 0 ]; then exec ./prong --root www --listen $(RUN_LISTEN); fi; \
	copy=$$(mktemp -d "$${TMPDIR:-/tmp}/prong-www.XXXXXX") || exit 2; \
	trap 'chmod -R u+w "$$copy" 2>/dev/null; rm -rf "$$copy"' EXIT; \
	trap 'exit 130' INT; \
	trap 'exit 143' TERM; \
	cp -R www/. "$$copy/" && find "$$copy" -type d -exec chmod 0555 {} + && \
	    find "$$copy" -type f -exec chmod 0444 {} + || exit 2; \
	echo "make run: not root: serving a read-only copy of www/ ($$copy), removed on exit"; \
	./prong --root "$$copy" --listen $(RUN_LISTEN); status=$$?; \
	exit $$status
