# package.mk: the Debian package, and the test that installs it in a scratch root.
#
#   make deb            build/prong_VERSION_ARCH.deb with dpkg-deb (no debhelper): make install's files + DEBIAN/
#   make test-package   the .deb installed in a scratch root (dpkg --root) and checked, lintian; in make test
#
# What test-package checks: files, owners, modes, users, the log directory,
# --check, logrotate, purge, lintian, and systemd-analyze verify of the units
# make install stages.
#
# The package is what `make install PREFIX=/usr` stages (mk/install.mk, one
# list of files for both), finished by packaging/deb/build.sh. The test
# (tests/package/check_package.py) never changes the machine it runs on: dpkg,
# the maintainer scripts, systemd-sysusers and systemd-tmpfiles all work below
# the scratch root (DPKG_ROOT), and logrotate runs in a private mount namespace.
# Must not: install the package on the build machine.

DEB_VERSION := $(shell sed -n 's/^\#define PRONG_VERSION "\(.*\)"$$/\1/p' include/config.h)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE := $(BUILD)/prong_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_STAGE := $(BUILD)/deb/root

# Rebuilt every time (a second or two): its inputs span the binary, the
# documents, policy/, packaging/ and www/.
.PHONY: deb test-package
deb: prong
	@test -n "$(DEB_VERSION)" || { echo "make deb: no PRONG_VERSION in include/config.h" >&2; exit 1; }
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_STAGE)) PREFIX=/usr >/dev/null
	sh packaging/deb/build.sh $(DEB_STAGE) $(DEB_FILE) $(DEB_VERSION)

# A private mount namespace: the test's bind mounts never reach the machine.
test-package: deb
	unshare --mount --propagation private python3 tests/package/check_package.py $(DEB_FILE)

TEST_TARGETS += test-package
