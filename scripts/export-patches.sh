#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# export-patches.sh: write the commits base..HEAD of $O/linux back to
# patches/ with git format-patch and rewrite `series`, one commented section
# per topic.  The way to change the series: make apply, edit/rebase in
# build/linux, make export, commit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The topic sections below are the 6.1 series'; another line's series keeps
# its own text, and only its patch names are rewritten (see below).
TREE=${1:-$SRC}
cd "$TREE" || die "no tree at $TREE; run 'make apply' first"
git rev-parse -q --verify refs/tags/base >/dev/null || die "tag base missing in $SRC"
# patch_subject FILE: the Subject of a format-patch file, unfolded, without
# the [PATCH ...] prefix.
patch_subject() {
	awk '/^Subject: /{ s = $0; while ((getline l) > 0 && l ~ /^[ \t]/) s = s l; print s; exit }' "$1" |
		sed 's/^Subject: \(\[[^]]*\] \)\?//'
}

# On an older base, apply.sh put the prerequisites it needed first; they
# stay in patches/prereq/, not in the series.
from=base
for c in $(git rev-list --reverse base..HEAD); do
	subject=$(git log -1 --format=%s "$c")
	for p in $(prereq_patches); do
		[ "$(patch_subject "$PREREQ_DIR/$p")" = "$subject" ] && from=$c && continue 2
	done
	break
done
n=$(git rev-list --count "$from"..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of base in $SRC"
tmp=$(mktemp -d)
run git format-patch -q --no-signature --zero-commit -o "$tmp" "$from"..HEAD || die "git format-patch failed"

# Each patch keeps the series section it had (matched by file name without
# its number); a new patch goes to the section its subject suggests.
if [ "$SERIES_LINE" != 6.1 ]; then
	# Each patch takes the line of the patch it replaces (same name without
	# its number); a new one goes after the patch before it.
	python3 - "$SERIES_FILE" "$tmp" <<'PY' || die "cannot rewrite $SERIES_FILE"
import os, re, sys
series, tmp = sys.argv[1], sys.argv[2]
key = lambda n: re.sub(r'^\d+-', '', n)
new = sorted(f for f in os.listdir(tmp) if f.endswith('.patch'))
bykey = {key(n): n for n in new}
out, placed, last = [], set(), None
lines = open(series).read().splitlines()
for line in lines:
    if line.strip() and not line.startswith('#'):
        n = bykey.get(key(line.split()[0]))
        if n:
            # patches new since the last kept one come before this one
            for m in new[new.index(last) + 1 if last else 0:new.index(n)]:
                if m not in placed:
                    out.append(m)
                    placed.add(m)
            out.append(n)
            placed.add(n)
            last = n
        continue
    out.append(line)
rest = [m for m in new if m not in placed]
out += rest
open(os.path.join(tmp, 'series'), 'w').write('\n'.join(out) + '\n')
PY
else
python3 - "$SERIES_FILE" "$tmp" <<'PY' || die "cannot rewrite series"
import os, re, sys
series, tmp = sys.argv[1], sys.argv[2]
HEADERS = {
    'fixes': ['# Topic: fixes for bugs the selftests found in the base',
              '#   Each fixes a bug in Debian\'s 6.1 that the tests below trip over;',
              '#   first, so that every later patch is tested on a clean kernel log.',
              '#   Status: ready for review.  Posted: not yet (make mbox).'],
    'mmap_lock': ['# Topic: mmap_lock fully behind the mmap locking API',
                  '#   Helpers for the remaining open-coded users, conversions per',
                  '#   subsystem, stale text, then an opaque mm_struct member so new',
                  '#   open-coded users no longer compile.',
                  '#   Status: ready for review.  Posted: not yet (make mbox).'],
    'region': ['# Topic: hugetlb region accounting without coalescing, on an rbtree',
               '#   Move the resv_map region code to mm/hugetlb_region.c, test it in',
               '#   userspace (tools/testing/hugetlb_region), make a region small',
               '#   (one cgroup pointer, exact-size cache) and index regions by an',
               '#   rbtree, free maps off the lock, then stop coalescing: one region',
               '#   per hole region_add() fills, exact regions_needed, per-region',
               '#   uncharge without comparisons; price 48 bytes per faulted page.',
               '#   Status: ready for review.  Posted: not yet (make mbox).'],
    'selftests': ['# Topic: hugetlbfs reservation selftests',
                  '#   Generated from tools/testing/selftests/hugetlb by',
                  '#   scripts/gen-selftest-patch.sh; do not edit the patch by hand.',
                  '#   Status: ready for review.  Posted: not yet (make mbox).'],
}
ORDER = ['fixes', 'mmap_lock', 'region', 'selftests']

def key(name):
    return re.sub(r'^\d+-', '', name)

old = {}
section = None
if os.path.exists(series):
    for line in open(series):
        m = re.match(r'# Topic: (.*)', line)
        if m:
            section = next((k for k, h in HEADERS.items() if h[0] == line.rstrip()), None)
        elif line.strip() and not line.startswith('#'):
            old[key(line.split()[0])] = section

def guess(name):
    text = open(os.path.join(tmp, name)).read()
    subject = re.search(r'^Subject: (.*)$', text, re.M).group(1)
    files = re.findall(r'^\+\+\+ b/(\S+)', text, re.M)
    if any(f.startswith('tools/testing/selftests/hugetlb/') for f in files):
        return 'selftests'
    if re.search(r'hugetlb|region|resv_map', subject) or \
            any(f.startswith('tools/testing/hugetlb_region/') for f in files):
        return 'region'
    return 'mmap_lock'

patches = sorted(f for f in os.listdir(tmp) if f.endswith('.patch'))
out = ["# Patch series against Debian linux-source-6.1 (see README.md).",
       "# Apply with 'make apply' (git am) or 'quilt push -a --fuzz=0'.",
       "# Regenerate with 'make export' from build/linux (base..HEAD)."]
last = None
for p in patches:
    # A new patch inside the leading fixes block is a fix too.
    t = old.get(key(p)) or ('fixes' if last == 'fixes' and guess(p) != 'selftests' else guess(p))
    if t != last:
        out += [''] + HEADERS[t]
        last = t
    out.append(p)
open(os.path.join(tmp, 'series'), 'w').write('\n'.join(out) + '\n')
PY
fi

rm -f "$PATCHDIR"/*.patch
mkdir -p "$PATCHDIR"
mv "$tmp"/*.patch "$PATCHDIR/"
mv "$tmp/series" "$SERIES_FILE"
rm -rf "$tmp"
# When exporting build/linux itself, it now carries exactly patches/.
if [ "$TREE" = "$SRC" ]; then
	stamp=$( (cat "$SERIES_FILE"; for p in $(series_patches); do cat "$PATCHDIR/$p"; done) | sha256sum | cut -c1-16)
	echo "$stamp $(git rev-parse HEAD)" >"$O/.applied"
fi
info "export: $n patches to ${PATCHDIR#"$TOP"/}/, series rewritten"
