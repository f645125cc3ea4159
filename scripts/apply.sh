#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# apply.sh: reset $O/linux to tag "base" and git am every patch named in
# the base's series (`series` for 6.1, `series-6.12` for 6.12), in order, one commit per patch.  SERIES=none instead gives the
# unpatched base its own worktree ($O/linux-base) so both kernels can be
# built side by side.
#
# Bases older than Debian 6.1.187-1 first get the stable fixes listed in
# patches/prereq/series, each only when the base does not carry it.
#
# A patch that does not apply stops the run, naming the patch and the hunk.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$SRC/.git" ] || die "no base tree at $SRC; run 'make base' first"
git -C "$SRC" rev-parse -q --verify refs/tags/base >/dev/null ||
	die "tag 'base' missing in $SRC; rerun 'make base'"

if [ "${SERIES:-}" = none ]; then
	if [ ! -d "$O/linux-base/.git" ] && [ ! -f "$O/linux-base/.git" ]; then
		run git -C "$SRC" worktree add -f --detach "$O/linux-base" base >/dev/null 2>&1 ||
			die "cannot create worktree $O/linux-base"
	fi
	info "apply: SERIES=none, unpatched base at $O/linux-base"
	exit 0
fi

mapfile -t patches < <(series_patches)
for p in "${patches[@]}"; do
	[ -f "$PATCHDIR/$p" ] ||
		die "series names $p, but $PATCHDIR/$p does not exist (see $SERIES_FILE)"
done

# Skip the reset when the tree already carries exactly this series, so an
# unchanged series costs no rebuild.
stamp=$( (cat "$SERIES_FILE"; for p in "${patches[@]}"; do cat "$PATCHDIR/$p"; done
	  for p in $(prereq_patches); do cat "$PREREQ_DIR/$p"; done) | sha256sum | cut -c1-16)
cd "$SRC" || exit 1
if [ "$(cat "$O/.applied" 2>/dev/null)" = "$stamp $(git rev-parse HEAD)" ] &&
   git diff --quiet HEAD; then
	info "apply: $SRC already carries this series (${#patches[@]} patches)"
	exit 0
fi

[ -d .git/rebase-apply ] && run git am --abort
run git checkout -q -f -B series base || die "cannot check out base in $SRC"
run git clean -q -fdx -e /.config >/dev/null
rm -f "$O/.applied"
apply_prereqs || exit 1
n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	log=$LOGS/apply.log
	# No --3way and git am's default context matching: a patch applies
	# exactly or not at all.
	if ! git am -q --whitespace=nowarn "$PATCHDIR/$p" >"$log" 2>&1; then
		hunk=$(grep -m1 -E '^error: patch failed:|^error: .*(does not exist|already exists)|^error:' "$log")
		git am --abort >/dev/null 2>&1
		die "patch $n/${#patches[@]} $p does not apply to base ${hunk:+($hunk)} (see $log)"
	fi
	echo "  applied $n/${#patches[@]} $p"
done
echo "$stamp $(git rev-parse HEAD)" >"$O/.applied"
info "apply: ${#patches[@]} patches on base $(git rev-parse --short base) -> $(git rev-parse --short HEAD) in $SRC"
