#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a C-only, libc-less cross gcc for ia64-linux-gnu, enough to compile
# the kernel's ia64 objects.  Debian 12 ships binutils-ia64-linux-gnu and
# the gcc 12 sources (gcc-12-source) but no ia64 compiler.
#
# Result: $O/toolchains/ia64/bin/ia64-linux-gnu-gcc (cached: a second run
# only checks it).  Log: $O/logs/ia64-toolchain.log.
# Slow (about an hour on 2 cores); runs under nice -n 19 with -j${IA64_JOBS:-2}.
. "$(dirname "$0")/lib.sh"

PREFIX=$O/toolchains/ia64
WORK=$O/toolchains/ia64-build
LOG=$LOGS/ia64-toolchain.log
TARGET=ia64-linux-gnu
JOBS=${IA64_JOBS:-2}	# lib.sh sets JOBS for kernel builds

# One build at a time per build directory; a second caller waits for it.
mkdir -p "$O/toolchains"
exec 7>"$O/toolchains/ia64.lock"
flock -n 7 || { info "ia64 toolchain: another build of it is running; waiting"; flock 7; }
if [ -x "$PREFIX/bin/$TARGET-gcc" ] && [ -f "$PREFIX/.done" ]; then
	info "ia64 gcc cached: $PREFIX/bin/$TARGET-gcc ($("$PREFIX/bin/$TARGET-gcc" -dumpversion))"
	exit 0
fi

need_pkgs binutils-ia64-linux-gnu gcc-12-source build-essential \
	libgmp-dev libmpfr-dev libmpc-dev xz-utils

tarball=$(find /usr/src/gcc-12 -maxdepth 1 -name "gcc-*.tar.*" 2>/dev/null | head -n1)
[ -n "$tarball" ] || die "no gcc tarball under /usr/src/gcc-12 (package gcc-12-source)"

# An interrupted build resumes where make stopped: the unpacked source
# and the configured object directory are kept until the end.
srcdir=$(find "$WORK" -maxdepth 1 -type d -name 'gcc-*' 2>/dev/null | head -n1)
if [ -n "$srcdir" ] && [ -f "$WORK/obj/config.status" ] && [ -f "$WORK/.unpacked" ]; then
	info "ia64 toolchain: resuming the build in $WORK/obj"
	resume=1
else
	resume=0
	rm -rf "$WORK"
	mkdir -p "$WORK/obj" "$PREFIX/bin"
	info "ia64 toolchain: unpacking $tarball"
	logrun "$LOG.unpack" tar -C "$WORK" -xf "$tarball" ||
		die "unpacking $tarball failed (see $LOG.unpack)"
	touch "$WORK/.unpacked"
	srcdir=$(find "$WORK" -maxdepth 1 -type d -name 'gcc-*' | head -n1)
	[ -n "$srcdir" ] || die "no gcc-* directory in $tarball (see $LOG.unpack)"
fi
mkdir -p "$PREFIX/bin"

# gcc looks for $TARGET-as/ld in $PREFIX/bin and $PREFIX/$TARGET/bin; point
# both at Debian's binutils.
mkdir -p "$PREFIX/$TARGET/bin"
for t in as ld ar nm objcopy objdump ranlib readelf strip; do
	ln -sf "/usr/bin/$TARGET-$t" "$PREFIX/bin/$TARGET-$t"
	ln -sf "/usr/bin/$TARGET-$t" "$PREFIX/$TARGET/bin/$t"
done

cd "$WORK/obj" || die "cd $WORK/obj"
[ $resume = 1 ] || info "ia64 toolchain: configure (log $LOG.configure)"
[ $resume = 1 ] || logrun "$LOG.configure" "$srcdir/configure" --target=$TARGET --prefix="$PREFIX" \
	--enable-languages=c --without-headers --with-newlib \
	--disable-shared --disable-threads --disable-multilib --disable-nls \
	--disable-libssp --disable-libgomp --disable-libquadmath \
	--disable-libatomic --disable-libitm --disable-libsanitizer \
	--disable-libvtv --disable-libstdcxx --disable-bootstrap \
	--with-as=/usr/bin/$TARGET-as --with-ld=/usr/bin/$TARGET-ld \
	MAKEINFO=true ||
	die "configuring gcc for $TARGET failed (see $LOG.configure)"

info "ia64 toolchain: make all-gcc -j$JOBS under nice -n 19 (log $LOG)"
[ $resume = 1 ] && LOG=$LOG.resumed
logrun "$LOG" nice -n 19 make -j"$JOBS" MAKEINFO=true all-gcc ||
	die "building gcc for $TARGET failed (see $LOG)"
# Debian's gcc-12-source tarball is the DFSG one, without the manuals;
# install-gcc would regenerate doc/tm.texi and stop at a hook without a
# place in it.  The stamp marks that documentation step as done.
touch gcc/s-tm-texi
logrun "$LOG.install" make MAKEINFO=true install-gcc ||
	die "installing gcc for $TARGET failed (see $LOG.install)"
# libgcc is not needed to compile kernel objects; try it, keep going without.
if logrun "$LOG.libgcc" nice -n 19 make -j"$JOBS" MAKEINFO=true all-target-libgcc &&
	logrun "$LOG.libgcc-install" make MAKEINFO=true install-target-libgcc; then
	info "ia64 toolchain: libgcc built"
else
	info "ia64 toolchain: libgcc did not build (not needed for objects; see $LOG.libgcc)"
fi
"$PREFIX/bin/$TARGET-gcc" --version | head -n1
touch "$PREFIX/.done"
rm -rf "$WORK"
info "ia64 toolchain ready: $PREFIX/bin/$TARGET-gcc"
