#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# base.sh: unpack Debian's linux-source-X.Y into $O/linux as a git tree with
# one commit tagged "base", and record what it is in $O/base.info.
#
# BASE=VERSION picks a version from the archive; its major.minor picks the
# package and the series line (6.1.192-3: linux-source-6.1, series;
# 6.12.117-1~deb12u1: linux-source-6.12, series-6.12).  The default is the
# installed (or installable) linux-source-6.1.  The tree is reused when the
# recorded version matches, and replaced when it is another base.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs git xz-utils make gcc

# No BASE: the default base is linux-source-6.1, whatever was recorded.
[ -n "${BASE:-}" ] || SERIES_LINE=6.1
pkg=linux-source-$SERIES_LINE
if [ -z "${BASE:-}" ]; then
	need_pkgs "$pkg"
	BASE=$(dpkg-query -W -f='${Version}' "$pkg")
	tarball=/usr/src/$pkg.tar.xz
else
	installed=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
	if [ "$installed" = "$BASE" ]; then
		tarball=/usr/src/$pkg.tar.xz
	else
		# Fetch the exact version without installing it, so several
		# versions can sit side by side (make matrix).
		debdir=$O/debs/$(vdir "$BASE")
		mkdir -p "$debdir"
		if [ ! -f "$debdir/usr/src/$pkg.tar.xz" ]; then
			[ -e "$O/.apt-updated" ] || { logrun "$LOGS/apt-update.log" apt-get update && touch "$O/.apt-updated"; } ||
				die "apt-get update failed (see $LOGS/apt-update.log)"
			dlog=$LOGS/apt-download-$(vdir "$BASE").log
			(cd "$debdir" && logrun "$dlog" apt-get download "$pkg=$BASE") ||
				die "cannot download $pkg=$BASE; versions: $(apt-cache madison "$pkg" | awk '{print $3}' | xargs) (see $dlog)"
			run dpkg-deb -x "$debdir/${pkg}_"*.deb "$debdir" ||
				die "cannot unpack $debdir/${pkg}_*.deb"
			# The tarball is all we keep; the .deb doubles the space.
			rm -f "$debdir/${pkg}_"*.deb
		fi
		tarball=$debdir/usr/src/$pkg.tar.xz
	fi
fi
[ -f "$tarball" ] || die "$tarball missing after installing $pkg=$BASE"

if [ -f "$BASEINFO" ] && [ -d "$SRC/.git" ] &&
   [ "$(sed -n 's/^debian_version=//p' "$BASEINFO")" = "$BASE" ] &&
   git -C "$SRC" rev-parse -q --verify refs/tags/base >/dev/null; then
	info "base: reusing $SRC ($pkg $BASE)"
	exit 0
fi

info "base: unpacking $tarball ($BASE) into $SRC"
rm -rf "$SRC" "$O/linux-base" "$O/kbuild" "$O/kbuild-base" "$O/kbuild-debug" "$O/kbuild-base-debug" \
	"$O"/gen-selftests* "$O/.applied"
mkdir -p "$SRC"
logrun "$LOGS/base-unpack.log" tar -xJf "$tarball" -C "$SRC" --strip-components=1 ||
	die "unpacking $tarball failed (see $LOGS/base-unpack.log)"

sha=$(sha256sum "$tarball" | awk '{print $1}')
kver=$(make -s -C "$SRC" kernelversion)
[ -n "$kver" ] || die "make kernelversion failed in $SRC"

cd "$SRC" || exit 1
run git init -q -b master .
git config user.name >/dev/null || git config user.name "series builder"
git config user.email >/dev/null || git config user.email "builder@localhost"
git config core.abbrev 12
# No background "git gc --auto": it would inherit the build lock (fd 9)
# and hold up the next run in this build directory.
git config gc.auto 0
logrun "$LOGS/base-git.log" git add -A -f . || die "git add failed (see $LOGS/base-git.log)"
run git commit -q -m "Linux $kver (Debian $pkg $BASE)" \
	-m "Unpacked from $tarball, sha256 $sha." || die "git commit of the base failed"
run git tag -f base >/dev/null

cat >"$BASEINFO" <<EOF
debian_version=$BASE
package=$pkg
series_line=$SERIES_LINE
kernelversion=$kver
upstream_tag=v$kver
tarball_sha256=$sha
base_commit=$(git rev-parse HEAD)
EOF
info "base: $pkg $BASE, kernel $kver, commit $(git rev-parse --short HEAD)"
