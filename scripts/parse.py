#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Verdict on a saved QEMU run of the kselftests.

A run has two logs: the kernel console (ttyS0, CONSOLE) and what the
guest's userspace printed (ttyS1, CONSOLE with .log replaced by .tests.log,
or --tests).  The TAP 13 of run_kselftest.sh and each program's "# "-prefixed
KTAP are read from the tests log; kernel reports are looked for in the
console, where no test output can hide them.  An older single-channel log
(no tests log) is read as both.

Prints one line per test case and a last line "N passed, N failed[, N
skipped]".  Exit status 0 only when cases ran and passed, every plan (top
level and per program) was met, no skip happened that ALLOW_SKIP does not
name, the guest finished with an untainted kernel and the kernel log holds
no report.  A case that was running when its program died is "crashed",
when the per-program or the whole-run timeout hit "timeout"; planned cases
that never ran are "missing".  All three count as failed.

Also writes <out>.ktap (the TAP as the guest printed it) and <out>.json
(per test: path, status, duration; statuses follow KernelCI's KCIDB schema).
"""

import argparse
import fnmatch
import json
import os
import re
import sys

# Lines that start a kernel report.
SPLATS = [
    (re.compile(r'BUG: KASAN: '), 'KASAN'),
    (re.compile(r'BUG: kernel NULL pointer|Oops: '), 'oops'),
    (re.compile(r'general protection fault'), 'oops'),
    (re.compile(r'watchdog: BUG: soft lockup|soft lockup - CPU'), 'soft lockup'),
    (re.compile(r'\bBUG: '), 'BUG'),
    (re.compile(r'WARNING: possible circular locking dependency'), 'lockdep'),
    (re.compile(r'WARNING: possible recursive locking detected'), 'lockdep'),
    (re.compile(r'WARNING: inconsistent lock state'), 'lockdep'),
    (re.compile(r'WARNING: suspicious RCU usage'), 'lockdep'),
    (re.compile(r'WARNING: .*lock held|WARNING: bad unlock balance'), 'lockdep'),
    (re.compile(r'INFO: possible irq lock inversion'), 'lockdep'),
    (re.compile(r'WARNING: .* at |WARNING: CPU: \d+ PID: '), 'WARNING'),
    (re.compile(r'Kernel panic - not syncing'), 'panic'),
    (re.compile(r'Watchdog detected hard LOCKUP|hard LOCKUP'), 'hard lockup'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'INFO: rcu_.* self-detected stall|rcu: INFO: .* stall'), 'RCU stall'),
    (re.compile(r'unreferenced object 0x'), 'kmemleak'),
    (re.compile(r'kmemleak: \d+ new suspected memory leaks'), 'kmemleak'),
    (re.compile(r'UBSAN: '), 'UBSAN'),
    (re.compile(r'list_add corruption|list_del corruption'), 'list corruption'),
    (re.compile(r'Out of memory: Killed process'), 'OOM kill'),
]
# Lines inside a report.  One whose report's first line was lost (printed
# over, or before the log starts) still is a report.
CUT_HERE = re.compile(r'-+\[ cut here \]-+')
TRAILERS = re.compile(r'Call Trace:|---\[ end trace|^\s*RIP: [0-9a-f]{4}:|'
                      r'Modules linked in:|Hardware name: ')
REPORT_SPAN = 150   # lines a report's trailers may follow its first line
# A dump asked for with /proc/sysrq-trigger (vmtest.sysrq=) prints call
# traces and registers that are not reports; a report inside it still is.
SYSRQ_DUMP = re.compile(r'sysrq: (Show|Changing Loglevel)')

RESULT = re.compile(r'^(not ok|ok)\s+(\d+)\s*(?:- )?([^#]*?)\s*(?:#\s*(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(.*))?$')
VERSION = re.compile(r'^K?TAP version \d+')
RUN = re.compile(r'^#\s+RUN\s+(\S+)')
HEADER = re.compile(r'^selftests: (\S+): (\S+)$')

# /proc/sys/kernel/tainted bits (include/linux/panic.h, kernel/panic.c).
TAINT = 'PFSRMBUDAWCIOELKXTN'
TAINT_NAMES = ['PROPRIETARY_MODULE', 'FORCED_MODULE', 'CPU_OUT_OF_SPEC',
               'FORCED_RMMOD', 'MACHINE_CHECK', 'BAD_PAGE', 'USER', 'DIE',
               'OVERRIDDEN_ACPI_TABLE', 'WARN', 'CRAP', 'FIRMWARE_WORKAROUND',
               'OOT_MODULE', 'UNSIGNED_MODULE', 'SOFTLOCKUP', 'LIVEPATCH',
               'AUX', 'RANDSTRUCT', 'TEST']

FAILED = ('FAIL', 'CRASHED', 'TIMEOUT', 'MISSING')
KCIDB = {'PASS': 'PASS', 'FAIL': 'FAIL', 'SKIP': 'SKIP', 'CRASHED': 'ERROR',
         'TIMEOUT': 'ERROR', 'MISSING': 'MISS'}


class Case:
    def __init__(self, path, status, reason, line):
        self.path = path
        self.status = status
        self.reason = reason or ''
        self.line = line
        self.duration = None


def tap_status(ok, directive):
    d = (directive or '').strip().upper()
    if d.startswith('SKIP'):
        return 'SKIP'
    if d.startswith('XFAIL'):
        return 'PASS'
    if d.startswith('TIMEOUT'):
        return 'TIMEOUT'
    return 'PASS' if ok else 'FAIL'


class Program:
    """One top-level test: the runner's header, the program's own KTAP
    (plan, results, the case last started) and the runner's result."""

    def __init__(self, coll, name, line):
        self.path = '%s:%s' % (coll, name)
        self.line = line
        self.plan = None
        self.plan_reason = ''
        self.results = []      # Case, in order
        self.running = None    # (name, line) of a RUN not followed by its result
        self.status = None     # the runner's verdict; None: it never gave one
        self.directive = ''
        self.end_line = None


def strip_nesting(text):
    """Return (depth, text) for kselftest's "# "-prefixed nested output."""
    depth = 0
    while text.startswith('# ') or text == '#':
        text = text[2:]
        depth += 1
    return depth, text


def parse(lines):
    """Parse the TAP out of the tests log.

    Returns (programs, plan, tap_lines, problems)."""
    problems = []
    start = None
    for i, line in enumerate(lines):
        if VERSION.match(line):
            start = i
            break
    if start is None:
        return [], [], [], ['no KTAP/TAP version line: the tests never started']

    # run_kselftest.sh prints one TAP document (version, plan, results) per
    # collection; the run's plan is the sum of theirs.
    docs = []
    programs = []
    tap = []
    cur = None
    for i in range(start, len(lines)):
        raw = lines[i]
        if raw.startswith('vmtest: done'):
            break
        if re.match(r'^\[\s*\d+\.\d+\]', raw) or raw.startswith('<'):
            continue  # printk on a shared console
        depth, text = strip_nesting(raw)
        if depth == 0:
            if VERSION.match(raw):
                docs.append({'plan': None, 'programs': 0, 'line': i})
                tap.append(raw)
                continue
            m = PLAN.match(raw)
            if m and docs and docs[-1]['plan'] is None:
                docs[-1]['plan'] = int(m.group(1))
                tap.append(raw)
                continue
            m = RESULT.match(raw)
            if m:
                tap.append(raw)
                h = HEADER.match(m.group(3).strip())
                name = '%s:%s' % h.groups() if h else m.group(3).strip()
                if cur is None or cur.path != name or cur.status is not None:
                    # A result without its header: a program of its own.
                    coll, _, prog = name.partition(':')
                    cur = Program(coll, prog, i)
                    programs.append(cur)
                    docs[-1]['programs'] += 1
                cur.status = tap_status(m.group(1) == 'ok', m.group(4))
                cur.directive = (m.group(4) or '').strip()
                cur.end_line = i
                continue
        tap.append(raw)
        if depth == 1:
            h = HEADER.match(text)
            if h:
                cur = Program(h.group(1), h.group(2), i)
                programs.append(cur)
                docs[-1]['programs'] += 1
                continue
            if cur is None or cur.status is not None:
                continue
            m = PLAN.match(text)
            if m and cur.plan is None:
                cur.plan = int(m.group(1))
                cur.plan_reason = (m.group(2) or '').strip()
                continue
            m = RESULT.match(text)
            if m:
                name = m.group(3).strip()
                cur.results.append(Case('%s:%s' % (cur.path, name),
                                        tap_status(m.group(1) == 'ok', m.group(4)),
                                        (m.group(4) or '').strip(), i))
                cur.running = None
        elif depth == 2 and cur is not None and cur.status is None:
            m = RUN.match('# ' + text) or RUN.match(text)
            if m:
                cur.running = (m.group(1), i)
    if any(d['plan'] is None for d in docs):
        problems.append('no test plan (1..N) in the TAP output')
    return programs, docs, tap, problems


def cases_of(programs, docs, expected, guest_timeout, problems):
    """The leaves of the run: each program's cases, plus a failed leaf for
    whatever the plans say should have run and did not."""
    out = []
    for p in programs:
        out.extend(p.results)
        if p.status is None:
            # No result from the runner: the guest died or was killed.
            how = 'TIMEOUT' if guest_timeout else 'CRASHED'
            why = ('the run timed out' if guest_timeout else
                   'the guest died') + ' while it ran'
        elif p.status == 'TIMEOUT':
            how, why = 'TIMEOUT', p.directive
        elif p.status == 'FAIL':
            how, why = 'CRASHED', 'program ended with %s' % (p.directive or 'failure')
        else:
            how, why = None, None
        ran = len(p.results)
        if p.plan is None and not p.results:
            # Not a KTAP program (or dead before its plan): it is one case.
            st = p.status or how
            if st == 'SKIP' and not p.directive[4:].strip():
                why = 'skipped without a reason'
            out.append(Case(p.path, st, p.directive if p.status else why, p.line))
            continue
        if how and p.running:
            out.append(Case('%s:%s' % (p.path, p.running[0]), how, why, p.running[1]))
            ran += 1
        elif p.status is None:
            # Died or hung after its last case (teardown, exit).
            out.append(Case('%s:<exit>' % p.path, how, why + ', after its last case',
                            p.results[-1].line if p.results else p.line))
        if p.plan == 0:
            if p.status == 'SKIP':
                out.append(Case(p.path, 'SKIP', p.plan_reason or p.directive, p.line))
            else:
                out.append(Case('%s:<plan>' % p.path, how or 'FAIL',
                                'plan 1..0 without a SKIP', p.line))
            continue
        if p.plan is not None and ran < p.plan:
            status = how or 'MISSING'
            out.append(Case('%s:<missing>' % p.path, 'MISSING',
                            '%d of %d planned cases never ran%s' %
                            (p.plan - ran, p.plan, ' (%s)' % why if why else ''),
                            p.end_line or p.line))
            if status != 'MISSING':
                problems.append('%s: %s after %d of %d planned cases' %
                                (p.path, status.lower(), len(p.results), p.plan))
        elif p.plan is not None and ran > p.plan:
            out.append(Case('%s:<plan>' % p.path, 'FAIL',
                            '%d results for plan 1..%d' % (ran, p.plan),
                            p.end_line or p.line))
        elif p.plan is None:
            out.append(Case('%s:<plan>' % p.path, 'FAIL',
                            'no plan before its %d results' % ran, p.line))
        elif p.status == 'FAIL' and not any(c.status in FAILED for c in p.results) \
                and not p.running:
            # Every case passed but the program still failed (bad exit).
            out.append(Case('%s:<exit>' % p.path, 'FAIL', p.directive, p.end_line))
    for d in docs:
        if d['plan'] is not None and d['programs'] > d['plan']:
            out.append(Case('<plan>', 'FAIL', '%d programs for plan 1..%d' %
                            (d['programs'], d['plan']), d['line']))
    # What should have run: the guest's own count of the programs it was
    # asked to run (a collection that never started has no plan to read),
    # else the plans that were printed.
    planned = sum(d['plan'] or 0 for d in docs)
    if expected is not None:
        planned = max(planned, expected)
    if len(programs) < planned:
        out.append(Case('<missing>', 'MISSING', '%d of %d planned programs never ran' %
                        (planned - len(programs), planned),
                        programs[-1].line if programs else 0))
    return out


def scan_splats(lines):
    """Kernel reports, one entry (line index, kind) per report."""
    found = []
    last = None    # (index into found, first line) of the open report
    for i, line in enumerate(lines):
        kind = None
        for rx, k in SPLATS:
            if rx.search(line):
                kind = k
                break
        if kind is None and CUT_HERE.search(line):
            kind = 'cut here'
        if kind is not None:
            if last is not None and last[0] is not None and \
                    found[last[0]][1] == 'cut here' and i - last[1] <= 3:
                found[last[0]] = (found[last[0]][0], kind)   # the line it announced
                continue
            found.append((i, kind))
            last = (len(found) - 1, i)
            continue
        if SYSRQ_DUMP.search(line):
            last = (None, i)
            continue
        if TRAILERS.search(line):
            if last is not None and last[0] is None and i - last[1] <= REPORT_SPAN:
                last = (None, i)     # the dump goes on
                continue
            if last is None or i - last[1] > REPORT_SPAN:
                found.append((i, 'report (first line lost)'))
                last = (len(found) - 1, i)
            if '---[ end trace' in line:
                last = None
    return found


def excerpt(lines, i):
    """The report's first lines and its call trace, without register dumps."""
    out = lines[i:i + 3]
    for j in range(i + 1, min(len(lines), i + 80)):
        if lines[j].startswith('Call Trace:'):
            for l in lines[max(j, i + 3):j + 40]:
                if l.startswith(' </TASK>') or l.startswith('---[ end trace'):
                    break
                if l.startswith('RIP: 0033') or re.match(r'^R[A-Z0-9]{2}: ', l):
                    break
                out.append(l)
            break
    return out


def taint_text(value):
    bits = [(b, TAINT[b], TAINT_NAMES[b]) for b in range(len(TAINT)) if value >> b & 1]
    unknown = value >> len(TAINT)
    s = ', '.join('%s (%s)' % (c, n) for _, c, n in bits)
    if unknown:
        s += (', ' if s else '') + 'unknown bits 0x%x' % (unknown << len(TAINT))
    return s


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


def read_lines(path):
    with open(path, errors='replace') as f:
        return [l.rstrip('\r\n') for l in f]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('log', help='saved kernel console log (or a single-channel log)')
    ap.add_argument('--tests', help='saved tests log (default: LOG with .log '
                    'replaced by .tests.log, when that exists)')
    ap.add_argument('--out', help='prefix for .ktap/.json results (default: next to LOG)')
    ap.add_argument('--cpus', type=int, help='CPUs QEMU was given (else from the log)')
    ap.add_argument('--allow-skip', default=os.environ.get('ALLOW_SKIP', ''),
                    help='comma-separated patterns (fnmatch) of test paths that may '
                    'skip, e.g. "hugetlb:hugetlb_cgroup_rsvd*" (default: $ALLOW_SKIP)')
    ap.add_argument('-q', '--quiet', action='store_true', help='only the summary')
    args = ap.parse_args()

    tests_path = args.tests
    if tests_path is None and args.log.endswith('.log'):
        cand = args.log[:-len('.log')] + '.tests.log'
        # Empty when the tests were on the console (vmtest.channel=console).
        if os.path.exists(cand) and os.path.getsize(cand):
            tests_path = cand
    try:
        klines = read_lines(args.log)
        tlines = read_lines(tests_path) if tests_path else klines
    except OSError as e:
        print('ERROR: cannot read log: %s' % e, file=sys.stderr)
        return 2
    tlog = tests_path or args.log
    out = args.out or re.sub(r'\.log$', '', args.log)
    times = load_times(tlog + '.times')

    programs, docs, tap, problems = parse(tlines)
    guest_timeout = any(l.startswith('vmtest: TIMEOUT') for l in tlines)
    expected = None
    for l in tlines:
        m = re.match(r'vmtest: programs=(\d+)', l)
        if m:
            expected = int(m.group(1))
    cases = cases_of(programs, docs, expected, guest_timeout, problems)
    plan = sum(d['plan'] or 0 for d in docs) if docs else None
    for c in cases:
        if times and c.line < len(times):
            prev = [x.line for x in cases if x.line < c.line]
            t0 = times[max(prev)] if prev else times[0]
            c.duration = round(times[c.line] - t0, 3)

    finished = any(l.startswith('vmtest: done') for l in tlines)
    taint = None
    for l in tlines:
        m = re.match(r'vmtest: cpus online=(\d+) expected=(\d+)', l)
        if m and int(m.group(1)) < int(args.cpus or m.group(2)):
            problems.append('guest sees %s CPUs but QEMU was given %s' %
                            (m.group(1), args.cpus or m.group(2)))
        if l.startswith('vmtest: LEFTOVER'):
            problems.append('the run changed the guest: ' + l[len('vmtest: LEFTOVER '):])
        if l.startswith('vmtest: TIMEOUT') or l.startswith('vmtest: QEMU exited'):
            problems.append(l[len('vmtest: '):])
        m = re.match(r'vmtest: tainted=(\d+)', l)
        if m:
            taint = int(m.group(1))
    if not finished and not guest_timeout:
        problems.append('the guest did not finish (no "vmtest: done": panic, hang or crash)')
    if taint:
        problems.append('kernel tainted: %d = %s' % (taint, taint_text(taint)))
    elif taint is None and finished and tests_path:
        problems.append('the guest did not report /proc/sys/kernel/tainted')

    splats = scan_splats(klines)

    # Cross-check the top level with the kernel's own KTAP parser.
    kdir = os.environ.get('KUNIT_DIR') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'build', 'linux',
        'tools', 'testing', 'kunit')
    # kunit_parser reads the first TAP document (collection) only.
    first = programs[:docs[0]['programs']] if docs else []
    ours = (sum(p.status == 'PASS' for p in first),
            sum(p.status is None or p.status in FAILED for p in first),
            sum(p.status == 'SKIP' for p in first))
    theirs = kunit_top_level(tlines, kdir) if programs else None
    # kunit_parser stops at output it does not expect (it was written for
    # KUnit), so a disagreement is reported but is not a verdict.
    if isinstance(theirs, tuple) and theirs != ours:
        print('note: kunit_parser reads the top level as %d passed, %d failed, '
              '%d skipped; this parser as %d/%d/%d' % (theirs + ours))

    allowed = [p.strip() for p in args.allow_skip.split(',') if p.strip()]
    counts = dict.fromkeys(KCIDB, 0)
    bad_skips = []
    for c in cases:
        counts[c.status] += 1
        if c.status == 'SKIP' and not any(fnmatch.fnmatch(c.path, a) for a in allowed):
            bad_skips.append(c.path)
        if not args.quiet or c.status != 'PASS':
            reason = ' # ' + c.reason if c.reason else ''
            print('%-7s %s%s' % (c.status.lower(), c.path, reason))

    for i, kind in splats[:5]:
        print('SPLAT %s at %s:%d' % (kind, args.log, i + 1))
        for l in excerpt(klines, i):
            print('    ' + l)
    if len(splats) > 5:
        print('SPLAT ... %d more kernel reports in %s' % (len(splats) - 5, args.log))
    if bad_skips:
        problems.append('%d skipped and not allowed by ALLOW_SKIP: %s' %
                        (len(bad_skips), ', '.join(bad_skips[:5]) +
                         (', ...' if len(bad_skips) > 5 else '')))
    if not counts['PASS']:
        problems.append('no test passed')
    for p in problems:
        print('ERROR: %s (see %s)' % (p, tlog))

    with open(out + '.ktap', 'w') as f:
        f.write('\n'.join(tap) + '\n')
    with open(out + '.json', 'w') as f:
        json.dump({
            'log': os.path.abspath(args.log),
            'tests_log': os.path.abspath(tlog),
            'plan': plan,
            'tainted': taint,
            'splats': [{'line': i + 1, 'kind': k} for i, k in splats],
            'problems': problems,
            'tests': [{'id': 'vmtest:' + c.path, 'path': c.path.replace(':', '.'),
                       'status': KCIDB[c.status], 'result': c.status.lower(),
                       'duration': c.duration}
                      for c in cases],
        }, f, indent=1)

    failed = sum(counts[s] for s in FAILED)
    summary = '%d passed, %d failed' % (counts['PASS'], failed)
    if counts['SKIP']:
        summary += ', %d skipped' % counts['SKIP']
    print(summary)
    return 0 if not failed and not splats and not problems else 1


if __name__ == '__main__':
    sys.exit(main())
