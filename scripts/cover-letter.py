#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""cover-letter.py: fill in the cover letter git format-patch wrote.

Usage: cover-letter.py COVER TOP O VERSION CHANGE_ID TO CC [OTHER_O]

The story comes from cover/intro.txt, the numbers from the outputs of
make vmtest and make bench under O (and OTHER_O, the other base, side by
side), the changes from cover/changes; TO and CC are newline-separated
addresses.  Used by scripts/mbox.sh; tests/test_cover.py tests it.
"""
import json, os, re, sys, textwrap
if len(sys.argv) not in (8, 9):
    sys.exit(__doc__.split('\n\n')[1])
path, top, o, version, change_id, to, cc = sys.argv[1:8]
other_o = sys.argv[8] if len(sys.argv) > 8 else ''
text = open(path).read()

def base_info(d):
    return dict(l.strip().split('=', 1) for l in open(os.path.join(d, 'base.info')) if '=' in l)

info = base_info(o)
line = info.get('series_line', '6.1')

def ns(v):
    return '%.0f ns' % v if v < 1000 else '%.0f us' % (v / 1000)

def measured(d):
    """The intro's {placeholders}: make bench's (bench.txt) sequential and
    random rows at N=10^5 and make clear-cost's fault (clear-cost.txt)."""
    v = {'line': line}
    b = os.path.join(d, 'bench.txt')
    for l in open(b) if os.path.exists(b) else []:
        m = re.search(r'median of (\d+)$', l.strip())
        if m:
            v['runs'] = m.group(1)
        m = re.match(r'^(sequential|random) +100000 +\| ([\d.]+) \[[^]]*\] +([\d.]+) \[[^]]*\] +'
                     r'[\d.]+ \| +([\d.]+) +([\d.]+)', l)
        if not m:
            continue
        old, new, old_i, new_i = (float(x) for x in m.groups()[1:])
        k = 'seq' if m.group(1) == 'sequential' else 'rnd'
        if k == 'seq':
            v.update(seq_old='%.1f' % old, seq_new='%.1f' % new)
        else:
            v.update(rnd_old=ns(old), rnd_new=ns(new))
        v.update({k + '_old_insn': '%.0f' % old_i, k + '_new_insn': '%.0f' % new_i})
    c = os.path.join(d, 'clear-cost.txt')
    for l in open(c) if os.path.exists(c) else []:
        m = re.search(r'fault on (\S+), .*?: median (\d+) ns', l)
        if m:
            v.update(fault=ns(int(m.group(2))), host_kernel=m.group(1))
    return v

# intro.txt: lines tagged "[6.1] " or "[6.12] " belong to that line only;
# {name}s are measured numbers.  A line naming a number this output
# directory has not measured (no make clear-cost, say) is left out, so
# the story never quotes a number from another run.
values = measured(o)
intro = []
for l in open(os.path.join(top, 'cover', 'intro.txt')).read().strip().split('\n'):
    m = re.match(r'^\[(6\.\d+)\] ?(.*)$', l)
    if m:
        if m.group(1) != line:
            continue
        l = m.group(2)
    names = re.findall(r'\{(\w+)\}', l)
    if any(n not in values for n in names):
        continue
    # A paragraph that got numbers is refilled (a '\0' marks it).
    intro.append(re.sub(r'\{(\w+)\}', lambda x: values[x.group(1)], l) + ('\0' if names else ''))
paras = re.split(r'\n\s*\n', re.sub(r'\n{3,}', '\n\n', '\n'.join(intro[1:])).strip())

def refill(p):
    """Refill to 72 columns, keeping two spaces after a sentence."""
    text = ''
    for l in p.replace('\0', '').split('\n'):
        l = l.strip()
        text += l + ('  ' if re.search(r'[.!?][)"\']?$', l) else ' ')
    return textwrap.fill(text.strip(), 72, break_on_hyphens=False, break_long_words=False)

paras = [refill(p) if '\0' in p else p for p in paras]
subject, story = intro[0].replace('\0', ''), '\n\n'.join(paras)

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
targets = [l for l in me['bench'] if l.startswith('target ')]

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
           '  make bench targets (userspace; old = %s list with coalescing,' % line,
           '  new = this series; wall: median of %s runs, insn: callgrind):' % values.get('runs', '?')]
numbers += ['    ' + l for l in targets]
gb = os.path.join(o, 'guest-bench.txt')
if os.path.exists(gb):
    numbers += ['', '  make guest-bench (faults in random order, in the guest):']
    numbers += ['    ' + l.rstrip() for l in open(gb) if l.strip()]
# The other base's run (OTHER_O=), side by side with this one.
if other_o:
    if not os.path.exists(os.path.join(other_o, 'logs', 'console-patched.json')):
        sys.exit('cover-letter.py: OTHER_O=%s has no make vmtest results (%s); '
                 'run make vmtest with O=%s first' % (other_o, os.path.join(other_o, 'logs', 'console-patched.json'), other_o))
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
            'one region, this series keeps one region per page (the memory per',
            'faulted page targets above); that is the price of per-region uncharge info.']
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
