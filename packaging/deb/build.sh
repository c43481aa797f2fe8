#!/bin/sh
# build.sh: turn what `make install DESTDIR=STAGE PREFIX=/usr` staged into a .deb.
#
# Usage: packaging/deb/build.sh STAGE OUTPUT.deb VERSION
# Adds what a Debian package has beyond the installed files: the binary
# stripped, prong(8) gzipped, /usr/share/doc/prong/{copyright,changelog.gz},
# the lintian overrides, and DEBIAN/ (control with Installed-Size and
# Built-Using filled in, conffiles, md5sums, the maintainer scripts), then
# builds it with dpkg-deb, every file owned by root. The version is prong's
# (include/config.h); the changelog's top entry must carry the same one, and
# names the maintainer and the build time (SOURCE_DATE_EPOCH), so rebuilding
# one tree in one directory gives the same bytes (the binary's build ID
# depends on the directory it was compiled in, through its debug information).
# Must not: touch anything outside STAGE and OUTPUT, or build a package whose
# version differs from the binary's.
set -eu

stage=$1
output=$2
version=$3
here=$(dirname "$0")

fail() {
    echo "make deb: $*" >&2
    exit 1
}

changelog_version=$(dpkg-parsechangelog -l "$here/changelog" -S Version)
[ "$changelog_version" = "$version" ] ||
    fail "packaging/deb/changelog's top entry is $changelog_version, prong is $version: add an entry"
maintainer=$(dpkg-parsechangelog -l "$here/changelog" -S Maintainer)
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$here/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH

# The binary links these statically (Makefile: -static-pie, -lseccomp -lcap-ng).
built_using=$(dpkg-query -W -f='${source:Package} (= ${source:Version}), ' libc6-dev libseccomp-dev libcap-ng-dev) ||
    fail "cannot name the static libraries' source packages (make deps)"
built_using=${built_using%, }

binary="$stage/usr/sbin/prong"
[ -x "$binary" ] || fail "$binary is missing: make install did not stage it"
# As dh_strip does: no symbols or debug sections in the package.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$binary"
gzip -9n "$stage/usr/share/man/man8/prong.8"

install -d -m 0755 "$stage/usr/share/doc/prong" "$stage/usr/share/lintian/overrides" "$stage/DEBIAN"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/prong/copyright"
gzip -9nc "$here/changelog" >"$stage/usr/share/doc/prong/changelog.gz"
chmod 0644 "$stage/usr/share/doc/prong/changelog.gz"
install -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/prong"

find "$stage" -type d -exec chmod 0755 '{}' +
installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
arch=$(dpkg --print-architecture)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@BUILT_USING@|$built_using|" \
    "$here/control.in" >"$stage/DEBIAN/control"
! grep -q '@[A-Z_]*@' "$stage/DEBIAN/control" || fail "control.in has a placeholder build.sh does not fill"
(cd "$stage" && find etc -type f -printf '/%p\n' | LC_ALL=C sort) >"$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done

# Every file dated by the changelog entry: a rebuild gives the same .deb.
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" '{}' +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$output" >/dev/null
echo "make deb: $output"
