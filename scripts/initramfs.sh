#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# initramfs.sh: busybox-static + the hugetlb selftests, statically linked
# against the UAPI headers of the kernel under test, installed the kselftest
# way (run_kselftest.sh + kselftest-list.txt) and run by scripts/guest-init.
#
# The new suite (tools/testing/selftests/hugetlb) always comes from the
# patched tree, so SERIES=none runs the very same tests on the base kernel.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs busybox-static cpio gzip bash psmisc procps rsync perl-base coreutils
[ -d "$KTREE" ] || die "kernel tree $KTREE missing; run 'make apply' first"
[ -f "$KOUT/.config" ] || die "$KOUT/.config missing; run 'make config' first"

STAGE=$O/initramfs-$VARIANT
ROOT=$STAGE/root
KSFT=$ROOT/kselftest
HDR=$KOUT/usr/include
rm -rf "$STAGE"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,etc} "$KSFT"
# The kernel opens /dev/console for init before devtmpfs is mounted.
[ "$(id -u)" = 0 ] && mknod -m 600 "$ROOT/dev/console" c 5 1

info "initramfs: exporting UAPI headers of $VARIANT kernel"
logrun "$LOGS/headers-$VARIANT.log" make -C "$KTREE" O="$KOUT" headers_install ||
	die "headers_install failed (see $LOGS/headers-$VARIANT.log)"

# The selftests' own Makefiles append to CFLAGS/LDFLAGS, so pass ours
# through the environment rather than the command line.
export CFLAGS="-static -O2 -isystem $HDR"
export LDFLAGS="-static"
export KHDR_INCLUDES="-isystem $HDR"

suite_tree=$SRC
if [ -d "$suite_tree/tools/testing/selftests/hugetlb" ]; then
	info "initramfs: building tools/testing/selftests/hugetlb from $suite_tree"
	logrun "$LOGS/selftests-hugetlb-$VARIANT.log" \
		make -C "$suite_tree/tools/testing/selftests" TARGETS=hugetlb \
		O="$KOUT" INSTALL_PATH="$KSFT" install ||
		die "building the hugetlb selftests failed: $(grep -m1 -E 'error:|Error ' "$LOGS/selftests-hugetlb-$VARIANT.log") (see $LOGS/selftests-hugetlb-$VARIANT.log)"
else
	info "initramfs: no tools/testing/selftests/hugetlb in $suite_tree (empty series?): base tests only"
	run cp -r "$KTREE/tools/testing/selftests/kselftest" "$KTREE/tools/testing/selftests/run_kselftest.sh" "$KSFT/"
	: >"$KSFT/kselftest-list.txt"
fi

# The base tree's own hugetlb tests: selftests/vm on 6.1, selftests/mm
# from 6.2 on (also the collection's name in the TAP: vm or mm).  Built one
# by one: the whole directory needs libraries a static busybox guest lacks.
# On the mm line the programs link vm_util.c and thp_settings.c, as the
# directory's Makefile does for all its programs, and include tools/include.
# Not built: the hugetlb programs 6.12 has and 6.1 does not, so both lines
# run the same set -- hugetlb_dio, hugetlb_fault_after_madv and
# hugetlb_madv_vs_map (they would build; not yet part of this suite),
# hugepage-vmemmap (reads /proc/kpageflags: PROC_PAGE_MONITOR, not in this
# config), hugetlb-read-hwpoison and hugetlb-soft-offline (MADV_HWPOISON,
# MADV_SOFT_OFFLINE: MEMORY_FAILURE, not in this config).
if [ -d "$KTREE/tools/testing/selftests/mm" ]; then
	VMCOL=mm
	vmhelpers=(vm_util.c thp_settings.c)
	vmincs=(-I "$KTREE/tools/include")
else
	VMCOL=vm
	vmhelpers=()
	vmincs=()
fi
VMSRC=$KTREE/tools/testing/selftests/$VMCOL
VMLOG=$LOGS/selftests-$VMCOL-$VARIANT.log
: >"$VMLOG"
mkdir -p "$KSFT/$VMCOL"
for t in map_hugetlb hugepage-mmap hugepage-shm hugepage-mremap hugetlb-madvise write_to_hugetlbfs; do
	srcs=("$VMSRC/$t.c" "${vmhelpers[@]/#/$VMSRC/}")
	echo "+ gcc $CFLAGS -Wall -I $KTREE/tools/testing/selftests ${vmincs[*]} ${srcs[*]} -o $VMCOL/$t" >>"$VMLOG"
	# shellcheck disable=SC2086 # CFLAGS is a list of options
	gcc $CFLAGS -Wall -I "$KTREE/tools/testing/selftests" "${vmincs[@]}" "${srcs[@]}" \
		-o "$KSFT/$VMCOL/$t" >>"$VMLOG" 2>&1 ||
		die "building $VMCOL/$t failed (see $VMLOG)"
done
cp "$VMSRC"/charge_reserved_hugetlb.sh "$VMSRC"/hugetlb_reparenting_test.sh \
	"$VMSRC"/write_hugetlb_memory.sh "$KSFT/$VMCOL/"
chmod +x "$KSFT/$VMCOL"/*.sh
# The cgroup scripts run dozens of sub-cases; under TCG that is minutes.
echo "timeout=300" >"$KSFT/$VMCOL/settings"
# These two start background writers; when the runner's timeout ends the
# script, the writers would keep the runner's output pipe open and hang the
# whole run.  Run each in its own session and end the session with it.
for t in charge_reserved_hugetlb.sh hugetlb_reparenting_test.sh; do
	mv "$KSFT/$VMCOL/$t" "$KSFT/$VMCOL/${t%.sh}.real.sh"
	cat >"$KSFT/$VMCOL/$t" <<EOF
#!/bin/sh
setsid ./${t%.sh}.real.sh "\$@" &
pid=\$!
trap 'kill -KILL -\$pid 2>/dev/null; exit 124' TERM INT
wait \$pid
rc=\$?
kill -KILL -\$pid 2>/dev/null
exit \$rc
EOF
	chmod +x "$KSFT/$VMCOL/$t"
done
for t in map_hugetlb hugepage-mmap hugepage-shm hugepage-mremap hugetlb-madvise \
	 charge_reserved_hugetlb.sh hugetlb_reparenting_test.sh; do
	echo "$VMCOL:$t" >>"$KSFT/kselftest-list.txt"
done
info "initramfs: $(wc -l <"$KSFT/kselftest-list.txt") tests in kselftest-list.txt"

# busybox provides the shell and the tools.
run cp /bin/busybox "$ROOT/bin/busybox"
for app in $("$ROOT/bin/busybox" --list-full); do
	[ -e "$ROOT/$app" ] || ln -s /bin/busybox "$ROOT/$app"
done
# The vm/mm cgroup scripts need real bash, psmisc's killall --wait and pgrep:
# copy them and the libraries they link against.
# coreutils' timeout, not busybox's: the runner tells a timeout by exit
# status 124, which busybox's timeout never returns (it exits 143).
# perl, for the runner's kselftest/prefix.pl: without it the runner prefixes
# with sed, which holds a program's output until it exits, so a crash would
# lose the results of the cases that finished.
for bin in /bin/bash /usr/bin/killall /usr/bin/pgrep /usr/bin/timeout /usr/bin/perl; do
	rm -f "$ROOT$bin"
	cp "$bin" "$ROOT$bin"
	for lib in $(ldd "$bin" | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done
done

perllib=$(perl -e 'print((grep { m{/perl-base$} } @INC)[0])')
[ -d "$perllib" ] || die "perl-base's module directory not found (perl -V)"
mkdir -p "$ROOT$(dirname "$perllib")"
run cp -r "$perllib" "$ROOT$perllib"
install -m 0755 "$TOP/scripts/guest-init" "$ROOT/init"
if [ -x "$KSFT/hugetlb/hugetlb_fault_bench" ]; then
	cp "$KSFT/hugetlb/hugetlb_fault_bench" "$ROOT/bin/"
fi
# Benchmarks that are not selftests (scripts/truncate-bench.sh).
run gcc -O2 -Wall -static "$TOP/bench/truncate_bench.c" -o "$ROOT/bin/truncate_bench" ||
	die "building bench/truncate_bench.c failed"

info "initramfs: packing"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$STAGE/initramfs.cpio.gz" ||
	die "packing the initramfs failed"
info "initramfs: $STAGE/initramfs.cpio.gz ($(du -h "$STAGE/initramfs.cpio.gz" | cut -f1))"
