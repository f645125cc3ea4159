#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mbox.sh: the series as it goes to the mailing list, under $O/mbox/vN/:
# git format-patch files with a cover letter (0000-cover-letter.patch),
# To/Cc from the tree's get_maintainer.pl, a base trailer, and one mbox.
#
# The cover letter's numbers come from the outputs of `make vmtest`
# ($O/logs/console-patched.json) and `make bench` ($O/bench.txt), and of
# `make guest-bench` when it has run; nothing is typed in.  The mails are
# sent as `git config user.name/user.email` (scripts/sign-mails.py), which
# must not be the placeholder the commits carry; DRY_RUN=1 marks them
# instead.  TOPIC=fixes (in the Makefile) posts the fixes topic alone.
# OTHER_O=DIR adds the other base's `make vmtest`/`make bench` results
# from DIR (its own output directory) to the cover letter, side by side.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

. "$TOP/cover/series.conf"
[ -n "$VERSION" ] && [ -n "$CHANGE_ID" ] || die "cover/series.conf needs VERSION and CHANGE_ID"
results=$O/logs/console-patched.json
[ -f "$results" ] || die "no vmtest results at $results; run 'make vmtest' first"
if [ ! -f "$O/bench.txt" ]; then
	info "mbox: no bench results yet, running make bench"
	"$TOP/scripts/bench.sh" >"$LOGS/bench.log" 2>&1 || die "make bench failed (see $LOGS/bench.log)"
fi
"$TOP/scripts/apply.sh" || exit 1

out=$O/mbox/v$VERSION
rm -rf "$out"
mkdir -p "$out"
cd "$SRC" || exit 1
run git format-patch -q --no-signature --cover-letter --thread=shallow \
	--subject-prefix="PATCH v$VERSION" -o "$out" base..HEAD ||
	die "git format-patch failed"
[ "$VERSION" = 1 ] && for f in "$out"/*.patch; do
	sed -i '1,/^$/s/^Subject: \[PATCH v1 /Subject: [PATCH /' "$f"
done

# To: the maintainers, Cc: lists and reviewers, per patch; all of them on
# the cover letter.
gm() { "$SRC/scripts/get_maintainer.pl" --no-git --no-git-fallback --no-rolestats "$@" 2>/dev/null; }
all_to=() all_cc=()
for f in "$out"/0[0-9][0-9][0-9]-*.patch; do
	case "$f" in *0000-cover-letter.patch) continue ;; esac
	mapfile -t to < <(gm --no-l --no-r "$f")
	mapfile -t cc < <(gm --no-m "$f")
	all_to+=("${to[@]}")
	all_cc+=("${cc[@]}")
	python3 - "$f" "$(printf '%s\n' "${to[@]}")" "$(printf '%s\n' "${cc[@]}")" <<'EOF'
import sys
path, to, cc = sys.argv[1], [x for x in sys.argv[2].split('\n') if x], [x for x in sys.argv[3].split('\n') if x]
text = open(path).read()
head, sep, body = text.partition('\n\n')
extra = ''
if to:
    extra += '\nTo: ' + ',\n    '.join(to)
if cc:
    extra += '\nCc: ' + ',\n    '.join(cc)
open(path, 'w').write(head + extra + sep + body)
EOF
done

# The cover letter: story, measured numbers, changes, base.
python3 - "$out/0000-cover-letter.patch" "$TOP" "$O" "$VERSION" "$CHANGE_ID" \
	"$(printf '%s\n' "${all_to[@]}" | sort -u)" "$(printf '%s\n' "${all_cc[@]}" | sort -u)" "${OTHER_O:-}" <<'EOF'
import json, os, re, sys
path, top, o, version, change_id, to, cc, other_o = sys.argv[1:9]
text = open(path).read()

def base_info(d):
    return dict(l.strip().split('=', 1) for l in open(os.path.join(d, 'base.info')) if '=' in l)

info = base_info(o)
line = info.get('series_line', '6.1')

# intro.txt: lines tagged "[6.1] " or "[6.12] " belong to that line only.
intro = []
for l in open(os.path.join(top, 'cover', 'intro.txt')).read().strip().split('\n'):
    m = re.match(r'^\[(6\.\d+)\] ?(.*)$', l)
    if m:
        if m.group(1) == line:
            intro.append(m.group(2))
    else:
        intro.append(l)
subject, story = intro[0], re.sub(r'\n{3,}', '\n\n', '\n'.join(intro[1:])).strip()

def summary(d):
    """What one output directory measured: vmtest per page size, bench."""
    r = {'line': base_info(d).get('series_line', '6.1'), 'base': base_info(d)['debian_version']}
    for size, name in (('2M', 'console-patched.json'), ('1G', 'console-patched-1G.json')):
        p = os.path.join(d, 'logs', name)
        if not os.path.exists(p):
            continue
        res = json.load(open(p))
        st = [t['status'] for t in res['tests']]
        r[size] = '%d passed, %d failed, %d skipped' % (
            st.count('PASS'), st.count('FAIL') + st.count('ERROR') + st.count('MISS'), st.count('SKIP'))
        if size == '2M':
            r['res'] = res
    b = os.path.join(d, 'bench.txt')
    r['bench'] = [l.rstrip() for l in open(b) if l.strip()] if os.path.exists(b) else []
    return r

me = summary(o)
res = me['res']
progs = sorted({t['path'].split('.')[1] for t in res['tests'] if t['path'].startswith('hugetlb.')})
new_cases = sum(1 for t in res['tests'] if t['path'].startswith('hugetlb.'))
ratios = [l for l in me['bench'] if l.startswith('ratio ') and 'N=1000000' not in l]
mem = [l for l in me['bench'] if l.startswith('memory per region') or l.startswith('target ')]

verdict = 'kernel log clean' if not res['splats'] else '%d kernel reports' % len(res['splats'])
if res['problems']:
    verdict += '; run problems: ' + '; '.join(res['problems'])
numbers = ['Measured on this series (x86_64 QEMU TCG guest, lockdep and DEBUG_VM on):', '',
           '  make vmtest: %s; %d cases in %d programs of the new' % (me['2M'], new_cases, len(progs)),
           '  tools/testing/selftests/hugetlb, the rest from selftests/%s;' % ('vm' if line == '6.1' else 'mm'),
           '  %s' % verdict]
if '1G' in me:
    numbers += ['  with 1 GB default huge pages (hugetlb only): %s' % me['1G']]
numbers += ['',
           '  make bench (userspace, callgrind instructions, old = %s list with' % line,
           '  coalescing, new = this series):']
numbers += ['    ' + l for l in ratios + mem]
gb = os.path.join(o, 'guest-bench.txt')
if os.path.exists(gb):
    numbers += ['', '  make guest-bench (faults in random order, in the guest):']
    numbers += ['    ' + l.rstrip() for l in open(gb) if l.strip()]
# The other base's run (OTHER_O=), side by side with this one.
if other_o and os.path.exists(os.path.join(other_o, 'logs', 'console-patched.json')):
    ot = summary(other_o)
    cols = sorted([me, ot], key=lambda r: [int(x) for x in r['line'].split('.')])
    pfs = lambda x: '/'.join(re.findall(r'\d+', x)) if x else 'not run'
    rows = [('make vmtest, 2 MB (passed/failed/skipped)', [pfs(c.get('2M')) for c in cols]),
            ('make vmtest, 1 GB (passed/failed/skipped)', [pfs(c.get('1G')) for c in cols])]
    keys = []
    for c in cols:
        for l in c['bench']:
            m = re.match(r'^target (.*) \(([^)]*)\): (\w+)$', l)
            if m and m.group(1) not in keys:
                keys.append(m.group(1))
    for k in keys:
        vals = []
        for c in cols:
            m = [re.match(r'^target .* \(([^)]*)\): (\w+)$', l) for l in c['bench']
                 if l.startswith('target ' + k + ' (')]
            vals.append('%s %s' % (m[0].group(1), m[0].group(2)) if m else 'not run')
        short = (k.replace('memory per faulted page', 'bytes/page')
                 .replace(' (CONFIG_CGROUP_HUGETLB=n)', ', cgroup=n')
                 .replace('N=100000', '1e5'))
        rows.append(('bench ' + short, vals))
    w = max(len(r[0]) for r in rows)
    v = max(len(r[1][0]) for r in rows + [('', [cols[0]['base']])])
    numbers += ['', 'Both bases, the same commands (each with its own series line):', '',
                '  %-*s  %-*s  %s' % (w, '', v, cols[0]['base'], cols[1]['base'])]
    numbers += ['  %-*s  %-*s  %s' % (w, r[0], v, r[1][0], r[1][1]) for r in rows]
numbers += ['', 'The cost: %s coalesces a sequentially faulted private mapping into' % line,
            'one region, this series keeps one region per page (see the region',
            'memory line above); that is the price of per-region uncharge info.']
# cover/changes: a "vN:" line, then that version's items.
changes, cur = [], None
for l in open(os.path.join(top, 'cover', 'changes')):
    m = re.match(r'^v(\d+):\s*$', l)
    if m:
        cur = m.group(1)
    elif cur == version and l.strip():
        changes.append(l.rstrip())
changes = '\n'.join(changes) or '- (none recorded in cover/changes)'
base = ['base-commit: %s' % info['base_commit'],
        'base-debian: %s %s (sha256 %s)' % (info.get('package', 'linux-source-' + line), info['debian_version'], info['tarball_sha256']),
        'base-kernelversion: %s' % info['kernelversion'],
        'base-upstream-tag: %s' % info['upstream_tag'],
        'change-id: %s' % change_id]

text = text.replace('*** SUBJECT HERE ***', subject)
body = '\n'.join([story, '', '\n'.join(numbers), '', 'Changes in v%s:' % version, changes,
                  ])
text = text.replace('*** BLURB HERE ***', body)
text = re.sub(r'\n(base-commit: .*\n)?$', '\n', text.rstrip('\n') + '\n')
text = text.rstrip('\n') + '\n\n' + '\n'.join(base) + '\n'
head, sep, rest = text.partition('\n\n')
hdr = ''
tol = [x for x in to.split('\n') if x]
ccl = [x for x in cc.split('\n') if x]
if tol:
    hdr += '\nTo: ' + ',\n    '.join(tol)
if ccl:
    hdr += '\nCc: ' + ',\n    '.join(ccl)
open(path, 'w').write(head + hdr + sep + rest)
EOF
signopt=()
[ "${DRY_RUN:-0}" = 1 ] && signopt=(--dry-run)
run python3 "$TOP/scripts/sign-mails.py" "${signopt[@]}" "$out"/*.patch ||
	die "no sendable series: see the line above (DRY_RUN=1 for a marked dry run)"
cat "$out"/*.patch >"$out/series-v$VERSION.mbox"
mails=("$out"/*.patch)
n=${#mails[@]}
info "mbox: $n files (cover letter + $((n - 1)) patches) and $out/series-v$VERSION.mbox"
grep -A3 '^Measured' "$out/0000-cover-letter.patch" | sed 's/^/  /'
