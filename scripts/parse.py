#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Verdict on a saved QEMU console log of a kselftest run.

Reads the KTAP/TAP 13 that run_kselftest.sh prints (top level plus the
"# "-prefixed output of each test, which kunit.py shows only as text),
scans the kernel log for splats, and prints one line per test case and a
last line "N passed, N failed[, N skipped]".  Exit status 0 only when every
test passed (skips allowed), the plan is complete, the guest finished and
the kernel log is clean.

Also writes <out>.ktap (the TAP as the guest printed it) and <out>.json
(per test: path, status, duration; names follow KernelCI's KCIDB test schema).
"""

import argparse
import json
import os
import re
import sys

# Kernel reports that fail a run whatever the tests said.
SPLATS = [
    (re.compile(r'\bBUG: '), 'BUG'),
    (re.compile(r'WARNING: .* at |WARNING: CPU: \d+ PID: '), 'WARNING'),
    (re.compile(r'WARNING: possible circular locking dependency'), 'lockdep'),
    (re.compile(r'WARNING: possible recursive locking detected'), 'lockdep'),
    (re.compile(r'WARNING: inconsistent lock state'), 'lockdep'),
    (re.compile(r'WARNING: suspicious RCU usage'), 'lockdep'),
    (re.compile(r'WARNING: .*lock held|WARNING: bad unlock balance'), 'lockdep'),
    (re.compile(r'INFO: possible irq lock inversion'), 'lockdep'),
    (re.compile(r'BUG: KASAN: '), 'KASAN'),
    (re.compile(r'BUG: kernel NULL pointer|Oops: '), 'oops'),
    (re.compile(r'general protection fault'), 'oops'),
    (re.compile(r'Kernel panic - not syncing'), 'panic'),
    (re.compile(r'watchdog: BUG: soft lockup|soft lockup - CPU'), 'soft lockup'),
    (re.compile(r'Watchdog detected hard LOCKUP|hard LOCKUP'), 'hard lockup'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'INFO: rcu_.* self-detected stall|rcu: INFO: .* stall'), 'RCU stall'),
    (re.compile(r'unreferenced object 0x'), 'kmemleak'),
    (re.compile(r'kmemleak: \d+ new suspected memory leaks'), 'kmemleak'),
    (re.compile(r'UBSAN: '), 'UBSAN'),
    (re.compile(r'list_add corruption|list_del corruption'), 'list corruption'),
    (re.compile(r'Out of memory: Killed process'), 'OOM kill'),
]
# Userspace lines that look like splats but are test output.
NOT_SPLAT = re.compile(r'^\s*#')

RESULT = re.compile(r'^(not ok|ok)\s+(\d+)\s*(?:- )?([^#]*?)\s*(?:#\s*(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)')
VERSION = re.compile(r'^K?TAP version \d+')


class Case:
    def __init__(self, path, ok, directive, line):
        self.path = path
        self.ok = ok
        self.directive = (directive or '').strip()
        self.line = line
        self.children = []
        self.duration = None

    @property
    def status(self):
        d = self.directive.upper()
        if d.startswith('SKIP'):
            return 'SKIP'
        if d.startswith('XFAIL'):
            return 'PASS'
        if d.startswith('TIMEOUT'):
            return 'ERROR'
        return 'PASS' if self.ok else 'FAIL'


def strip_nesting(text):
    """Return (depth, text) for kselftest's "# "-prefixed nested output."""
    depth = 0
    while text.startswith('# ') or text == '#':
        text = text[2:]
        depth += 1
    return depth, text


def parse(lines):
    """Parse TAP out of a console log.

    Returns (top_level_cases, plan, tap_lines, problems).
    """
    problems = []
    start = None
    for i, line in enumerate(lines):
        if VERSION.match(line.strip()) and not line.lstrip().startswith('#'):
            start = i
            break
    if start is None:
        return [], None, [], ['no KTAP/TAP version line: the tests never started']

    plan = None
    top = []
    tap = []
    # Nested results seen since the last top-level result, keyed by depth.
    pending = []
    current_name = None
    for i in range(start, len(lines)):
        raw = lines[i].rstrip('\n')
        if raw.startswith('vmtest: done'):
            break
        if re.match(r'^\[\s*\d+\.\d+\]', raw) or raw.startswith('<'):
            continue  # kernel printk line interleaved with TAP
        depth, text = strip_nesting(raw)
        if depth == 0:
            m = PLAN.match(raw)
            if m and plan is None:
                plan = int(m.group(1))
                tap.append(raw)
                continue
            m = RESULT.match(raw)
            if m:
                tap.append(raw)
                name = m.group(3).strip()
                name = re.sub(r'^selftests: ', '', name)
                name = name.replace(': ', ':')
                case = Case(name, m.group(1) == 'ok', m.group(4), i)
                for child in pending:
                    child.path = name + ':' + child.path
                case.children = pending
                pending = []
                top.append(case)
                continue
            if VERSION.match(raw):
                tap.append(raw)
            continue
        tap.append(raw)
        if depth == 1:
            if text.startswith('selftests: '):
                current_name = text
                pending = []
            m = RESULT.match(text)
            if m:
                pending.append(Case(m.group(3).strip(), m.group(1) == 'ok',
                                    m.group(4), i))
    if plan is None:
        problems.append('no test plan (1..N) in the TAP output')
    elif len(top) < plan:
        problems.append('truncated: %d of %d planned results%s' %
                        (len(top), plan,
                         ' (last started: %s)' % current_name if current_name else ''))
    return top, plan, tap, problems


def scan_splats(lines):
    found = []
    for i, line in enumerate(lines):
        if NOT_SPLAT.match(line):
            continue
        for rx, kind in SPLATS:
            if rx.search(line):
                found.append((i, kind))
                break
    return found


def excerpt(lines, i):
    """The report's first lines and its call trace, without register dumps."""
    out = lines[i:i + 3]
    for j in range(i + 1, min(len(lines), i + 80)):
        if lines[j].startswith('Call Trace:'):
            for l in lines[j:j + 40]:
                if l.startswith(' </TASK>') or l.startswith('---[ end trace'):
                    break
                if l.startswith('RIP: 0033') or re.match(r'^R[A-Z0-9]{2}: ', l):
                    break
                out.append(l)
            break
        if any(rx.search(lines[j]) for rx, _ in SPLATS):
            break
    return out


def load_times(path):
    """Per-line arrival times written by scripts/tee-times.py, if any."""
    try:
        with open(path) as f:
            return [float(x) for x in f.read().split()]
    except (OSError, ValueError):
        return None


def kunit_top_level(lines, kunit_dir):
    """Top-level (passed, failed+crashed, skipped) as the tree's own
    tools/testing/kunit/kunit_parser.py reads them, or None without it."""
    if not kunit_dir or not os.path.isfile(os.path.join(kunit_dir, 'kunit_parser.py')):
        return None
    import contextlib
    import io
    sys.path.insert(0, kunit_dir)
    try:
        # kunit_printer keeps the sys.stdout it sees at import time.
        with contextlib.redirect_stdout(io.StringIO()):
            import kunit_parser
            test = kunit_parser.parse_run_tests(l + '\n' for l in lines)
    except Exception as e:  # a crash of the cross-check is not a verdict
        return 'kunit_parser failed: %s' % e
    finally:
        sys.path.pop(0)
    c = test.counts
    return (c.passed, c.failed + c.crashed, c.skipped)


def leaves(top):
    out = []
    for case in top:
        if not case.children:
            out.append(case)
            continue
        out.extend(case.children)
        child_failed = any(c.status in ('FAIL', 'ERROR') for c in case.children)
        if case.status in ('FAIL', 'ERROR') and not child_failed:
            # The program failed outside its cases (crash, timeout,
            # bad exit): that is a failure of its own.
            case.path += ':<exit>'
            out.append(case)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('log', help='saved console log')
    ap.add_argument('--out', help='prefix for .ktap/.json results (default: next to LOG)')
    ap.add_argument('--cpus', type=int, help='CPUs QEMU was given (else from the log)')
    ap.add_argument('-q', '--quiet', action='store_true', help='only the summary')
    args = ap.parse_args()

    try:
        with open(args.log, errors='replace') as f:
            lines = [l.rstrip('\r\n') for l in f]
    except OSError as e:
        print('ERROR: cannot read console log: %s' % e, file=sys.stderr)
        return 2
    out = args.out or re.sub(r'\.log$', '', args.log)
    times = load_times(args.log + '.times')

    top, plan, tap, problems = parse(lines)
    cases = leaves(top)
    for c in cases:
        if times and c.line < len(times):
            prev = [x.line for x in cases if x.line < c.line]
            t0 = times[max(prev)] if prev else times[0]
            c.duration = round(times[c.line] - t0, 3)

    finished = any(l.startswith('vmtest: done') for l in lines)
    for l in lines:
        m = re.match(r'vmtest: cpus online=(\d+) expected=(\d+)', l)
        if m and int(m.group(1)) < int(args.cpus or m.group(2)):
            problems.append('guest sees %s CPUs but QEMU was given %s' %
                            (m.group(1), args.cpus or m.group(2)))
        if l.startswith('vmtest: TIMEOUT') or l.startswith('vmtest: QEMU exited'):
            problems.append(l[len('vmtest: '):])
    if not finished and not any('TIMEOUT' in p for p in problems):
        problems.append('the guest did not finish (no "vmtest: done": panic, hang or crash)')

    splats = scan_splats(lines)

    # Cross-check the top level with the kernel's own KTAP parser.
    kdir = os.environ.get('KUNIT_DIR') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'build', 'linux',
        'tools', 'testing', 'kunit')
    ours = (sum(c.status == 'PASS' for c in top),
            sum(c.status in ('FAIL', 'ERROR') for c in top),
            sum(c.status == 'SKIP' for c in top))
    theirs = kunit_top_level(lines, kdir) if top else None
    # kunit_parser stops at output it does not expect (it was written for
    # KUnit), so a disagreement is reported but is not a verdict.
    if isinstance(theirs, tuple) and theirs != ours:
        print('note: kunit_parser reads the top level as %d passed, %d failed, '
              '%d skipped; this parser as %d/%d/%d' % (theirs + ours))

    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0, 'ERROR': 0}
    for c in cases:
        counts[c.status] += 1
        if not args.quiet or c.status != 'PASS':
            reason = ' # ' + c.directive if c.directive else ''
            print('%-5s %s%s' % (c.status.lower() if c.status != 'ERROR' else 'fail',
                                 c.path, reason))

    for i, kind in splats[:5]:
        print('SPLAT %s at %s:%d' % (kind, args.log, i + 1))
        for l in excerpt(lines, i):
            print('    ' + l)
    if len(splats) > 5:
        print('SPLAT ... %d more kernel reports in %s' % (len(splats) - 5, args.log))
    for p in problems:
        print('ERROR: %s (see %s)' % (p, args.log))

    with open(out + '.ktap', 'w') as f:
        f.write('\n'.join(tap) + '\n')
    with open(out + '.json', 'w') as f:
        json.dump({
            'log': os.path.abspath(args.log),
            'plan': plan,
            'splats': [{'line': i + 1, 'kind': k} for i, k in splats],
            'problems': problems,
            'tests': [{'id': 'vmtest:' + c.path, 'path': c.path.replace(':', '.'),
                       'status': c.status, 'duration': c.duration}
                      for c in cases],
        }, f, indent=1)

    failed = counts['FAIL'] + counts['ERROR']
    summary = '%d passed, %d failed' % (counts['PASS'], failed)
    if counts['SKIP']:
        summary += ', %d skipped' % counts['SKIP']
    print(summary)
    return 0 if not failed and not splats and not problems and cases else 1


if __name__ == '__main__':
    sys.exit(main())
