#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-mmap-lock.sh: check that a kernel tree keeps mm->mmap_lock behind
# the mmap locking API (include/linux/mmap_lock.h).
#
# usage: scripts/check-mmap-lock.sh [-k KBUILD_DIR] [-v] [KERNEL_TREE]
#
#   KERNEL_TREE    tree to check (default: build/linux, the patched tree)
#   -k KBUILD_DIR  prepared x86_64 O= build dir of KERNEL_TREE used for the
#                  compile probes (default: build/kbuild); the probes are
#                  skipped if it has not been configured and prepared
#   -v             list every offending line, not only the first few
#
# Checks, one line each, then "N passed, N failed[, N skipped]":
#   open-coded    C code outside the API files that touches the lock itself
#                 (mm->mmap_lock, init_mm.mmap_lock, __mmap_lock_rwsem(), ...)
#                 or its write sequence mm->mm_lock_seq (6.4 and later);
#                 comments and strings are ignored; expected 0
#   stale-name    "mmap_sem" anywhere in the tree (docs, tools, comments),
#                 except look-alike identifiers and the places v2 of the
#                 series leaves alone on purpose (KEPT below); expected 0
#   abi-kept      test_lockup still has its lock_mmap_sem module parameter
#   checkpatch    the tree's checkpatch.pl warns MMAP_LOCK on exactly the
#                 open-coded lines of tests/mmap-lock/checkpatch-sample.patch
#   cocci-report  scripts/coccinelle/api/mmap_lock.cocci in report mode
#                 finds what tests/mmap-lock/cocci-sample.report lists in
#                 tests/mmap-lock/cocci-sample.c (skipped without spatch)
#   cocci-patch   the same in patch mode rewrites the lines that
#                 tests/mmap-lock/cocci-sample.patch-lines lists
#   *-seq         (trees whose checkpatch.pl and mmap_lock.cocci know
#                 mm_lock_seq: the 6.12 line) the same three on the
#                 *-sample-seq.* samples: lockdep_is_held(), the per-VMA
#                 lock's reads of mm_lock_seq, down_write_trylock(), and
#                 no MMAP_LOCK warning in tools/
#   probe-bad     tests/mmap-lock/probe_bad.c (down_read(&mm->mmap_lock))
#                 must fail to compile: no member mmap_lock, or an
#                 incompatible pointer
#   probe-good    tests/mmap-lock/probe_good.c (mmap_read_lock(mm)) must build
# Exit status is non-zero if any check failed.

set -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROBES=$TOP/tests/mmap-lock
KBUILD=$TOP/build/kbuild
VERBOSE=0

usage() { sed -n '5,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }

while getopts "k:vh" opt; do
	case $opt in
	k) KBUILD=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
TREE=${1:-$TOP/build/linux}
TREE=$(cd "$TREE" 2>/dev/null && pwd) || { echo "ERROR: no kernel tree at ${1:-$TOP/build/linux}" >&2; exit 2; }
[ -f "$TREE/include/linux/mmap_lock.h" ] ||
	{ echo "ERROR: $TREE has no include/linux/mmap_lock.h" >&2; exit 2; }
case $KBUILD in /*) ;; *) KBUILD=$PWD/$KBUILD ;; esac

passed=0
failed=0
skipped=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

# show FILE: print the offending lines (first 10 unless -v), indented.
show() {
	local n
	n=$(wc -l <"$1")
	if [ "$VERBOSE" = 1 ] || [ "$n" -le 10 ]; then
		sed 's/^/    /' "$1"
	else
		head -n 10 "$1" | sed 's/^/    /'
		echo "    ... $((n - 10)) more (-v lists all)"
	fi
}

echo "tree: $TREE"

# --- a) open-coded users of the lock -------------------------------------
#
# Candidate files are C sources and headers mentioning mmap_lock.  Comments,
# string and character literals are blanked (newlines kept, so line numbers
# stay right) and what is left is searched for:
#   X->mmap_lock / X.mmap_lock   any member access named mmap_lock
#   (struct mm_struct, mmap_lock) offsetof() and similar
#   __mmap_lock_rwsem(           the API's private accessor
#   X->mm_lock_seq / .mm_lock_seq  the lock's write sequence, which the
#                                per-VMA lock reads (6.4 and later; only
#                                mm_struct has a member of that name)
# The API files are exempt: include/linux/mmap_lock.h and mm/mmap_lock.c,
# and so is tools/: userspace and BPF programs with their own definitions
# of the kernel's structures, which cannot use the API (6.12's perf lock
# contention program finds the lock by name with BPF CO-RE).
# Two other structures have a member called mmap_lock; accesses through
# their usual owners in their own drivers are not the mm's lock:
#   drivers/infiniband/hw/cxgb4/  spinlock_t in struct c4iw_ucontext
#   drivers/media/common/videobuf2/  struct mutex in struct vb2_queue
(cd "$TREE" && grep -rlI --include='*.[ch]' --include='*.S' --include='*.rs' \
	--exclude-dir=.git -e 'mmap_lock' -e 'mm_lock_seq' . 2>/dev/null) | sed 's|^\./||' | sort |
	grep -v -x -e 'include/linux/mmap_lock.h' -e 'mm/mmap_lock.c' | grep -v '^tools/' >"$TMP/cand"

# shellcheck disable=SC2016 # perl code
(cd "$TREE" && xargs -r perl -e '
	for my $f (@ARGV) {
		open(my $fh, "<", $f) or next;
		local $/;
		my $s = <$fh>;
		close $fh;
		# blank comments and literals, keep newlines
		$s =~ s{(/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\x27(?:\\.|[^\x27\\\n])*\x27)}
		       { my $m = $1; $m =~ s/[^\n]/ /g; $m }gse;
		my $n = 0;
		for my $l (split /\n/, $s, -1) {
			$n++;
			my @hit;
			push @hit, 1 while $l =~ /(?:->|\.)\s*__mmap_lock\b/g;
			while ($l =~ /(\w*)\s*\)?\s*(?:->|\.)\s*mmap_lock\b/g) {
				my $owner = $1;
				next if $f =~ m{^drivers/infiniband/hw/cxgb4/} &&
					$owner =~ /^(ucontext|context)$/;
				next if $f =~ m{^drivers/media/common/videobuf2/} &&
					$owner eq "q";
				push @hit, 1;
			}
			push @hit, 1 while $l =~ /struct\s+mm_struct\s*,\s*mmap_lock\b/g;
			push @hit, 1 while $l =~ /\b__mmap_lock_rwsem\s*\(/g;
			push @hit, 1 while $l =~ /(?:->|\.)\s*mm_lock_seq\b/g;
			(my $t = $l) =~ s/^\s+//;
			print "$f:$n: $t\n" for @hit;
		}
	}' <"$TMP/cand") >"$TMP/open" || true
nopen=$(wc -l <"$TMP/open")
echo "open-coded mmap_lock uses outside the API: $nopen (in $(cut -d: -f1 "$TMP/open" | sort -u | wc -l) files, $(wc -l <"$TMP/cand") candidate files scanned)"
if [ "$nopen" -eq 0 ]; then
	pass "open-coded: no direct use of mm->mmap_lock outside the mmap locking API"
else
	show "$TMP/open"
	fail "open-coded: $nopen direct uses of mm->mmap_lock outside the mmap locking API"
fi

# --- stale mmap_sem -------------------------------------------------------
#
# Every file in the tree (docs, tools, scripts included).  Allowed:
#   dup_mmap_sem, i_mmap_sem, out_mmap_sem, immap_sema   other things
#   lock_mmap_sem in lib/test_lockup.c where the module parameter is
#   declared (module_param*() and MODULE_PARM_DESC()): user ABI.
# KEPT: files where v2 of the series leaves the old name on purpose (v1's
# patches for them were churn a maintainer would drop):
#   Documentation/locking/lockstat.rst  a sample of lockstat output, from
#                                       the days the lock was mmap_sem
#   kernel/locking/rwbase_rt.c          "think mmap_sem", an example
#   tools/testing/selftests/kvm/        comments in another tree
#   lib/test_lockup.c                   the lock_mmap_sem flag variable,
#                                       named after its ABI parameter
#   Documentation/translations/*/locking/lockstat.rst  (6.12) translations
#                                       of the same sample
#   tools/perf/util/bpf_skel/           (6.12) perf's BPF CO-RE flavour of
#                                       mm_struct for kernels before 5.8
KEPT='^(Documentation/locking/lockstat\.rst|Documentation/translations/[^/]+/locking/lockstat\.rst|kernel/locking/rwbase_rt\.c|tools/testing/selftests/kvm/.*|tools/perf/util/bpf_skel/.*|lib/test_lockup\.c):'
(cd "$TREE" && grep -rnI --exclude-dir=.git -e 'mmap_sem' . 2>/dev/null) |
	sed 's|^\./||' | tee "$TMP/stale-all" | grep -Ev "$KEPT" | perl -ne '
		my ($f, $n, $l) = /^([^:]*):(\d+):(.*)$/ or next;
		my $abi = $f eq "lib/test_lockup.c" &&
			$l =~ /^\s*(module_param\w*|MODULE_PARM_DESC)\s*\(\s*lock_mmap_sem\b/;
		(my $t = $l) =~ s/\b(dup_mmap_sem|i_mmap_sem|out_mmap_sem|immap_sema)\b//g;
		$t =~ s/\block_mmap_sem\b// if $abi;
		next unless $t =~ /mmap_sem/;
		$l =~ s/^\s+//;
		$l = substr($l, 0, 100) . " ..." if length($l) > 100;
		print "$f:$n: $l\n";' >"$TMP/stale"
nstale=$(wc -l <"$TMP/stale")
nabi=$(grep -cE '^\s*(module_param\w*|MODULE_PARM_DESC)\s*\(\s*lock_mmap_sem\b' "$TREE/lib/test_lockup.c" 2>/dev/null)
nkept=$(grep -cE "$KEPT" "$TMP/stale-all")
echo "stale mmap_sem mentions: $nstale (plus $nkept lines in the KEPT files, $nabi of them declaring the lock_mmap_sem ABI parameter)"
if [ "$nstale" -eq 0 ]; then
	pass "stale-name: no stale mmap_sem outside the KEPT files"
else
	show "$TMP/stale"
	fail "stale-name: $nstale stale mentions of mmap_sem"
fi

if grep -qE '^\s*module_param\w*\(\s*lock_mmap_sem\b' "$TREE/lib/test_lockup.c" 2>/dev/null; then
	pass "abi-kept: test_lockup still has its lock_mmap_sem module parameter"
else
	fail "abi-kept: test_lockup lost its lock_mmap_sem module parameter (user ABI)"
fi

# --- checkpatch and coccinelle on samples --------------------------------
cp_out=$(cd "$TMP" && PATH=/usr/bin:$PATH "$TREE/scripts/checkpatch.pl" --strict --no-tree \
	--show-types "$PROBES/checkpatch-sample.patch" 2>&1)
cp_got=$(echo "$cp_out" | grep -A2 '^WARNING:MMAP_LOCK:' | sed -n 's/^+\s*//p' | tr '\n' '|')
cp_want='down_read(&mm->mmap_lock);|lockdep_assert_held(&umem->owning_mm->mmap_lock);|prefetchw(&(current->mm)->mmap_lock);|'
if [ "$cp_got" = "$cp_want" ]; then
	pass "checkpatch: MMAP_LOCK on the 3 open-coded lines of the sample, not on q->mmap_lock or mmap_read_lock()"
else
	echo "$cp_out" | grep -A2 MMAP_LOCK | sed 's/^/    /'
	fail "checkpatch: MMAP_LOCK warnings differ (got: ${cp_got:-none}; want: $cp_want)"
fi

if grep -q 'mm_lock_seq' "$TREE/scripts/checkpatch.pl"; then
	cp_got=$(cd "$TMP" && PATH=/usr/bin:$PATH "$TREE/scripts/checkpatch.pl" --strict --no-tree \
		--show-types "$PROBES/checkpatch-sample-seq.patch" 2>&1 |
		grep -A2 '^WARNING:MMAP_LOCK:' | sed -n 's/^+\s*//p' | tr '\n' '|')
	cp_want='lockdep_assert(lockdep_is_held(&mm->mmap_lock));|(void)raw_read_seqcount(&vma->vm_mm->mm_lock_seq);|'
	if [ "$cp_got" = "$cp_want" ]; then
		pass "checkpatch-seq: MMAP_LOCK on lockdep_is_held() and mm_lock_seq, not on the API or tools/"
	else
		fail "checkpatch-seq: MMAP_LOCK warnings differ (got: ${cp_got:-none}; want: $cp_want)"
	fi
fi

cocci=$TREE/scripts/coccinelle/api/mmap_lock.cocci
if ! command -v spatch >/dev/null; then
	skip "cocci-report: spatch not installed (package coccinelle)"
	skip "cocci-patch: spatch not installed (package coccinelle)"
elif [ ! -f "$cocci" ]; then
	fail "cocci-report: $cocci missing"
	fail "cocci-patch: $cocci missing"
else
	cp "$PROBES/cocci-sample.c" "$TMP/t.c"
	# The findings are spatch's stdout; its stderr carries notes that
	# depend on the machine (e.g. no libpython3.x on a bare root).
	(cd "$TMP" && spatch --very-quiet -D report --sp-file "$cocci" t.c) >"$TMP/report" 2>"$TMP/report.err"
	if diff -u "$PROBES/cocci-sample.report" "$TMP/report" >"$TMP/report.diff"; then
		pass "cocci-report: $(wc -l <"$TMP/report") open-coded uses found in the sample, as expected"
	else
		sed 's/^/    /' "$TMP/report.diff" "$TMP/report.err"
		fail "cocci-report: the findings differ from tests/mmap-lock/cocci-sample.report"
	fi
	(cd "$TMP" && spatch --very-quiet -D patch --sp-file "$cocci" t.c) 2>/dev/null |
		grep '^[-+]\s' >"$TMP/patch-lines"
	if diff -u "$PROBES/cocci-sample.patch-lines" "$TMP/patch-lines" >"$TMP/patch.diff"; then
		pass "cocci-patch: $(grep -c '^-' "$TMP/patch-lines") lines rewritten to the API, as expected"
	else
		sed 's/^/    /' "$TMP/patch.diff"
		fail "cocci-patch: the rewrite differs from tests/mmap-lock/cocci-sample.patch-lines"
	fi
	if grep -q 'mm_lock_seq' "$cocci"; then
		cp "$PROBES/cocci-sample-seq.c" "$TMP/t.c"
		(cd "$TMP" && spatch --very-quiet -D report --sp-file "$cocci" t.c) >"$TMP/report" 2>"$TMP/report.err"
		(cd "$TMP" && spatch --very-quiet -D patch --sp-file "$cocci" t.c) 2>/dev/null |
			grep '^[-+]\s' >"$TMP/patch-lines"
		if diff -u "$PROBES/cocci-sample-seq.report" "$TMP/report" >"$TMP/report.diff" &&
		   diff -u "$PROBES/cocci-sample-seq.patch-lines" "$TMP/patch-lines" >"$TMP/patch.diff"; then
			pass "cocci-seq: $(wc -l <"$TMP/report") uses found, $(grep -c '^-' "$TMP/patch-lines") lines rewritten (mm_lock_seq reads keep their ordering; a plain read only under mmap_assert_write_locked())"
		else
			sed 's/^/    /' "$TMP/report.diff" "$TMP/patch.diff"
			fail "cocci-seq: findings or rewrite differ from tests/mmap-lock/cocci-sample-seq.*"
		fi
	fi
fi

# --- b) compile probes ----------------------------------------------------
#
# Built as an external-module style object (make M=) against KBUILD, which
# must be an O= build directory of TREE that has been configured and
# prepared (make prepare, or any kernel build).  Nothing is written to the
# kernel tree or to KBUILD; objects land in a scratch directory.
if [ ! -f "$KBUILD/.config" ] || [ ! -f "$KBUILD/include/generated/autoconf.h" ] ||
   [ ! -d "$KBUILD/arch/x86/include/generated" ]; then
	skip "probe-bad: $KBUILD is not a configured and prepared x86 build dir (-k DIR)"
	skip "probe-good: $KBUILD is not a configured and prepared x86 build dir (-k DIR)"
else
	src=$(readlink -f "$KBUILD/source" 2>/dev/null)
	[ -z "$src" ] || [ "$src" = "$TREE" ] ||
		echo "note: $KBUILD was prepared from $src, compiling probes against $TREE"
	lock=()
	command -v flock >/dev/null && lock=(flock "${KBUILD_LOCK:-/tmp/kbuild.lock}")
	cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"

	# probe NAME: build $PROBES/NAME.c as NAME.o; output in $TMP/NAME.log
	probe() {
		local d=$TMP/$1
		mkdir -p "$d"
		cp "$PROBES/$1.c" "$d/"
		echo "obj-m := $1.o" >"$d/Kbuild"
		"${lock[@]}" make -s -C "$TREE" O="$KBUILD" ARCH=x86_64 CC="$cc" \
			M="$d" "$1.o" >"$TMP/$1.log" 2>&1 && [ -f "$d/$1.o" ]
	}

	if probe probe_good; then
		pass "probe-good: mmap_read_lock(mm) builds"
	else
		sed 's/^/    /' "$TMP/probe_good.log" | tail -n 20
		fail "probe-good: mmap_read_lock(mm) does not build (see above)"
	fi

	if probe probe_bad; then
		fail "probe-bad: down_read(&mm->mmap_lock) still builds"
	elif grep -qE "incompatible-pointer-types|incompatible type for argument|has no member named .mmap_lock" "$TMP/probe_bad.log"; then
		pass "probe-bad: down_read(&mm->mmap_lock) is refused: $(grep -m1 -oE 'error: [^[]*' "$TMP/probe_bad.log" | sed 's/ *$//')"
	else
		sed 's/^/    /' "$TMP/probe_bad.log" | tail -n 20
		fail "probe-bad: did not build, but not because of the lock's name or type (see above)"
	fi
fi

echo "$passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
