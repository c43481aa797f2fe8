# install.mk: install the release binary, its manual page and the systemd units.
#
#   make install    PREFIX (default /usr/local) and DESTDIR honoured; never installs a test or lab build
#   make uninstall

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

.PHONY: install uninstall
install: prong
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 0755 prong $(DESTDIR)$(SBINDIR)/prong
	install -m 0644 docs/prong.8 $(DESTDIR)$(MANDIR)/man8/prong.8
	sed 's|/usr/local/sbin/prong|$(SBINDIR)/prong|' policy/prong.service > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service
	install -m 0644 policy/prong.socket $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.socket

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/prong $(DESTDIR)$(MANDIR)/man8/prong.8 \
	      $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/prong.socket
