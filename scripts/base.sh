#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# base.sh: unpack Debian's linux-source-6.1 into $O/linux as a git tree with
# one commit tagged "base", and record what it is in $O/base.info.
#
# BASE=VERSION picks a linux-source-6.1 version from the archive; the default
# is the installed (or installable) candidate.  The tree is reused when the
# recorded version matches.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs git xz-utils make gcc

pkg=linux-source-6.1
if [ -z "${BASE:-}" ]; then
	need_pkgs "$pkg"
	BASE=$(dpkg-query -W -f='${Version}' "$pkg")
	tarball=/usr/src/linux-source-6.1.tar.xz
else
	installed=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
	if [ "$installed" = "$BASE" ]; then
		tarball=/usr/src/linux-source-6.1.tar.xz
	else
		# Fetch the exact version without installing it, so several
		# versions can sit side by side (make matrix).
		debdir=$O/debs/$BASE
		mkdir -p "$debdir"
		if [ ! -f "$debdir/usr/src/linux-source-6.1.tar.xz" ]; then
			[ -e "$O/.apt-updated" ] || { logrun "$LOGS/apt-update.log" apt-get update && touch "$O/.apt-updated"; } ||
				die "apt-get update failed (see $LOGS/apt-update.log)"
			(cd "$debdir" && logrun "$LOGS/apt-download-$BASE.log" apt-get download "$pkg=$BASE") ||
				die "cannot download $pkg=$BASE; versions: $(apt-cache madison $pkg | awk '{print $3}' | xargs) (see $LOGS/apt-download-$BASE.log)"
			run dpkg-deb -x "$debdir"/${pkg}_*.deb "$debdir" ||
				die "cannot unpack $debdir/${pkg}_*.deb"
		fi
		tarball=$debdir/usr/src/linux-source-6.1.tar.xz
	fi
fi
[ -f "$tarball" ] || die "$tarball missing after installing $pkg=$BASE"

if [ -f "$BASEINFO" ] && [ -d "$SRC/.git" ] &&
   [ "$(sed -n 's/^debian_version=//p' "$BASEINFO")" = "$BASE" ] &&
   git -C "$SRC" rev-parse -q --verify refs/tags/base >/dev/null; then
	info "base: reusing $SRC (linux-source-6.1 $BASE)"
	exit 0
fi

info "base: unpacking $tarball ($BASE) into $SRC"
rm -rf "$SRC" "$O/linux-base" "$O/kbuild" "$O/kbuild-base"
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
logrun "$LOGS/base-git.log" git add -A -f . || die "git add failed (see $LOGS/base-git.log)"
run git commit -q -m "Linux $kver (Debian linux-source-6.1 $BASE)" \
	-m "Unpacked from $tarball, sha256 $sha." || die "git commit of the base failed"
run git tag -f base >/dev/null

cat >"$BASEINFO" <<EOF
debian_version=$BASE
kernelversion=$kver
upstream_tag=v$kver
tarball_sha256=$sha
base_commit=$(git rev-parse HEAD)
EOF
info "base: linux-source-6.1 $BASE, kernel $kver, commit $(git rev-parse --short HEAD)"
