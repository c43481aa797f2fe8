# install.mk: install the release binary and what a system needs to run it.
#
#   make install    PREFIX (default /usr/local) and DESTDIR honoured; never installs a test or lab build
#   make uninstall  removes exactly what make install installs (the users and /var/log/prong stay)
#
# What goes where (PREFIX=/usr shown; mk/package.mk builds the .deb from this):
#   /usr/sbin/prong                          the release binary (./prong, unchanged)
#   /usr/share/man/man8/prong.8              prong(8)
#   /usr/lib/systemd/system/prong.{service,socket}  ExecStart= rewritten to the installed binary
#   /usr/lib/sysusers.d/prong.conf           the users prong and prong-log (packaging/prong.sysusers)
#   /usr/lib/tmpfiles.d/prong.conf           /var/log/prong, prong-log:adm 2750 (packaging/prong.tmpfiles)
#   /usr/share/prong/www/                    the bundled site (www/), a known-good root for --check/--attest
#   /etc/logrotate.d/prong                   the one logrotate recipe (packaging/prong.logrotate)
# The logrotate file goes to SYSCONFDIR, /etc whatever PREFIX is: logrotate
# reads /etc/logrotate.d and nothing under /usr/local, so $(PREFIX)/etc would
# be a file nothing reads. systemd reads /usr/local/lib/{sysusers.d,tmpfiles.d,
# systemd/system} as well as /usr/lib/..., so those follow PREFIX.
# Must not: create users or directories outside DESTDIR (postinst or the
# administrator applies the sysusers and tmpfiles entries), or install a
# binary other than ./prong.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
DATADIR := $(PREFIX)/share/prong
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
SYSUSERS_DIR ?= $(PREFIX)/lib/sysusers.d
TMPFILES_DIR ?= $(PREFIX)/lib/tmpfiles.d
LOGROTATE_DIR := $(SYSCONFDIR)/logrotate.d

# The bundled site is installed file by file, 0644 files in 0755 directories
# owned by root: readable by the run user, writable by root only.
.PHONY: install uninstall
install: prong
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	           $(DESTDIR)$(SYSUSERS_DIR) $(DESTDIR)$(TMPFILES_DIR) $(DESTDIR)$(LOGROTATE_DIR) \
	           $(DESTDIR)$(DATADIR)/www
	install -m 0755 prong $(DESTDIR)$(SBINDIR)/prong
	install -m 0644 docs/prong.8 $(DESTDIR)$(MANDIR)/man8/prong.8
	sed 's|/usr/local/sbin/prong|$(SBINDIR)/prong|' policy/prong.service > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service
	install -m 0644 policy/prong.socket $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.socket
	install -m 0644 packaging/prong.sysusers $(DESTDIR)$(SYSUSERS_DIR)/prong.conf
	install -m 0644 packaging/prong.tmpfiles $(DESTDIR)$(TMPFILES_DIR)/prong.conf
	install -m 0644 packaging/prong.logrotate $(DESTDIR)$(LOGROTATE_DIR)/prong
	cd www && find . -type d -exec install -d -m 0755 '$(abspath $(DESTDIR))$(DATADIR)/www/{}' ';' \
	  && find . -type f -exec install -m 0644 '{}' '$(abspath $(DESTDIR))$(DATADIR)/www/{}' ';'

# The site's files are the ones www/ holds; its directories go when empty
# (a file the administrator added keeps them). Shared directories such as
# /etc/logrotate.d stay.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/prong $(DESTDIR)$(MANDIR)/man8/prong.8 \
	      $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.socket \
	      $(DESTDIR)$(SYSUSERS_DIR)/prong.conf $(DESTDIR)$(TMPFILES_DIR)/prong.conf \
	      $(DESTDIR)$(LOGROTATE_DIR)/prong
	if [ -d '$(DESTDIR)$(DATADIR)/www' ]; then \
	  cd www && find . -type f -exec rm -f '$(abspath $(DESTDIR))$(DATADIR)/www/{}' ';' \
	  && find . -mindepth 1 -depth -type d -exec rmdir --ignore-fail-on-non-empty '$(abspath $(DESTDIR))$(DATADIR)/www/{}' ';' \
	  && rmdir --ignore-fail-on-non-empty '$(abspath $(DESTDIR))$(DATADIR)/www' '$(abspath $(DESTDIR))$(DATADIR)'; fi
