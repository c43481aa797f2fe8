# deps.mk: install the Debian packages the build, the tests and the benches need.
#
#   make deps       install whatever is missing (apt-get; needs root), then continue
#
# The server itself needs only libseccomp and libcap-ng; everything else here is
# for tests, fuzzing, analysis and benches. Must not: install anything outside
# Debian's archive, or change the system beyond installing packages.

DEB_PACKAGES := gcc make libc6-dev libseccomp-dev libcap-ng-dev cppcheck clang-tidy clang-format gcovr \
                clang llvm libclang-rt-14-dev afl++ \
                python3 curl wrk strace procps iproute2 util-linux \
                libhttp-parser-dev chromium

.PHONY: deps
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make deps: missing packages: $$missing (run as root: sudo make deps)" >&2; exit 1; fi; \
	echo "make deps: installing $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null

# The deployment suites run a real haproxy in front of prong (tests/live/test_deploy_haproxy.py).
DEB_PACKAGES += haproxy

# The package and its test (mk/package.mk): dpkg-deb and dpkg-parsechangelog
# build it, binutils strips the binary, lintian checks it, systemd supplies
# systemd-sysusers, systemd-tmpfiles and systemd-analyze, logrotate runs the
# shipped recipe, man-db lets systemd-analyze verify find prong(8), file and
# readelf (binutils) show the binary needs no library, base-passwd seeds the
# scratch root's users, mount (with util-linux's unshare, setpriv and runuser)
# gives the test its private mount namespace.
DEB_PACKAGES += dpkg dpkg-dev binutils lintian systemd logrotate man-db file base-passwd mount
