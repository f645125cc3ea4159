#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# export-patches.sh: write the commits base..HEAD of $O/linux back to
# patches/ with git format-patch and rewrite `series`, one commented section
# per topic.  The way to change the series: make apply, edit/rebase in
# build/linux, make export, commit.
. "$(dirname "$0")/lib.sh"

cd "$SRC" || die "no tree at $SRC; run 'make apply' first"
git rev-parse -q --verify refs/tags/base >/dev/null || die "tag base missing in $SRC"
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of base in $SRC"
tmp=$(mktemp -d)
run git format-patch -q --no-signature --zero-commit -o "$tmp" base..HEAD || die "git format-patch failed"

topic_of() {
	case "$1" in
	*selftests/hugetlb*|*selftests-hugetlb*) echo selftests ;;
	*hugetlb*|*region*|*resv_map*) echo region ;;
	*) echo mmap_lock ;;
	esac
}

header() {
	case "$1" in
	mmap_lock) cat <<'EOF'

# Topic: mmap_lock fully behind the mmap locking API
#   Finish the mmap_sem -> mmap_lock conversion: helpers for the remaining
#   open-coded users, conversions per subsystem, stale text, then an opaque
#   mm_struct member so new open-coded users no longer compile.
#   Status: ready for review.  Posted: not yet (make mbox).
EOF
		;;
	region) cat <<'EOF'

# Topic: hugetlb region accounting without coalescing, on an rbtree
#   Move the resv_map region code into mm/hugetlb_region.c, test it in
#   userspace (tools/testing/hugetlb_region), stop coalescing so every
#   region keeps its own cgroup uncharge info, and index regions by an
#   rbtree so per-page regions cost O(log n) per fault.
#   Status: ready for review.  Posted: not yet (make mbox).
EOF
		;;
	selftests) cat <<'EOF'

# Topic: hugetlbfs reservation selftests
#   Generated from tools/testing/selftests/hugetlb by
#   scripts/gen-selftest-patch.sh; do not edit the patch by hand.
#   Status: ready for review.  Posted: not yet (make mbox).
EOF
		;;
	esac
}

{
	echo "# Patch series against Debian linux-source-6.1 (see README.md)."
	echo "# Apply with 'make apply' (git am) or 'quilt push -a --fuzz=0'."
	echo "# Regenerate with 'make export' from build/linux (base..HEAD)."
	last=
	for f in "$tmp"/*.patch; do
		b=$(basename "$f")
		t=$(topic_of "$b")
		[ "$t" != "$last" ] && header "$t"
		last=$t
		echo "$b"
	done
} >"$tmp/series"

rm -f "$PATCHDIR"/*.patch
mkdir -p "$PATCHDIR"
mv "$tmp"/*.patch "$PATCHDIR/"
mv "$tmp/series" "$SERIES_FILE"
rm -rf "$tmp"
# The tree now carries exactly what patches/ describes.
stamp=$( (cat "$SERIES_FILE"; for p in $(series_patches); do cat "$PATCHDIR/$p"; done) | sha256sum | cut -c1-16)
echo "$stamp $(git rev-parse HEAD)" >"$O/.applied"
info "export: $n patches to ${PATCHDIR#$TOP/}/, series rewritten"
